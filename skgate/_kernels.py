"""Blur kernels (point-spread functions) for :class:`~skgate.Blur` and the command line."""

from numbers import Integral, Real

import numpy as np

__all__ = ["gaussian_kernel", "motion_kernel", "parse_kernel"]


#: Widest kernel built from parameters (pixels): far beyond any image a blur applies to, and
#: small enough to allocate (gaussian:1e6 would need terabytes).
MAX_KERNEL_SIZE = 4001


def _check_size(size, name, value):
    if size > MAX_KERNEL_SIZE:
        raise ValueError(
            f"{name}={value:g} gives a {size}-pixel kernel; kernels are limited to "
            f"{MAX_KERNEL_SIZE} pixels across"
        )
    return size


def _check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return float(value)


def gaussian_kernel(std, size=None):
    """Isotropic Gaussian blur kernel, normalised to sum 1.

    Parameters
    ----------
    std : float
        Standard deviation, in pixels.
    size : int or None, default=None
        Side of the (square) kernel, odd; ``None`` is ``2 * ceil(3 * std) + 1``.

    Returns
    -------
    kernel : (size, size) ndarray
        The point-spread function, centred.

    See Also
    --------
    skgate.motion_kernel
    skgate.Blur
    skgate.deblur_epll

    Examples
    --------
    >>> k = gaussian_kernel(1.6, size=9)
    >>> k.shape, round(float(k.sum()), 6)
    ((9, 9), 1.0)
    """
    std = _check_positive(std, "std")
    if size is None:
        size = _check_size(2 * int(np.ceil(min(3 * std, 1e18))) + 1, "std", std)
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, Integral):
        raise ValueError(f"size must be an odd positive integer, got {size!r}")
    size = int(size)
    if size < 1 or size % 2 == 0:
        raise ValueError(f"size must be an odd positive integer, got {size!r}")
    _check_size(size, "size", size)
    ax = np.arange(size) - size // 2
    k = np.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2) / (2 * std**2))
    return k / k.sum()


def motion_kernel(length, angle=0.0):
    """Straight camera motion, as a line rasterised into a kernel normalised to sum 1.

    Parameters
    ----------
    length : float
        Length of the motion, in pixels.
    angle : float, default=0.0
        Direction, in degrees counter-clockwise from the x axis.

    Returns
    -------
    kernel : (n, n) ndarray
        The point-spread function, centred; ``n`` is ``ceil(length)`` made odd.

    See Also
    --------
    skgate.gaussian_kernel
    skgate.Blur
    skgate.deblur_epll

    Examples
    --------
    >>> k = motion_kernel(5, 0)
    >>> k[2]
    array([0.2, 0.2, 0.2, 0.2, 0.2])
    """
    length = _check_positive(length, "length")
    if isinstance(angle, bool) or not isinstance(angle, Real) or not np.isfinite(angle):
        raise ValueError(f"angle must be a finite number, got {angle!r}")
    n = _check_size(max(1, int(np.ceil(min(length, 1e18)))), "length", length)
    size = n if n % 2 else n + 1
    k = np.zeros((size, size))
    c = size // 2
    # 16 evenly spread samples per pixel of path, each dropped in its nearest pixel
    t = ((np.arange(16 * n) + 0.5) / (16 * n) - 0.5) * length
    rad = np.deg2rad(angle)
    rows = np.round(c - t * np.sin(rad)).astype(int)
    cols = np.round(c + t * np.cos(rad)).astype(int)
    np.add.at(k, (rows, cols), 1.0)
    return k / k.sum()


def parse_kernel(spec):
    """A kernel from ``"gaussian:STD"``, ``"motion:LENGTH,ANGLE"`` or a ``.npy`` file path.

    Examples
    --------
    >>> parse_kernel("motion:3,90")[:, 1]
    array([0.33333333, 0.33333333, 0.33333333])
    """
    if not isinstance(spec, str):
        raise TypeError(f"kernel must be a string, got {type(spec).__name__}")
    kind, _, params = spec.partition(":")
    if kind in ("gaussian", "motion") and params:
        try:
            values = [float(v) for v in params.split(",")]
        except ValueError:
            raise ValueError(f"kernel {spec!r}: parameters must be numbers") from None
        if kind == "gaussian" and len(values) == 1:
            return gaussian_kernel(values[0])
        if kind == "motion" and len(values) in (1, 2):
            return motion_kernel(*values)
        raise ValueError(f"kernel {spec!r}: expected gaussian:STD or motion:LENGTH,ANGLE")
    if spec.endswith(".npy"):
        kernel = np.load(spec, allow_pickle=False)
        if kernel.ndim != 2 or not np.issubdtype(kernel.dtype, np.number):
            raise ValueError(f"kernel file {spec}: expected a 2-D numeric array")
        return kernel.astype(np.float64)
    raise ValueError(f"kernel {spec!r}: expected gaussian:STD, motion:LENGTH,ANGLE or a .npy file")
