"""Estimating the level of white Gaussian noise in an image."""

import numpy as np

from ._backend import is_array, to_numpy
from ._lazy import is_dask_array, sample_windows
from ._validation import as_float_image, check_channel_axis, check_finite_values

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
    image : ndarray, dask.array.Array or Array API array
        Grey image, or colour with ``channel_axis``. A tensor (any Array API array) is
        copied to the host for the wavelet transform; a dask array is sampled.
    channel_axis : int or None, default=None
        Axis of colour channels; the estimate is the mean of the channels' estimates.

    Returns
    -------
    sigma : float
        The estimated standard deviation.

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
        # Once for the whole image, from a sample of its windows (never all of it; the
        # windows are large whatever the chunks).
        last = None
        if channel_axis is not None:
            check_channel_axis(image.ndim, channel_axis)
            import dask.array as da

            image, last = da.moveaxis(image, channel_axis, -1), -1
        windows = sample_windows(image)
        estimates = [estimate_noise_sigma(window, channel_axis=last) for window in windows]
        return float(np.median(estimates))
    if is_array(image):  # a tensor: the wavelet transform runs on the host
        image = to_numpy(image)
    image = as_float_image(image)
    if channel_axis is None and image.ndim != 2:
        raise ValueError(f"image must be 2-D (or pass channel_axis), got shape {image.shape}")
    if channel_axis is not None:
        check_channel_axis(image.ndim, channel_axis)
    check_finite_values(image, "image")
    channels = [image] if channel_axis is None else list(np.moveaxis(image, channel_axis, 0))
    sigma = float(np.mean([_wavelet_noise_sigma(channel) for channel in channels]))
    # A noise-free (e.g. constant) image gives 0, which no likelihood accepts: the floor is
    # relative to the image's own range, so that the estimate scales with the image (an
    # absolute floor overrode the estimate on images in units of 1e-3 or smaller).
    spread = float(np.ptp(image))
    floor = _RELATIVE_FLOOR * (spread if spread > 0 else max(float(np.max(np.abs(image))), 1.0))
    return sigma if np.isfinite(sigma) and sigma > floor else floor


# The smallest estimate, relative to the image's range (1e-4 of an image in [0, 1]).
_RELATIVE_FLOOR = 1e-4
