"""The scikit-image style functions: one call restores an image with the shipped prior.

Each validates nothing itself beyond what it adds: it builds the degradation (a
:class:`~skgate.Likelihood`) and an :class:`~skgate.EPLLRestorer` with the arguments it was
given, named one by one, and restores through the restorer's one entry; the restorer's
defaults (``stride=None``, ``scales=None``: the table of ``skgate._defaults``) are the
functions' defaults.
"""

import numpy as np

from ._adaptation import DEFAULT_STRENGTH
from ._backend import is_array, namespace, to_numpy
from ._blur import Blur
from ._channel_stack import ChannelStack
from ._docstrings import shares_parameters
from ._gaussian_noise import GaussianNoise
from ._inpainting import Inpainting
from ._lazy import LazyInpainting, is_dask_array
from ._mosaic import DEMOSAIC_GATING, BayerMosaic
from ._noise import estimate_noise_sigma
from ._restorer import EPLLRestorer
from ._validation import as_float_image, check_channel_axis

__all__ = ["denoise_epll", "deblur_epll", "inpaint_epll"]


@shares_parameters(EPLLRestorer, EPLLRestorer.restore)
def denoise_epll(
    image,
    sigma=None,
    *,
    prior=None,
    betas=None,
    lam=None,
    stride=None,
    gating="exact",
    tile_shape=None,
    n_jobs=None,
    adapt=0,
    adapt_strength=DEFAULT_STRENGTH,
    scales=None,
    fusion_weight=None,
    second_stage=None,
    channel_axis=None,
    data_range=None,
):
    """Remove white Gaussian noise with EPLL and a Gaussian-mixture patch prior.

    Parameters
    ----------
    image : ndarray, dask.array.Array or Array API array
        Noisy grey image, or colour image with ``channel_axis``. Integer images are converted
        to float as by :func:`skimage.util.img_as_float` (uint8 to [0, 1]); float32 stays
        float32. A PyTorch tensor, a CuPy array (any Array API array) is restored on its
        device (:doc:`/gpu`); a dask array lazily (:doc:`/scaling`).
    sigma : float or None, default=None
        Standard deviation of the noise in the units of the float image (``25/255`` for
        noise of 25 grey levels on a uint8 image). ``None`` estimates it with
        :func:`estimate_noise_sigma` (measured accuracy in its docstring).
    prior : GMMPatchPrior or None, default=None
        The patch prior; ``None`` uses the shipped default.
    .. parameters:: betas lam
    stride : int or None, default=None
        Distance between patches; ``None`` is 3 (the user guide's "Defaults", as
        :class:`EPLLRestorer`). The patch grid shifts from one iteration to the next, so 3
        restores as well as 1 (every overlapping patch) in about a ninth of the time (chosen
        on the validation photographs: :doc:`/validation`). Pass 1 for Zoran & Weiss's
        original EPLL.
    .. parameters:: gating tile_shape n_jobs adapt adapt_strength
    scales : int or None, default=None
        Scales of the multi-scale restoration; ``None`` is 3 (the user guide's "Defaults").
        The 2x2-averaged image (and its own averaged image) is restored too and fuses into
        the result's coarse scale, for a fraction more time. 3 was chosen on the validation
        photographs (:doc:`/validation_tuning`, "Multi-scale"); 1 is Zoran & Weiss's single-scale
        EPLL.
    .. parameters:: fusion_weight second_stage channel_axis data_range

    Returns
    -------
    denoised : ndarray
        Same shape as ``image`` and of its kind (an array of its library on its device);
        float64, or float32 for float32 input.

    See Also
    --------
    skgate.deblur_epll
    skgate.inpaint_epll
    skgate.EPLLRestorer
    skgate.estimate_noise_sigma
    skimage.restoration.denoise_wavelet

    References
    ----------
    .. [1] D. Zoran and Y. Weiss, "From learning models of natural image patches to whole
       image restoration", ICCV 2011.

    Examples
    --------
    A noisy crop of the cameraman, restored with the noise level given, then estimated:

    >>> import numpy as np
    >>> from skimage import data
    >>> from skimage.metrics import peak_signal_noise_ratio as psnr
    >>> from skgate import denoise_epll
    >>> clean = data.camera()[200:264, 200:264] / 255.0
    >>> rng = np.random.default_rng(0)
    >>> noisy = clean + 0.1 * rng.standard_normal(clean.shape)
    >>> denoised = denoise_epll(noisy, sigma=0.1)
    >>> denoised.shape, denoised.dtype
    ((64, 64), dtype('float64'))
    >>> print(psnr(clean, denoised, data_range=1) > psnr(clean, noisy, data_range=1) + 5)
    True
    >>> fast = denoise_epll(noisy, gating="network")  # sigma estimated, network gating

    A colour image, the channels last (integers are scaled to [0, 1] first):

    >>> photo = data.astronaut()[:64, :64]
    >>> denoise_epll(photo, sigma=0.05, channel_axis=-1).shape
    (64, 64, 3)
    """
    if sigma is None:
        sigma = estimate_noise_sigma(image, channel_axis=channel_axis)
    restorer = EPLLRestorer(
        prior,
        betas=betas,
        lam=lam,
        stride=stride,
        gating=gating,
        tile_shape=tile_shape,
        n_jobs=n_jobs,
        adapt=adapt,
        adapt_strength=adapt_strength,
        scales=scales,
        fusion_weight=fusion_weight,
        second_stage=second_stage,
    )
    return restorer.restore(
        image, GaussianNoise(sigma), channel_axis=channel_axis, data_range=data_range
    )


