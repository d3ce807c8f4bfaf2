"""Estimating the level of white Gaussian noise in an image."""

import numbers

import numpy as np

from ._validation import as_float_image, check_finite_values
from .lazy import is_dask_array, sample_blocks

__all__ = ["estimate_noise_sigma"]


# Daubechies-2 decomposition high-pass filter (orthonormal, so white noise keeps its variance).
_DB2_HIGH_PASS = np.array(
    [-0.48296291314453416, 0.83651630373780794, -0.22414386804201339, -0.12940952255126037]
)


# Median absolute value of a standard normal variable (Phi^{-1}(3/4)).
_NORMAL_MAD = 0.6744897501960817


def _wavelet_noise_sigma(channel):
    """Donoho's MAD estimate from the finest diagonal (high-high) wavelet band of one channel."""
    if min(channel.shape) < _DB2_HIGH_PASS.size:
        raise ValueError(
            f"image must be at least {_DB2_HIGH_PASS.size} pixels on each side to estimate "
            f"its noise, got shape {channel.shape}"
        )
    band = channel.astype(np.float64)
    taps = _DB2_HIGH_PASS.size
    for axis in (0, 1):
        # "Valid" filtering (no boundary padding) decimated by two, as the finest DWT level.
        band = np.moveaxis(band, axis, 0)
        length = band.shape[0] - taps + 1
        band = sum(weight * band[tap : tap + length] for tap, weight in enumerate(_DB2_HIGH_PASS))
        band = np.moveaxis(band[::2], 0, axis)
    coefficients = np.abs(band[band != 0])
    if coefficients.size == 0:
        return 0.0
    return float(np.median(coefficients) / _NORMAL_MAD)


def estimate_noise_sigma(image, *, channel_axis=None):
    """Estimate the standard deviation of white Gaussian noise in ``image``.

    The robust wavelet estimator of Donoho & Johnstone, as in
    :func:`skimage.restoration.estimate_sigma` (median absolute finest diagonal Daubechies-2
    coefficient / 0.6745) but without needing PyWavelets and without boundary padding, averaged
    over channels, in the units of the float image (integers are converted as by
    :func:`skimage.util.img_as_float`).

    Parameters
    ----------
    image : ndarray
        Grey image, or colour with ``channel_axis``.
    channel_axis : int or None, default=None

    Returns
    -------
    sigma : float

    See Also
    --------
    skgate.denoise_epll
    skimage.restoration.estimate_sigma

    Notes
    -----
    The estimator reads textures as noise, so it overestimates low noise levels on detailed
    images (its measured accuracy is in :doc:`/benchmarks`).

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> clean = data.camera() / 255.0
    >>> noisy = clean + 0.1 * np.random.default_rng(0).standard_normal(clean.shape)
    >>> round(estimate_noise_sigma(noisy), 2)
    0.1
    """
    if is_dask_array(image):
        # Once for the whole image, from a sample of its chunks (never all of it).
        blocks = sample_blocks(image)
        estimates = [estimate_noise_sigma(block, channel_axis=channel_axis) for block in blocks]
        return float(np.median(estimates))
    image = as_float_image(image)
    if channel_axis is None and image.ndim != 2:
        raise ValueError(f"image must be 2-D (or pass channel_axis), got shape {image.shape}")
    if channel_axis is not None:
        if image.ndim != 3:
            raise ValueError(
                f"with channel_axis, image must be 3-D (rows, cols, channels), got shape "
                f"{image.shape}"
            )
        if isinstance(channel_axis, bool) or not isinstance(channel_axis, numbers.Integral):
            raise TypeError(f"channel_axis must be an integer or None, got {channel_axis!r}")
        if not -3 <= channel_axis < 3:
            raise ValueError(f"channel_axis must be an axis of the 3-D image, got {channel_axis}")
    check_finite_values(image, "image")
    channels = [image] if channel_axis is None else list(np.moveaxis(image, channel_axis, 0))
    sigma = float(np.mean([_wavelet_noise_sigma(channel) for channel in channels]))
    # A noise-free (e.g. constant) image gives 0 or NaN, which no likelihood accepts.
    return sigma if np.isfinite(sigma) and sigma > 1e-4 else 1e-4
