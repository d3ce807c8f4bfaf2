"""Demosaicing: a Bayer colour filter array as a degradation of an RGB image.

A Bayer sensor records one colour per pixel, in 2 x 2 cells of one red, two green and one
blue site (``"RGGB"``, ``"BGGR"``, ``"GRBG"`` or ``"GBRG"``: the cell's colours row by row).
Seen from the RGB image, that is inpainting with one mask per channel: each channel is
observed at its own sites only (green at half the pixels, red and blue at a quarter). A
colour prior fills each channel's missing pixels from the others, which a grey prior
restoring the channels one by one cannot do.
"""

import numpy as np

from ._backend import is_array, namespace
from ._channel_stack import ChannelStack
from ._inpainting import Inpainting
from ._validation import check_image_2d, check_noise_level

__all__ = ["BAYER_PATTERNS", "DEMOSAIC_GATING", "bayer_mask", "BayerMosaic"]

BAYER_PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG")

#: Penalties of demosaicing, ``200 * 1.5^k``, k = 0..18, with the network gating below.
#: Compared on the first 20 validation photographs (``benchmarks/bench_demosaic.py --images
#: 20 --config 'label={"betas": [...]}'``, printed; not kept as a docs table), mean CPSNR:
#: 40.00 dB, against 38.68 for ``200 * 2^k`` (k = 0..11, chosen earlier with exact gating
#: on the first three McMaster images), 38.76 for ``200 * 2^k`` to k = 13, 38.89 for
#: ``50 * 2^k`` (14 steps) and 37.51 for ``800 * 2^k`` (10); strides 2 and 1 gained nothing.
#: Confirmed on all 18 McMaster images (35.26 dB against 35.31 for the earlier schedule,
#: Menon +1.01 on 18 of 18) and all 200 validation photographs (39.58 against 38.24, Menon
#: +1.74 on 92 %): the demosaic_schedule_mcmaster18 and demosaic_schedule200 tables.
DEMOSAIC_BETAS = 200.0 * 1.5 ** np.arange(19)

#: Gating of demosaicing: the colour prior's network. On the first 20 validation photographs
#: (``benchmarks/bench_demosaic.py --images 20``, doc/validation_tasks.rst "Demosaicing",
#: the demosaic_network_bsds20 table) it beat exact gating by about 1 dB (38.68 against
#: 37.71 dB CPSNR; 0.70 s against 11.6 s per image); on all 18 McMaster images it was 0.09
#: dB below exact (35.31 against 35.40), still above every reference method on every image.
#: Confirmed on all 200 validation photographs (the demosaic200 table, the earlier
#: schedule): 38.24 dB, Menon (2007) +0.40, better than Menon on 66 % of them.
DEMOSAIC_GATING = "network"

#: The data term's weight in demosaicing: this many times the ``p^2 / sigma^2`` of the other
#: likelihoods. With noise the data term must count for more than in denoising, because
#: the schedule above starts far below ``1 / sigma^2``. On the first 6 validation
#: photographs (``benchmarks/bench_demosaic.py --images 6 --sigmas 5`` and ``10``,
#: ``--config 'label={"lam": ...}'``, printed) mean CPSNR at sigma 5 / 10: factor 1 33.52 /
#: 29.96 dB, 0.5 31.81 / 28.53, 2 34.77 / 31.34, 4 35.31 / 32.21, 8 35.25 / 32.02; Menon
#: followed by CBM3D 33.62 / 30.15. Confirmed by the demosaic_noisy_lam tables
#: (doc/validation_tasks.rst, "Demosaicing"). Noise-free (sigma 1e-3) it changes little:
#: 40.02 dB against 40.00 on the first 20 validation photographs.
DEMOSAIC_LAM_FACTOR = 4.0


def _check_pattern(pattern):
    if not isinstance(pattern, str) or pattern.upper() not in BAYER_PATTERNS:
        raise ValueError(f"pattern must be one of {', '.join(BAYER_PATTERNS)}, got {pattern!r}")
    return pattern.upper()