@shares_parameters(EPLLRestorer, EPLLRestorer.restore)
def deblur_epll(
    image,
    kernel,
    sigma,
    *,
    prior=None,
    betas=None,
    lam=None,
    stride=None,
    gating="exact",
    tile_shape=None,
    n_jobs=None,
    adapt=0,
    adapt_strength=DEFAULT_STRENGTH,
    second_stage=None,
    channel_axis=None,
    data_range=None,
):
    """Deconvolve a blurred, noisy image with EPLL (periodic boundary).

    One scale, stride 3 and the penalties ``betas = 5 * [1, 4, 16, ..., 1024]``
    (:meth:`Blur.default_betas`) by default.

    Parameters
    ----------
    image : ndarray, dask.array.Array or Array API array
        Blurred grey image (or colour with ``channel_axis``); converted and restored as in
        :func:`denoise_epll`.
    kernel : (kh, kw) array_like
        Point-spread function, centred at ``(kh // 2, kw // 2)``; see :class:`Blur`. With
        ``channel_axis``, one for all channels, or one per channel stacked on
        ``channel_axis`` like the image (a 3-D array; see :class:`ChannelStack`).
    sigma : float
        Noise standard deviation.
    .. parameters:: prior betas lam stride gating tile_shape n_jobs adapt adapt_strength
    .. parameters:: second_stage channel_axis data_range

    Returns
    -------
    deblurred : ndarray
        Same shape as ``image`` and of its kind (an array of its library on its device);
        float64, or float32 for float32 input.

    See Also
    --------
    skgate.denoise_epll
    skgate.inpaint_epll
    skgate.Blur
    skgate.motion_kernel
    skgate.gaussian_kernel
    skimage.restoration.wiener

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from skgate import Blur, deblur_epll
    >>> clean = data.camera()[200:264, 200:264] / 255.0
    >>> from skimage.metrics import peak_signal_noise_ratio as psnr
    >>> kernel = np.ones((5, 5)) / 25  # or gaussian_kernel(1.6), motion_kernel(15, 45)
    >>> blurred = Blur(kernel, sigma=0.01).forward(clean)
    >>> deblurred = deblur_epll(blurred, kernel, sigma=0.01)
    >>> print(psnr(clean, deblurred, data_range=1) > psnr(clean, blurred, data_range=1))
    True
    """
    restorer = EPLLRestorer(
        prior,
        betas=betas,
        lam=lam,
        stride=stride,
        gating=gating,
        tile_shape=tile_shape,
        n_jobs=n_jobs,
        adapt=adapt,
        adapt_strength=adapt_strength,
        second_stage=second_stage,
    )
    likelihood = _per_channel(lambda k: Blur(k, sigma), kernel, channel_axis, "kernel")
    return restorer.restore(image, likelihood, channel_axis=channel_axis, data_range=data_range)


