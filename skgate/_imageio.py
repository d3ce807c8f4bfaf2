"""Reading and writing image files for the command line, keeping the file's range.

An image is read as float (scikit-image's rules: uint8 and uint16 scaled to [0, 1]) together
with what is needed to write the result back in the input's own kind: same dtype, same
range, colour or grey, an alpha channel passed through unchanged. Writing is atomic: a
temporary file in the target folder, then a rename, so an interrupted run never leaves a
half-written image behind.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._files import atomic_path

__all__ = ["ImageFile", "output_dtype", "read_image", "write_image"]


@dataclass
class ImageFile:
    """A float image as read from a file, and how to write a result back like it."""

    image: np.ndarray  # float, (M, N) or (M, N, C) without alpha
    dtype: np.dtype  # the file's dtype
    alpha: np.ndarray | None  # the alpha channel as read, or None

    @property
    def channel_axis(self):
        return -1 if self.image.ndim == 3 else None

    @property
    def in_unit_range(self):
        return bool(self.image.min() >= 0.0 and self.image.max() <= 1.0)


def read_image(path):
    """Read ``path`` (PNG, JPEG, TIFF including 16-bit, ...) as an :class:`ImageFile`."""
    from skimage.io import imread
    from skimage.util import img_as_float

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such image file: {path}")
    try:
        raw = imread(path)
    except Exception as exc:  # the readers raise anything from OSError to SyntaxError
        # imageio's messages run over many lines (plugin advice); the first one says it
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"cannot read image {path}: {reason}") from None
    if raw.dtype == object or raw.ndim not in (2, 3) or raw.size == 0:
        raise ValueError(f"{path}: not a 2-D grey or colour image (shape {raw.shape})")
    if raw.ndim == 3 and raw.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"{path}: expected 1 to 4 channels, got shape {raw.shape}")
    alpha = None
    if raw.ndim == 3 and raw.shape[-1] in (2, 4):
        raw, alpha = raw[..., :-1], raw[..., -1].copy()
    if raw.ndim == 3 and raw.shape[-1] == 1:
        raw = raw[..., 0]
    image = img_as_float(raw)
    if not np.all(np.isfinite(image)):
        raise ValueError(f"{path}: image contains NaN or infinite values")
    return ImageFile(np.asarray(image, dtype=np.float64), raw.dtype, alpha)


def to_dtype(image, dtype):
    """Float ``image`` in the file's ``dtype``, the inverse of the scaling on reading
    (scikit-image's ``img_as_float``): unsigned integers from [0, 1], signed ones from
    [-1, 1], floats as they are."""
    from skimage.util import img_as_ubyte, img_as_uint

    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return img_as_ubyte(np.clip(image, 0.0, 1.0))
    if dtype == np.uint16:
        return img_as_uint(np.clip(image, 0.0, 1.0))
    if dtype.kind == "f":
        return image.astype(dtype)
    top = np.iinfo(dtype).max
    low = -1.0 if dtype.kind == "i" else 0.0
    return np.round(np.clip(image, low, 1.0) * top).astype(dtype)


# Every sample type a TIFF holds as it is (tifffile writes them all).
_TIFF_SAMPLES = (
    "uint8",
    "uint16",
    "uint32",
    "int8",
    "int16",
    "int32",
    "float16",
    "float32",
    "float64",
)

#: Formats written, and the sample types each holds without loss of range or precision.
WRITABLE = {
    ".png": ("uint8", "uint16"),
    ".tif": _TIFF_SAMPLES,
    ".tiff": _TIFF_SAMPLES,
    ".jpg": ("uint8",),
    ".jpeg": ("uint8",),
    ".bmp": ("uint8",),
}


def _holds_alpha(suffix, ndim):
    """Whether a ``suffix`` file holds an alpha channel beside grey (``ndim`` 2) or colour
    pixels (Pillow writes RGBA but not grey+alpha BMP, and no alpha in JPEG)."""
    if suffix in (".png", ".tif", ".tiff"):
        return True
    return suffix == ".bmp" and ndim == 3


def check_writable(path):
    """Raise ``ValueError`` unless ``path`` has an extension we can write."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITABLE:
        raise ValueError(
            f"cannot write {path}: use one of {', '.join(sorted(WRITABLE))} as the extension"
        )
    return suffix


def output_dtype(path, like):
    """The sample type ``path`` is written in for an input like ``like`` (an
    :class:`ImageFile`): the input's own. Raises ``ValueError``, before any work is done,
    when the format cannot hold it (a signed, 32-bit or float image into PNG or JPEG,
    16 bits into JPEG, a bilevel image anywhere) instead of silently clipping or rescaling.
    A float image within [0, 1] may go to PNG as 16-bit."""
    suffix = check_writable(path)
    holds = WRITABLE[suffix]
    if getattr(like, "alpha", None) is not None and not _holds_alpha(suffix, like.image.ndim):
        raise ValueError(
            f"cannot write {path}: a {Path(path).suffix} file cannot hold the input's alpha "
            "channel; write .png or .tif instead"
        )
    dtype = np.dtype(like.dtype)
    if dtype.name in holds:
        return dtype
    if dtype.kind == "f" and "uint16" in holds and like.in_unit_range:
        return np.dtype(np.uint16)
    where = [s for s, kinds in WRITABLE.items() if dtype.name in kinds and s != ".tiff"]
    hint = f"; write {' or '.join(where)} instead" if where else ""
    raise ValueError(
        f"cannot write {path}: a {Path(path).suffix} file cannot hold the input's "
        f"{dtype.name} samples without losing range or precision{hint}"
    )


def write_image(path, image, like):
    """Write float ``image`` to ``path`` in the kind of ``like`` (an :class:`ImageFile`),
    atomically, in the input's sample type (see :func:`output_dtype`)."""
    from skimage.io import imsave
    from skimage.util import img_as_float

    path = Path(path)
    dtype = output_dtype(path, like)
    out = to_dtype(image, dtype)
    if like.alpha is not None:
        alpha = like.alpha
        if alpha.dtype != out.dtype:
            alpha = to_dtype(img_as_float(alpha), out.dtype)
        out = np.concatenate([out.reshape(*out.shape[:2], -1), alpha[..., None]], axis=-1)
    with atomic_path(path) as temporary:
        imsave(temporary, out, check_contrast=False)
