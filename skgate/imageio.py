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

__all__ = ["ImageFile", "read_image", "write_image"]


@dataclass
class ImageFile:
    """A float image as read from a file, and how to write a result back like it."""

    image: np.ndarray  # float, (M, N) or (M, N, C) without alpha
    dtype: np.dtype  # the file's dtype
    alpha: np.ndarray | None  # the alpha channel as read, or None

    @property
    def channel_axis(self):
        return -1 if self.image.ndim == 3 else None


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


def _to_dtype(image, dtype):
    from skimage.util import img_as_ubyte, img_as_uint

    if dtype == np.uint8:
        return img_as_ubyte(np.clip(image, 0.0, 1.0))
    if dtype == np.uint16:
        return img_as_uint(np.clip(image, 0.0, 1.0))
    if np.issubdtype(dtype, np.floating):
        return image.astype(dtype)
    # other integer files (int16, uint32, bool) are written as 16-bit
    return img_as_uint(np.clip(image, 0.0, 1.0))


#: Formats written, and the sample types they hold (the first is used for anything else).
WRITABLE = {
    ".png": (np.uint8, np.uint16),
    ".tif": (np.uint16, np.uint8, np.float32, np.float64),
    ".tiff": (np.uint16, np.uint8, np.float32, np.float64),
    ".jpg": (np.uint8,),
    ".jpeg": (np.uint8,),
    ".bmp": (np.uint8,),
}


def check_writable(path):
    """Raise ``ValueError`` unless ``path`` has an extension we can write."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITABLE:
        raise ValueError(
            f"cannot write {path}: use one of {', '.join(sorted(WRITABLE))} as the extension"
        )
    return suffix


def write_image(path, image, like):
    """Write float ``image`` to ``path`` in the kind of ``like`` (an :class:`ImageFile`),
    atomically. The input's sample type is kept when the format holds it (a 16-bit PNG
    stays 16-bit); otherwise the format's own (8-bit for JPEG)."""
    from skimage.io import imsave
    from skimage.util import img_as_float

    path = Path(path)
    holds = WRITABLE[check_writable(path)]
    dtype = like.dtype if any(like.dtype == t for t in holds) else np.dtype(holds[0])
    if np.issubdtype(like.dtype, np.floating) and ".png" == path.suffix.lower():
        dtype = np.dtype(np.uint16)  # float data keeps more than 8 bits where it can
    out = _to_dtype(image, dtype)
    if like.alpha is not None:
        alpha = like.alpha
        if alpha.dtype != out.dtype:
            alpha = _to_dtype(img_as_float(alpha), out.dtype)
        out = np.concatenate([out.reshape(*out.shape[:2], -1), alpha[..., None]], axis=-1)
    with atomic_path(path) as temporary:
        imsave(temporary, out, check_contrast=False)