@shares_parameters(EPLLRestorer, EPLLRestorer.restore)
def inpaint_epll(
    image,
    mask,
    *,
    sigma=1e-3,
    prior=None,
    betas=None,
    lam=None,
    stride=None,
    gating="exact",
    tile_shape=None,
    n_jobs=None,
    adapt=0,
    adapt_strength=DEFAULT_STRENGTH,
    second_stage=None,
    channel_axis=None,
    data_range=None,
):
    """Fill in missing pixels with EPLL.

    One scale, stride 3 and the penalties ``betas = 50 * 1.25^k``, k = 0..28
    (:meth:`Inpainting.default_betas`) by default.

    Parameters
    ----------
    image : ndarray, dask.array.Array or Array API array
        Grey image (or colour with ``channel_axis``); its values where ``mask`` is True
        (missing pixels, NaN included) are ignored. Restored as in :func:`denoise_epll`.
    mask : array_like of bool
        True where the pixel is missing (as in
        :func:`skimage.restoration.inpaint_biharmonic`): the image's spatial shape (shared by
        all channels), or with ``channel_axis`` the image's shape (a mask per channel).
        A dask array mask (either shape) goes with a dask array image and stays lazy.
    sigma : float, default=1e-3
        Noise of the observed pixels.
    .. parameters:: prior betas lam stride gating tile_shape n_jobs adapt adapt_strength
    .. parameters:: second_stage channel_axis data_range

    Returns
    -------
    inpainted : ndarray
        Same shape as ``image`` and of its kind (an array of its library on its device);
        float64, or float32 for float32 input.

    See Also
    --------
    skgate.denoise_epll
    skgate.deblur_epll
    skgate.Inpainting
    skimage.restoration.inpaint_biharmonic

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from skgate import inpaint_epll
    >>> clean = data.camera()[200:264, 200:264] / 255.0
    >>> missing = np.random.default_rng(0).random(clean.shape) > 0.5  # True: missing
    >>> filled = inpaint_epll(np.where(missing, 0, clean), missing)
    >>> np.allclose(filled[~missing], clean[~missing], atol=0.01)  # observed pixels kept
    True
    >>> float(np.abs(filled - clean)[missing].mean()) < 0.05  # missing ones filled in
    True
    """
    restorer = EPLLRestorer(
        prior,
        betas=betas,
        lam=lam,
        stride=stride,
        gating=gating,
        tile_shape=tile_shape,
        n_jobs=n_jobs,
        adapt=adapt,
        adapt_strength=adapt_strength,
        second_stage=second_stage,
    )
    # A dask mask stays lazy: each chunk builds its likelihood from its own window.
    if is_dask_array(mask):
        likelihood = LazyInpainting(_channels_last(mask, channel_axis), sigma)
    else:
        likelihood = _per_channel(lambda m: Inpainting(m, sigma), mask, channel_axis, "mask")
    return restorer.restore(image, likelihood, channel_axis=channel_axis, data_range=data_range)


