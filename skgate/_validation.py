"""Argument checks shared by the public functions.

Every check raises ``TypeError`` or ``ValueError`` naming the offending argument, so that bad
input is reported where the user passed it and never surfaces as a crash deep inside numpy.
Numbers are checked by scikit-learn's parameter machinery, the one behind the estimators'
``_parameter_constraints``: the same mistake gets the same ``InvalidParameterError`` (a
``ValueError`` and a ``TypeError``) and the same wording wherever it is made.
"""

import math
import numbers
import os

import numpy as np
from sklearn.utils._param_validation import Interval, validate_parameter_constraints

from ._backend import from_numpy, is_array, is_numpy, namespace, to_numpy


class NumberInterval(Interval):
    """scikit-learn's ``Interval`` without bools: ``True`` is an ``Integral`` to Python, but
    never a noise level, a stride or a number of jobs to a user."""

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)

    def __str__(self):
        return f"{super().__str__()} (not a bool)"


def _check_number(value, name, interval, caller):
    validate_parameter_constraints({name: [interval]}, {name: value}, caller_name=caller)


def check_positive_int(value, name, minimum=1, caller="skgate"):
    """Return ``value`` as an ``int`` after checking it is an integer ``>= minimum``."""
    if type(value) is int and value >= minimum:  # the common case, without the machinery
        return value
    interval = NumberInterval(numbers.Integral, minimum, None, closed="left")
    _check_number(value, name, interval, caller)
    return int(value)


def _as_array(values, name):
    if is_array(values):  # a tensor (any device) or another Array API array: kept as it is
        return values
    try:
        return np.asarray(values)
    except (TypeError, ValueError) as exc:  # ragged nested lists, objects numpy cannot take
        raise ValueError(f"{name} is not an array of numbers: {exc}") from None


