"""The public entry of a restoration: :class:`EPLLRestorer`, a scikit-learn estimator whose
parameters are checked once per call, resolved for the likelihood (``skgate._defaults``)
into the core's settings (``skgate._epll.EPLL``) and handed to the one dispatch layer
(``skgate._dispatch``)."""

from numbers import Integral, Real

from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ._adaptation import DEFAULT_STRENGTH
from ._defaults import defaults_for
from ._dispatch import restore
from ._epll import EPLL, check_betas, check_clip
from ._gating import Gating
from ._lazy import smallest_chunk
from ._likelihoods import Likelihood
from ._local import LocalStatistics, check_second_stage
from ._network import GatingNetwork
from ._prior import GMMPatchPrior
from ._shipped import models
from ._validation import NumberInterval as Interval

__all__ = ["EPLLRestorer"]


class EPLLRestorer(BaseEstimator):
    """Expected Patch Log-Likelihood restoration with a Gaussian-mixture patch prior.

    Parameters
    ----------
    prior : GMMPatchPrior or None, default=None
        A fitted prior; ``None`` uses the shipped default (:func:`skgate.load_default_prior`;
        the colour one for demosaicing). A colour prior (``n_channels=3``) restores colour
        images (``channel_axis``) with patches of all three channels.
    betas : sequence of float or None, default=None
        Penalties of the splitting, one iteration each, in the image's units (they weigh
        squared differences of its values: for floats in 0..255, values tuned on [0, 1]
        images divided by 255^2); ``None`` takes the likelihood's tuned
        schedule (``Likelihood.default_betas``; for denoising ``[1, 4, 8, 16, 32] /
        sigma^2``, chosen on the validation set: :doc:`/validation`).
    lam : float or None, default=None
        Weight of the data term, in the image's units as ``betas``; ``None`` takes
        ``Likelihood.default_lam`` (``p^2 / sigma^2``; four times that for
        :class:`~skgate.BayerMosaic`). The patch term weighs the average of the patch
        estimates covering a pixel as ``p^2`` patches (Zoran & Weiss's code), so ``lam``
        means the same for every stride.
    stride : int or None, default=None
        Distance between patches (1 = every overlapping patch, Zoran & Weiss's EPLL). With
        ``stride > 1`` the patch grid is shifted from one iteration to the next so that no
        grid pattern remains, and 3 restores as well as 1 in a fraction of the time. ``None``
        takes the validated default for the likelihood (the user guide's "Defaults": 3 for
        every likelihood).
    gating : {"exact", "network", "network+exact", "flat-tail"}, GatingNetwork or Gating, \
default="exact"
        How each patch's component is chosen: ``"exact"`` is the full posterior;
        ``"flat-tail"`` approximates it with each component's leading eigenvectors and a flat
        tail (:class:`~skgate.FlatTailGating`, faster, a little lower);
        ``"network"`` the shipped gating network (several times faster, a little lower);
        ``"network+exact"`` lets the network propose its 2 best components and the exact
        posterior choose among them (in between). A fitted :class:`~skgate.GatingNetwork`
        for ``prior``, or any :class:`~skgate.Gating` strategy (e.g.
        :class:`~skgate.NetworkGating` with another ``top_k``). Measured trade-offs:
        :doc:`/validation`.
    clip : tuple of float or None, default=None
        Clip every intermediate estimate to ``(low, high)``, e.g. ``(0, 1)``.
    max_patches : int, default=32768
        Patches handled at once; bounds memory (about 40 MB at the default; the exact
        gating works through them in blocks of 4096).
    tile_shape : int or (int, int) or None, default=None
        Restore the image in tiles of this size (each with a margin of context that is
        restored and dropped), e.g. to run them in parallel or to bound memory on very large
        images. ``None`` restores the image in one piece, unless ``n_jobs`` asks for more than
        one worker, in which case tiles of 256 x 256 are used.
    tile_margin : int or None, default=None
        Context around each tile; ``None`` takes ``2 * patch_size`` plus what the likelihood
        needs (``tile_margin`` of the likelihood, twice the kernel size for blur).
    n_jobs : int or None, default=None
        Tiles restored at once by :class:`joblib.Parallel` (``None`` means 1 unless inside a
        :class:`joblib.parallel_config` context, e.g. the ``"dask"`` backend; -1 means every
        core). Tiles run in threads (numpy and BLAS release the GIL; the models and the
        image are shared, nothing is pickled) unless a :class:`joblib.parallel_config` context
        chooses another backend (``"loky"`` processes, ``"dask"``). Each worker's BLAS is
        limited so that workers x threads <= cores.
    adapt : int, default=0
        Passes of internal adaptation after the first restoration: each re-estimates the
        prior's covariances on the patches of the last result
        (:func:`~skgate.adapt_prior`) and restores again from the observation with
        it. A pass costs a second restoration, a gating of every patch and the adapted
        tables (several times the time at stride 3, less at stride 1); it helps exact
        gating on photographs, much more on repeated textures, and not the network
        (measured in :doc:`/validation`). In tiled restoration every tile adapts to itself,
        which makes the adaptation local.
    adapt_strength : float, default=10.0
        Weight of the learned covariances against the image's patches, in patches.
    scales : int or None, default=None
        Scales of a multi-scale restoration: with ``scales > 1`` the 2x2-averaged
        observation is restored too (with ``scales - 1`` scales of its own, as long as it
        holds a patch), and the result replaces part of the coarse scale of this one. Needs a
        likelihood with :meth:`Likelihood.coarse` (Gaussian noise); costs about a third more
        time. ``None`` takes the validated default for the likelihood (the user guide's
        "Defaults": 3 for Gaussian noise, 1 otherwise). Measured in :doc:`/validation`.
    fusion_weight : float in [0, 1] or None, default=None
        Weight of the coarse restoration at every scale; ``None`` takes one chosen per noise
        level on the validation photographs (:doc:`/validation_tuning`, "Multi-scale").
    second_stage : {"local"}, LocalStatistics or None, default=None
        A second stage that brings the image's own statistics in: ``"local"`` groups the
        first result's patches by component label inside windows of the image, estimates
        each group's mean and covariance from them, and runs the splitting iterations once
        more with every patch filtered by its group's Gaussian
        (:class:`~skgate.LocalStatistics`, whose instances set the window and the weight of
        the learned covariances). It serves every likelihood and gating (the gating chooses
        the labels), and costs about twice the default restoration's time at stride 3;
        measured in :doc:`/validation`, "Second stage".

    See Also
    --------
    skgate.denoise_epll
    skgate.Likelihood
    skgate.GatingNetwork
    skgate.adapt_prior

    Examples
    --------
    One restorer, any degradation: the same settings denoise and deblur.

    >>> import numpy as np
    >>> from skimage import data
    >>> from skgate import Blur, EPLLRestorer, GaussianNoise, gaussian_kernel
    >>> clean = data.camera()[200:264, 200:264] / 255.0
    >>> rng = np.random.default_rng(0)
    >>> restorer = EPLLRestorer(gating="network", stride=3)
    >>> noisy = clean + 0.1 * rng.standard_normal(clean.shape)
    >>> denoised = restorer.restore(noisy, GaussianNoise(0.1))
    >>> blur = Blur(gaussian_kernel(1.0), sigma=0.01)
    >>> sharp = restorer.restore(blur.forward(clean), blur)
    >>> denoised.shape == sharp.shape == clean.shape
    True

    Every iteration can be watched (``callback``) or counted (``progress``):

    >>> steps = []
    >>> def count(done, total):
    ...     steps.append(done)
    >>> _ = restorer.restore(noisy, GaussianNoise(0.1), progress=count)
    >>> steps
    [1, 2, 3, 4, 5]
    """

    _parameter_constraints: dict = {
        "prior": [GMMPatchPrior, None],
        "betas": ["array-like", None],
        "lam": [Interval(Real, 0, None, closed="neither"), None],
        "stride": [Interval(Integral, 1, None, closed="left"), None],
        "gating": [
            StrOptions({"exact", "network", "network+exact", "flat-tail"}),
            GatingNetwork,
            Gating,
        ],
        "clip": [tuple, list, None],
        "max_patches": [Interval(Integral, 1, None, closed="left")],
        "tile_shape": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
        "tile_margin": [Interval(Integral, 0, None, closed="left"), None],
        "n_jobs": [Interval(Integral, None, None, closed="neither"), None],
        "adapt": [Interval(Integral, 0, None, closed="left")],
        "adapt_strength": [Interval(Real, 0, None, closed="neither")],
        "scales": [Interval(Integral, 1, None, closed="left"), None],
        "fusion_weight": [Interval(Real, 0, 1, closed="both"), None],
        "second_stage": [StrOptions({"local"}), LocalStatistics, None],
    }

    def __init__(
        self,
        prior=None,
        *,
        betas=None,
        lam=None,
        stride=None,
        gating="exact",
        clip=None,
        max_patches=32768,
        tile_shape=None,
        tile_margin=None,
        n_jobs=None,
        adapt=0,
        adapt_strength=DEFAULT_STRENGTH,
        scales=None,
        fusion_weight=None,
        second_stage=None,
    ):
        self.prior = prior
        self.betas = betas
        self.lam = lam
        self.stride = stride
        self.gating = gating
        self.clip = clip
        self.max_patches = max_patches
        self.tile_shape = tile_shape
        self.tile_margin = tile_margin
        self.n_jobs = n_jobs
        self.adapt = adapt
        self.adapt_strength = adapt_strength
        self.scales = scales
        self.fusion_weight = fusion_weight
        self.second_stage = second_stage

    def restore(
        self,
        image,
        likelihood,
        *,
        channel_axis=None,
        x0=None,
        callback=None,
        progress=None,
        data_range=None,
    ):
        """Restore ``image`` degraded as described by ``likelihood``.

        Parameters
        ----------
        image : ndarray, dask.array.Array or Array API array
            The observation ``y``, ``(M, N)`` or with ``channel_axis`` (float; integers are
            converted as by :func:`skimage.util.img_as_float`), in any units: it is restored
            as if mapped to [0, 1] (the prior's units) by ``data_range``, and the result
            mapped back. A dask array gives a lazy dask array of the same shape and chunks;
            a PyTorch tensor, a CuPy array or any Array API array is restored on its device
            and gives one of its kind (:doc:`/gpu`).
        likelihood : Likelihood
            The degradation model, its ``sigma`` in the units of ``image`` (shared by every
            channel).
        channel_axis : int or None, default=None
            Axis of colour channels: with a colour prior (``n_channels=3``) the patches hold
            all three channels; with a grey prior three channels are restored in an opponent
            colour space (luminance and two chroma channels), other counts one by one.
        x0 : array_like or None
            Starting estimate, the shape of the restored image: of a grey image, or of a
            colour one restored with colour patches; ``None`` takes
            ``likelihood.initial_estimate(y)``.
        callback : callable or None
            Called as ``callback(iteration, beta, x)`` after every image step (untiled grey
            restoration only; ``x`` and ``beta`` in the units of ``image``).
        progress : callable or None
            Called as ``progress(done, total)`` after every iteration, or every tile when
            restoring in tiles, e.g. for a progress bar.
        data_range : float or None, default=None
            The width of the image's values (scikit-image's ``data_range``: 1 for images in
            [0, 1], 255 for floats holding grey levels). ``None`` infers it from the
            observation: the width of its 0.1 to 99.9 percentiles less the noise's spread;
            an image already in the prior's units keeps them (within [-0.5, 1.5] and at
            least a grey level wide, or 0.25 to 2 wide anywhere).

        Returns
        -------
        x : ndarray, dask.array.Array or Array API array
            The restored image, the shape and kind of ``image`` and in its units; float64,
            or float32 for float32 input.
        """
        return restore(
            image,
            likelihood,
            self._settings_for(likelihood),
            channel_axis=channel_axis,
            data_range=data_range,
            x0=x0,
            callback=callback,
            progress=progress,
        )

    def smallest_chunk(self, likelihood, shape):
        """The smallest chunk side worth restoring a dask array of ``shape`` with: four
        times the context each chunk is restored with (smaller chunks are enlarged, with a
        warning).

        Parameters
        ----------
        likelihood : Likelihood
            The degradation.
        shape : tuple of int
            The image's shape (its first two axes are the spatial ones).

        Returns
        -------
        side : int
            Pixels.

        Examples
        --------
        >>> from skgate import EPLLRestorer, GaussianNoise
        >>> side = EPLLRestorer().smallest_chunk(GaussianNoise(0.1), (4000, 6000))
        >>> side > 8
        True
        """
        return smallest_chunk(self._settings_for(likelihood), likelihood, tuple(shape))

    def _settings_for(self, likelihood):
        """The parameters checked (once per call) and resolved for ``likelihood``."""
        if not isinstance(likelihood, Likelihood):
            raise TypeError(f"likelihood must be a Likelihood, got {type(likelihood).__name__}")
        self._validate_params()
        if self.prior is not None:
            check_is_fitted(self.prior)
            if self.prior.patch_size is None:
                raise ValueError("prior must have an integer patch_size to restore images")
        if self.n_jobs == 0:
            raise ValueError("n_jobs must be None or a non-zero integer, got 0")
        defaults = defaults_for(likelihood)
        # A bad gating fails here, not in a worker; the tables are built once for every tile.
        # The colour layer (skgate._colour) sets 3 for colour patches of RGB images.
        n_channels = 1 if self.prior is None else int(self.prior.n_channels)
        prior, _, _ = models(self.prior, self.gating, n_channels)
        settings = EPLL(
            prior=self.prior,
            n_channels=n_channels,
            gating=self.gating,
            betas=None if self.betas is None else check_betas(self.betas),
            lam=None if self.lam is None else float(self.lam),
            stride=defaults["stride"] if self.stride is None else int(self.stride),
            clip=check_clip(self.clip),
            max_patches=int(self.max_patches),
            tile_shape=self.tile_shape,
            tile_margin=self.tile_margin,
            n_jobs=self.n_jobs,
            adapt=int(self.adapt),
            adapt_strength=float(self.adapt_strength),
            scales=defaults["scales"] if self.scales is None else int(self.scales),
            fusion_weight=self.fusion_weight,
            second_stage=check_second_stage(self.second_stage, prior.patch_size),
        )
        return settings