@shares_parameters(EPLLRestorer, EPLLRestorer.restore)
def demosaic_epll(
    raw,
    pattern="RGGB",
    *,
    sigma=1e-3,
    prior=None,
    betas=None,
    lam=None,
    stride=None,
    gating=DEMOSAIC_GATING,
    tile_shape=None,
    n_jobs=None,
    data_range=None,
):
    """Demosaic a Bayer colour-filter-array image with EPLL and a colour patch prior.

    The missing two colours of every pixel are filled in from the colour patches the
    shipped colour prior knows (:class:`BayerMosaic`: inpainting with a mask per channel).
    Stride 3, one scale, the penalties ``200 * 1.5^k``, k = 0..18, and the colour prior's
    gating network by default.

    Parameters
    ----------
    raw : (M, N) array_like
        The mosaic: one recorded value per pixel. Integers are converted as by
        :func:`skimage.util.img_as_float`.
    pattern : {"RGGB", "BGGR", "GRBG", "GBRG"}, default="RGGB"
        The colours of the array's 2 x 2 cell, row by row, from the top-left pixel.
    sigma : float, default=1e-3
        Noise of the recorded values, in the units of ``raw`` (after conversion).
    prior : GMMPatchPrior or None, default=None
        A colour prior (``n_channels=3``); ``None`` is the shipped one
        (``load_default_prior(colour=True)``).
    .. parameters:: betas lam stride
    gating : {"exact", "network", "network+exact", "flat-tail"}, GatingNetwork or Gating, \
default="network"
        As in :class:`EPLLRestorer`, whose default is ``"exact"``. Demosaicing gates with the
        shipped colour network by default: it demosaiced the validation photographs better
        than exact gating, in a fraction of the time (the table is named where the default
        is defined, ``skgate._mosaic.DEMOSAIC_GATING``).
    .. parameters:: tile_shape n_jobs data_range

    Returns
    -------
    rgb : (M, N, 3) ndarray
        The colour image, channels last; float64, or float32 for float32 input.

    See Also
    --------
    skgate.BayerMosaic
    skgate.bayer_mask
    skgate.inpaint_epll

    References
    ----------
    .. [1] D. Zoran and Y. Weiss, "From learning models of natural image patches to whole
       image restoration", ICCV 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from skgate import BayerMosaic, demosaic_epll
    >>> rgb = data.astronaut()[200:248, 200:248] / 255.0
    >>> raw = BayerMosaic(rgb.shape[:2], "RGGB").raw(rgb)
    >>> restored = demosaic_epll(raw, "RGGB")
    >>> restored.shape
    (48, 48, 3)
    >>> bool(np.abs(restored - rgb).mean() < 0.03)
    True
    """
    raw = as_float_image(raw if is_array(raw) else np.asarray(raw), "raw")
    if raw.ndim != 2:
        raise ValueError(f"raw must be a 2-D mosaic, got shape {raw.shape}")
    if prior is not None and getattr(prior, "n_channels", 1) != 3:
        raise ValueError("demosaicing needs a colour prior (n_channels=3)")
    mosaic = BayerMosaic(tuple(raw.shape), pattern, sigma)
    restorer = EPLLRestorer(
        prior,
        betas=betas,
        lam=lam,
        stride=stride,
        gating=gating,
        tile_shape=tile_shape,
        n_jobs=n_jobs,
    )
    observation = mosaic.observation(raw)
    observation = namespace(observation)[0].astype(observation, raw.dtype, copy=False)
    return restorer.restore(observation, mosaic, channel_axis=-1, data_range=data_range)


def _channels_last(mask, channel_axis):
    """A dask mask with one mask per channel (3-D) moved to the channels-last layout the
    lazy restoration uses; a 2-D one as it is."""
    if mask.ndim != 3:
        return mask
    if channel_axis is None:
        raise ValueError(
            "a 3-D mask holds one mask per channel: pass channel_axis (the axis of the "
            "channels in the image and in mask), or a 2-D mask"
        )
    check_channel_axis(mask.ndim, channel_axis)
    return np.moveaxis(mask, channel_axis, -1)  # dask's own moveaxis, still lazy


def _per_channel(make, values, channel_axis, name):
    """``make(values)``, or for a 3-D ``values`` (one per channel, stacked on
    ``channel_axis``) the :class:`ChannelStack` of ``make`` of each channel's."""
    values = np.asarray(to_numpy(values) if is_array(values) else values)  # small: on the host
    if values.ndim != 3:
        return make(values)
    if channel_axis is None:
        raise ValueError(
            f"a 3-D {name} holds one {name} per channel: pass channel_axis (the axis of the "
            f"channels in the image and in {name}), or a 2-D {name}"
        )
    check_channel_axis(values.ndim, channel_axis)
    return ChannelStack([make(v) for v in np.moveaxis(values, channel_axis, 0)])
