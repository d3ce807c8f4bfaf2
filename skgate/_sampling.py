"""Patches sampled from images for training, and the images read for it: random windows of
one or many images (grey or colour), optionally in all eight orientations."""

from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state

from ._backend import sliding_windows
from ._validation import (
    check_channels_image,
    check_fits_in_memory,
    check_float_dtype,
    check_image_2d,
    check_positive_int,
)

__all__ = ["sample_patches", "load_grey_image", "load_colour_image"]


def load_grey_image(source):
    """Read an image file (or take an array) as a 2-D float grey image.

    Colour images are converted with :func:`skimage.color.rgb2gray` (ITU-R 709 luma weights
    0.2125, 0.7154, 0.0721); an alpha channel is dropped.
    """
    from skimage.color import rgb2gray

    image, name = _read_source(source)
    if image.ndim == 3 and image.shape[-1] == 3:
        image = rgb2gray(image)
    return check_image_2d(image, name=name)


def load_colour_image(source):
    """Read an image file (or take an array) as an ``(M, N, 3)`` float RGB image (values as
    :func:`skimage.util.img_as_float` gives them); an alpha channel is dropped."""
    image, name = _read_source(source)
    return check_channels_image(image, 3, "colour", name=name)


def _read_source(source):
    """``(array, name for messages)`` of a file path or an array, alpha and a single
    channel axis dropped."""
    if isinstance(source, (str, Path)):
        from skimage.io import imread

        image = imread(source)
        name = f"image {source}"
    else:
        image = np.asarray(source)
        name = "image"
    if image.ndim == 3 and image.shape[-1] in (2, 4):  # grey or colour with alpha, as the
        image = image[..., :-1]  # command line's denoise reads them: the alpha is dropped
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    return image, name


def sample_patches(
    images,
    n_patches,
    patch_size=8,
    random_state=None,
    dtype=np.float64,
    *,
    augment=False,
    colour=False,
):
    """Draw random ``p x p`` patches from a collection of images, for training a prior.

    Patches are spread over the images in proportion to how many patch positions each has,
    so every position of the collection is equally likely.

    Parameters
    ----------
    images : array_like or sequence of (array_like or path)
        A 2-D image, or a sequence of 2-D images and/or image file paths. Colour images and
        files are converted to grey (see ``load_grey_image``) unless ``colour``.
    n_patches : int
        Number of patches to draw.
    patch_size : int, default=8
        Side ``p`` of the square patches.
    random_state : int, RandomState instance or None, default=None
        Controls which patches are drawn.
    dtype : {np.float64, np.float32}, default=np.float64
        Type of the returned rows.
    augment : bool, default=False
        Apply to each patch one of the 8 symmetries of the square (rotations by multiples of
        90 degrees, with or without a flip), drawn at random: the sample then stands for the
        collection seen in every orientation, as if it were 8 times larger.
    colour : bool, default=False
        Draw RGB patches of colour images (``(M, N, 3)`` arrays or files; an alpha channel
        is dropped) for a colour prior (``GMMPatchPrior(n_channels=3)``).

    Returns
    -------
    patches : (n_patches, n_channels * patch_size**2) ndarray
        One patch per row, pixels row-major (their mean kept); colour patches channel-major:
        the red pixels, then the green, then the blue.

    See Also
    --------
    skgate.extract_patches
    skgate.GMMPatchPrior

    Examples
    --------
    >>> import numpy as np
    >>> image = np.random.default_rng(0).random((32, 32))
    >>> sample_patches([image, image.T], n_patches=5, patch_size=8, random_state=0).shape
    (5, 64)
    """
    n_patches = check_positive_int(n_patches, "n_patches", caller="sample_patches")
    p = check_positive_int(patch_size, "patch_size", caller="sample_patches")
    dtype = check_float_dtype(dtype)
    check_fits_in_memory(n_patches * p * p * np.dtype(dtype).itemsize, f"n_patches={n_patches}")
    rng = check_random_state(random_state)
    single = isinstance(images, np.ndarray) and images.ndim == (3 if colour else 2)
    if isinstance(images, (str, Path)) or single:
        images = [images]
    images = list(images)
    if not images:
        raise ValueError("images is empty")

    load = load_colour_image if colour else load_grey_image
    loaded = [load(source).astype(dtype, copy=False) for source in images]
    for img in loaded:
        if img.shape[0] < p or img.shape[1] < p:
            raise ValueError(f"an image of shape {img.shape} is smaller than patch_size={p}")
    sizes = np.array([(g.shape[0] - p + 1) * (g.shape[1] - p + 1) for g in loaded], float)
    counts = rng.multinomial(n_patches, sizes / sizes.sum())

    n_channels = 3 if colour else 1
    out = np.empty((n_patches, n_channels * p * p), dtype=dtype)
    start = 0
    for image, count in zip(loaded, counts, strict=True):
        # (rows, cols, p, p) windows of a grey image, (rows, cols, 3, p, p) of a colour one
        windows = sliding_windows(image, p)
        flat = rng.randint(0, windows.shape[0] * windows.shape[1], size=count)
        rows, cols = np.divmod(flat, windows.shape[1])
        out[start : start + count] = windows[rows, cols].reshape(count, -1)
        start += count
    if augment:
        _apply_random_symmetries(out.reshape(n_patches, n_channels, p, p), rng)
    return out


def _apply_random_symmetries(squares, rng):
    """In place: each ``(C, p, p)`` patch gets one of the 8 symmetries of the square at
    random, the same for all its channels."""
    choice = rng.randint(0, 8, size=squares.shape[0])
    for k in range(1, 8):
        rows = np.flatnonzero(choice == k)
        moved = np.rot90(squares[rows], k % 4, axes=(2, 3))
        squares[rows] = moved[..., ::-1] if k >= 4 else moved
