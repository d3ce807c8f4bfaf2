"""Argument checks shared by the public functions.

Every check raises ``TypeError`` or ``ValueError`` naming the offending argument, so that bad
input is reported where the user passed it and never surfaces as a crash deep inside numpy.
"""

import numbers

import numpy as np


def check_positive_int(value, name, minimum=1):
    """Return ``value`` as an ``int`` after checking it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def as_float_image(image, name="image"):
    """Float conversion as in scikit-image, for an image of any dimension.

    Integer and boolean images go through :func:`skimage.util.img_as_float` (scaled to [0, 1]
    or [-1, 1]); float32 stays float32; float16 is promoted to float32.
    """
    from skimage.util import img_as_float

    arr = np.asarray(image)
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    arr = img_as_float(arr)
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    return arr


def check_image_2d(image, name="image", min_shape=None):
    """Validate a 2-D real, finite image and return it as a float array.

    Integer and boolean images are converted with :func:`skimage.util.img_as_float`
    (scaled to [0, 1] or [-1, 1] as scikit-image does); float16 is promoted to float32. A float
    image comes back as it is, possibly the caller's own buffer: callers never write into it.
    """
    arr = np.asarray(image)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got an array with shape {arr.shape}")
    arr = as_float_image(arr, name)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if min_shape is not None and (arr.shape[0] < min_shape[0] or arr.shape[1] < min_shape[1]):
        raise ValueError(
            f"{name} with shape {arr.shape} is smaller than the patch size {min_shape}"
        )
    return arr


def check_float_dtype(dtype, name="dtype"):
    """Return ``np.float32`` or ``np.float64`` for ``dtype``; anything else is an error."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r}") from exc
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{name} must be float32 or float64, got {resolved}")
    return resolved.type


def check_real(value, name, allow_zero):
    """``value`` as a float after checking it is a finite real number, > 0 or >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value}")
    return float(value)