def as_float_image(image, name="image"):
    """Float conversion as in scikit-image, for an image of any dimension.

    Integer and boolean images go through :func:`skimage.util.img_as_float` (scaled to [0, 1]
    or [-1, 1]); float32 stays float32; float16 is promoted to float32, longdouble
    becomes float64.
    """
    from skimage.util import img_as_float

    arr = _as_array(image, name)
    xp, device = namespace(arr)
    if not is_numpy(xp):
        return _as_float_array(arr, xp, device, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    arr = img_as_float(arr)
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    elif arr.dtype not in (np.float32, np.float64):  # longdouble: numpy's BLAS and FFT stop
        arr = arr.astype(np.float64)
    return arr


def _as_float_array(arr, xp, device, name):
    """:func:`as_float_image` for an array of another library: float32 and float64 stay,
    other floats become float32; integers and booleans are scaled on the host as
    scikit-image does (a rare case, not worth a second implementation)."""
    from skimage.util import img_as_float

    if math.prod(arr.shape) == 0:
        raise ValueError(f"{name} is empty (shape {tuple(arr.shape)})")
    if xp.isdtype(arr.dtype, "complex floating"):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if xp.isdtype(arr.dtype, "real floating"):
        if arr.dtype in (xp.float32, xp.float64):
            return arr
        return xp.astype(arr, xp.float32)
    if xp.isdtype(arr.dtype, ("integral", "bool")):
        return from_numpy(img_as_float(to_numpy(arr)), xp, device, xp.float32)
    raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")


#: Largest magnitude accepted in images and noise levels, and the smallest noise level: the
#: patch arithmetic runs in float32, where squares and sums of squares of larger values (or
#: the penalties ``1 / sigma^2`` of smaller noise levels) overflow and turn into NaN.
MAX_ABS_VALUE = 1e12
MIN_SIGMA = 1e-12


def check_finite_values(arr, name="image"):
    """Raise ``ValueError`` naming ``name`` unless every value of ``arr`` is finite and at
    most :data:`MAX_ABS_VALUE` in magnitude."""
    xp, _ = namespace(arr)
    if not bool(xp.all(xp.isfinite(arr))):
        raise ValueError(f"{name} contains NaN or infinite values")
    largest = float(xp.max(xp.abs(arr))) if math.prod(arr.shape) else 0.0
    if largest > MAX_ABS_VALUE:
        raise ValueError(
            f"{name} has values up to {largest:.3g} in magnitude, beyond the {MAX_ABS_VALUE:g} "
            "that the float32 patch arithmetic holds; rescale the image (and sigma) first"
        )
    return arr


def check_image_2d(image, name="image", min_shape=None, finite=True):
    """Validate a 2-D real, finite image and return it as a float array.

    Integer and boolean images are converted with :func:`skimage.util.img_as_float`
    (scaled to [0, 1] or [-1, 1] as scikit-image does); float16 is promoted to float32. A float
    image comes back as it is, possibly the caller's own buffer: callers never write into it.
    """
    arr = _as_array(image, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got an array with shape {arr.shape}")
    arr = as_float_image(arr, name)
    if finite:  # False: the caller checks the pixels it uses
        check_finite_values(arr, name)
    if min_shape is not None and (arr.shape[0] < min_shape[0] or arr.shape[1] < min_shape[1]):
        raise ValueError(
            f"{name} with shape {arr.shape} is smaller than the patch size {min_shape}"
        )
    return arr


def check_channels_image(image, n_channels, what, name="image"):
    """Validate a real, finite ``(M, N, n_channels)`` image (channels last; ``what`` says
    why in the message) and return it as a float array, converted as
    :func:`check_image_2d` converts grey ones."""
    arr = _as_array(image, name)
    if arr.ndim != 3 or arr.shape[-1] != n_channels or min(arr.shape[:2]) < 1:
        raise ValueError(
            f"{name} must have shape (M, N, {n_channels}) ({what}), got shape {arr.shape}"
        )
    arr = as_float_image(arr, name)
    return check_finite_values(arr, name)


def check_channel_axis(ndim, channel_axis):
    """Raise unless ``channel_axis`` (not None) is an integer axis of a 3-D image (``ndim``
    is the image's)."""
    if isinstance(channel_axis, (bool, np.bool_)) or not isinstance(channel_axis, numbers.Integral):
        raise TypeError(f"channel_axis must be an integer or None, got {channel_axis!r}")
    if ndim != 3:
        raise ValueError(
            f"with channel_axis, image must be 3-D (rows, cols, channels), got {ndim} dimensions"
        )
    if not -3 <= channel_axis < 3:
        raise ValueError(f"channel_axis must be an axis of the 3-D image, got {channel_axis}")
    return int(channel_axis)


def check_float_dtype(dtype, name="dtype"):
    """Return ``np.float32`` or ``np.float64`` for ``dtype``; anything else is an error."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r}") from exc
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{name} must be float32 or float64, got {resolved}")
    return resolved.type


#: Noise levels a likelihood accepts: their squares and reciprocal squares hold in float64.
#: The tighter float32 bounds apply to sigma relative to the image's data range, checked when
#: the image is known (``skgate._units.check_unit_sigma``).
SIGMA_LIMITS = (1e-150, 1e150)


def check_noise_level(value, name="sigma", caller="skgate"):
    """``value`` as a float after checking it is a real number (not a bool) in
    :data:`SIGMA_LIMITS`."""
    if type(value) is float and SIGMA_LIMITS[0] <= value <= SIGMA_LIMITS[1]:
        return value  # the common case (and every level the core derives), directly
    _check_number(value, name, NumberInterval(numbers.Real, 0, None, closed="neither"), caller)
    value = float(value)
    if not SIGMA_LIMITS[0] <= value <= SIGMA_LIMITS[1]:
        raise ValueError(
            f"The {name!r} parameter of {caller} must lie in [{SIGMA_LIMITS[0]:g}, "
            f"{SIGMA_LIMITS[1]:g}], got {value:g}"
        )
    return value


def check_real(value, name, allow_zero, caller="skgate"):
    """``value`` as a float after checking it is a finite real number, > 0 or >= 0."""
    closed = "left" if allow_zero else "neither"
    _check_number(value, name, NumberInterval(numbers.Real, 0, None, closed=closed), caller)
    return float(value)


def physical_memory():
    """Bytes of physical memory, or None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_fits_in_memory(n_bytes, what):
    """Refuse, before allocating, an array of ``n_bytes`` larger than the machine's memory
    (``what`` names the argument that asked for it)."""
    available = physical_memory()
    if available is not None and n_bytes > available:
        raise ValueError(
            f"{what} needs {n_bytes / 2**30:.3g} GiB, more than this machine's "
            f"{available / 2**30:.3g} GiB of memory"
        )