def bayer_mask(shape, pattern="RGGB"):
    """The pixels a Bayer colour filter array does not record, per channel.

    Parameters
    ----------
    shape : tuple of int
        ``(M, N)``, the image's spatial shape.
    pattern : {"RGGB", "BGGR", "GRBG", "GBRG"}, default="RGGB"
        The colours of the array's 2 x 2 cell, row by row, from the top-left pixel.

    Returns
    -------
    mask : (M, N, 3) ndarray of bool
        True where channel ``c`` (red, green, blue) is missing, as the masks of
        :func:`inpaint_epll`.

    See Also
    --------
    skgate.demosaic_epll
    skgate.BayerMosaic

    Examples
    --------
    >>> from skgate import bayer_mask
    >>> missing = bayer_mask((2, 2), "RGGB")
    >>> (~missing).astype(int)[..., 0].tolist()  # where red is recorded
    [[1, 0], [0, 0]]
    >>> int((~missing).sum())  # one colour per pixel
    4
    """
    pattern = _check_pattern(pattern)
    try:
        rows, cols = (int(n) for n in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape must be (rows, cols), got {shape!r}") from None
    if rows < 2 or cols < 2:
        raise ValueError(f"shape must be at least (2, 2), got {shape!r}")
    observed = np.zeros((rows, cols, 3), dtype=bool)
    for site, colour in enumerate(pattern):
        r, c = divmod(site, 2)
        observed[r::2, c::2, "RGB".index(colour)] = True
    return ~observed


class BayerMosaic(ChannelStack):
    """A Bayer colour filter array: one colour recorded per pixel, with white noise.

    An inpainting degradation per channel (:class:`ChannelStack` of :class:`Inpainting`),
    with the penalties of demosaicing by default. The observation is the RGB image with
    each channel's values at its own sites (anything elsewhere); :meth:`observation`
    builds it from the raw ``(M, N)`` mosaic.

    Parameters
    ----------
    shape : tuple of int
        ``(M, N)``, the image's spatial shape.
    pattern : {"RGGB", "BGGR", "GRBG", "GBRG"}, default="RGGB"
        The colours of the array's 2 x 2 cell, row by row.
    sigma : float, default=1e-3
        Noise of the recorded values (image in [0, 1]).

    See Also
    --------
    skgate.demosaic_epll
    skgate.bayer_mask

    Examples
    --------
    >>> import numpy as np
    >>> from skgate import BayerMosaic
    >>> mosaic = BayerMosaic((4, 4), "GRBG")
    >>> rgb = np.random.default_rng(0).random((4, 4, 3))
    >>> raw = mosaic.raw(rgb)  # what the sensor records
    >>> y = mosaic.observation(raw)
    >>> bool(np.isnan(y).sum() == 2 * 16)  # two of three values missing at every pixel
    True
    """

    def __init__(self, shape, pattern="RGGB", sigma=1e-3):
        self.pattern = _check_pattern(pattern)
        sigma = check_noise_level(sigma, caller="BayerMosaic")
        self.missing = bayer_mask(shape, self.pattern)
        super().__init__([Inpainting(self.missing[..., c], sigma) for c in range(3)])

    def __repr__(self):
        shape = self.missing.shape[:2]
        return f"BayerMosaic({shape}, {self.pattern!r}, sigma={self.sigma:g})"

    def raw(self, image):
        """The mosaic a sensor with this array records of an RGB image (without noise).

        Parameters
        ----------
        image : (M, N, 3) array_like
            RGB image, channels last.

        Returns
        -------
        raw : (M, N) ndarray
            Each pixel's recorded colour.
        """
        image = np.asarray(image, dtype=np.float64)
        if image.shape != self.missing.shape:
            raise ValueError(f"image must have shape {self.missing.shape}, got {image.shape}")
        return np.where(self.missing, 0.0, image).sum(axis=-1)

    def observation(self, raw):
        """The observation of a raw mosaic as this degradation sees it.

        Parameters
        ----------
        raw : (M, N) array_like
            The recorded values, one per pixel.

        Returns
        -------
        y : (M, N, 3) ndarray
            Each channel's values at its sites, NaN elsewhere.
        """
        raw = check_image_2d(raw, name="raw")
        if tuple(raw.shape) != self.missing.shape[:2]:
            raise ValueError(
                f"raw must have shape {self.missing.shape[:2]}, got {tuple(raw.shape)}"
            )
        if is_array(raw):  # on raw's device
            xp, _ = namespace(raw)
            missing = self._on_device_of(raw, "missing", self.missing)
            return xp.where(missing, xp.nan, xp.stack([raw] * 3, axis=-1))
        return np.where(self.missing, np.nan, raw[..., None])

    def tile(self, window):
        out = super().tile(window)
        out.missing = self.missing[window]
        return out

    def default_betas(self):
        """The penalties of the splitting when the restorer is given none.

        Returns
        -------
        betas : ndarray
            ``200 * 1.5^k``, k = 0..18 (chosen on validation photographs with the colour
            gating network, confirmed on McMaster and all 200: :doc:`/validation_tasks`).
        """
        return DEMOSAIC_BETAS.copy()

    def default_lam(self, patch_size):
        """The weight of the data term when the restorer is given none.

        Parameters
        ----------
        patch_size : int
            Side of the prior's patches.

        Returns
        -------
        float
            ``4 * patch_size**2 / sigma**2``: four times that of the other likelihoods
            (chosen on validation photographs with noise: :doc:`/validation_tasks`).
        """
        return DEMOSAIC_LAM_FACTOR * super().default_lam(patch_size)
