"""Patch machinery: the grid, extraction, its adjoint (aggregation, whose adds live in
``skgate._aggregation``), coverage, DC removal.

Notation: ``P_i x`` is the i-th ``p x p`` patch of the image ``x`` as a row of length ``p*p``
(row-major inside the patch). Patches sit on a grid of top-left corners; with ``stride > 1``
the last row and column of the grid are snapped to the border so every pixel is covered, and
an ``offset`` shifts the grid (the first row/column at 0 is kept so the border stays covered).

Extraction ``P`` and aggregation ``P^T`` are exact adjoints:
``<extract_patches(x), Z> == <x, aggregate_patches(Z)>``.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ._aggregation import add_patch_blocks, arithmetic_runs, run_span
from ._backend import namespace, sliding_windows
from ._docstrings import shares_parameters
from ._validation import (
    check_float_dtype,
    check_image_2d,
    check_positive_int,
)

__all__ = [
    "PatchGrid",
    "shifted_offset",
    "extract_patches",
    "aggregate_patches",
    "patch_coverage",
    "remove_dc",
]


def _axis_positions(length, patch_size, stride, offset):
    """Top-left corners along one axis such that every one of ``length`` pixels is covered."""
    last = length - patch_size
    positions = np.arange(offset % stride if stride > 1 else 0, last + 1, stride)
    # Snapping to both borders keeps every pixel covered whatever the stride and offset.
    return np.unique(np.concatenate([[0], positions, [last]])).astype(np.intp)


@dataclass(frozen=True)
class PatchGrid:
    """The grid of ``patch_size x patch_size`` patches covering an image.

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width)`` of the image; both at least ``patch_size``.
    patch_size : int, default=8
        Side of the square patches.
    stride : int, default=1
        Distance between neighbouring patch corners (1 = all overlapping patches).
    offset : tuple of int, default=(0, 0)
        Shift of the grid, taken modulo ``stride``; lets successive passes use different grids.
    n_channels : int, default=1
        Channels of the image: with more than one, images are ``(height, width, n_channels)``
        and patch rows channel-major (``n_channels * patch_size**2`` values: each channel's
        pixels row-major, one channel after the other).

    Examples
    --------
    >>> grid = PatchGrid((10, 12), patch_size=4, stride=3)
    >>> grid.rows.tolist(), grid.cols.tolist()
    ([0, 3, 6], [0, 3, 6, 8])
    >>> grid.n_patches
    12
    """

    image_shape: tuple
    patch_size: int = 8
    stride: int = 1
    offset: tuple = (0, 0)
    n_channels: int = 1

    def __post_init__(self):
        p = check_positive_int(self.patch_size, "patch_size", caller="PatchGrid")
        check_positive_int(self.n_channels, "n_channels", caller="PatchGrid")
        stride = check_positive_int(self.stride, "stride", caller="PatchGrid")
        if stride > p:
            raise ValueError(f"stride={stride} larger than patch_size={p} leaves pixels uncovered")
        shape = tuple(int(s) for s in self.image_shape)
        if len(shape) != 2:
            raise ValueError(f"image_shape must have 2 entries, got {self.image_shape}")
        if shape[0] < p or shape[1] < p:
            raise ValueError(f"image of shape {shape} is smaller than patch_size={p}")
        offset = tuple(int(o) for o in np.broadcast_to(self.offset, (2,)))
        object.__setattr__(self, "image_shape", shape)
        object.__setattr__(self, "offset", offset)

    @cached_property
    def rows(self):
        """Top-left row of each grid row."""
        return _axis_positions(self.image_shape[0], self.patch_size, self.stride, self.offset[0])

    @cached_property
    def cols(self):
        """Top-left column of each grid column."""
        return _axis_positions(self.image_shape[1], self.patch_size, self.stride, self.offset[1])

    @property
    def n_patches(self):
        return len(self.rows) * len(self.cols)

    @property
    def n_features(self):
        return self.n_channels * self.patch_size * self.patch_size

    @property
    def array_shape(self):
        """Shape of the images of the grid: ``image_shape``, plus the channels if several."""
        return self.image_shape + ((self.n_channels,) if self.n_channels > 1 else ())

    def row_chunks(self, max_patches=None):
        """Slices of grid rows holding at most ``max_patches`` patches each (at least one row)."""
        n_rows = len(self.rows)
        rows_per_chunk = n_rows if max_patches is None else max(1, max_patches // len(self.cols))
        return [slice(i, min(i + rows_per_chunk, n_rows)) for i in range(0, n_rows, rows_per_chunk)]

    def extract(self, image, grid_rows=slice(None), dtype=np.float64, out=None):
        """Patch rows ``(n, n_features)`` of ``image`` (of ``array_shape``) for the grid rows
        ``grid_rows`` (a slice), written into ``out`` if given (a C-contiguous array of at
        least ``n * n_features`` elements of ``dtype``, e.g. a buffer reused from chunk to
        chunk). ``image`` may be an array of any Array API library (``dtype`` then one of
        its dtypes); the patches are of the same library, on the same device."""
        xp, device = namespace(image)
        p = self.patch_size
        rows = self.rows[grid_rows]
        channels = (self.n_channels,) if self.n_channels > 1 else ()
        shape = (len(rows), len(self.cols), *channels, p, p)
        size = int(np.prod(shape))
        if out is None:
            out = xp.empty(shape, dtype=dtype, device=device)
        else:
            out = xp.reshape(xp.reshape(out, (-1,))[:size], shape)
        # (rows, cols, [C,] p, p) windows where the library has a view of them
        windows = sliding_windows(image, p)
        for row_part, *row_run in arithmetic_runs(rows):
            for col_part, *col_run in arithmetic_runs(self.cols):
                if windows is not None:
                    # Copies of strided views of the windows, one per arithmetic run of grid
                    # positions: twice as fast as fancy indexing with the grid's positions.
                    out[row_part, col_part] = windows[run_span(*row_run), run_span(*col_run)]
                    continue
                for a in range(p):  # the standard has no windows: p^2 shifted slices
                    for b in range(p):
                        out[row_part, col_part, ..., a, b] = image[
                            run_span(*row_run, shift=a), run_span(*col_run, shift=b), ...
                        ]
        return xp.reshape(out, (-1, self.n_features))

    def aggregate_into(self, out, patches, grid_rows=slice(None)):
        """Add patch rows (for grid rows ``grid_rows``) into the image ``out`` (of
        ``array_shape``) in place."""
        p = self.patch_size
        rows = self.rows[grid_rows]
        channels = (self.n_channels,) if self.n_channels > 1 else ()
        xp, _ = namespace(out, patches)
        blocks = xp.reshape(patches, (len(rows), len(self.cols), *channels, p, p))
        add_patch_blocks(out, blocks, rows, self.cols)
        return out

    def coverage(self, dtype=np.float64):
        """Number of patches covering each pixel."""
        row_hits, col_hits = self.axis_coverage(dtype)
        return np.outer(row_hits, col_hits)

    def axis_coverage(self, dtype=np.float64):
        """Patches covering each row and each column: their outer product is the
        :meth:`coverage` (an image on any device is one product of two short vectors)."""
        p = self.patch_size
        row_hits = np.zeros(self.image_shape[0], dtype=dtype)
        col_hits = np.zeros(self.image_shape[1], dtype=dtype)
        for a in range(p):
            np.add.at(row_hits, self.rows + a, 1)
            np.add.at(col_hits, self.cols + a, 1)
        return row_hits, col_hits


def shifted_offset(stride, iteration):
    """Grid offset ``(row, col)`` of the ``iteration``-th grid of a sequence with ``stride``.

    Successive grids are shifted so that no stride pattern survives when their estimates are
    averaged over iterations (EPLL's iterations with ``stride > 1``)."""
    step = (stride // 2) + 1 if stride > 2 else 1
    return ((iteration * step) % stride, (iteration * step + stride // 2) % stride)


def extract_patches(image, patch_size=8, stride=1, offset=(0, 0), dtype=np.float64):
    """Extract overlapping square patches of a 2-D image as rows.

    Parameters
    ----------
    image : (M, N) array_like
        Grey image. Integer images are converted to float as by
        :func:`skimage.util.img_as_float`.
    patch_size : int, default=8
        Side ``p`` of the square patches.
    stride : int, default=1
        Step between patch corners. The last row/column of patches is snapped to the border so
        every pixel is covered even when ``M - p`` is not a multiple of ``stride``.
    offset : int or tuple of int, default=(0, 0)
        Shift of the patch grid (modulo ``stride``).
    dtype : {np.float64, np.float32}, default=np.float64
        Type of the returned rows.

    Returns
    -------
    patches : (n_patches, p*p) ndarray
        One row per patch, grid rows first, pixels row-major inside each patch.

    See Also
    --------
    aggregate_patches : The adjoint operation.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> extract_patches(image, patch_size=2, stride=2)
    array([[ 0.,  1.,  4.,  5.],
           [ 2.,  3.,  6.,  7.],
           [ 8.,  9., 12., 13.],
           [10., 11., 14., 15.]])
    """
    dtype = check_float_dtype(dtype)
    p = check_positive_int(patch_size, "patch_size", caller="extract_patches")
    image = check_image_2d(image, min_shape=(p, p))
    grid = PatchGrid(image.shape, p, stride, offset)
    return grid.extract(image, dtype=dtype)


def _check_patch_rows(patches, grid, name="patches"):
    patches = np.asarray(patches)
    expected = (grid.n_patches, grid.n_features)
    if patches.shape != expected:
        raise ValueError(
            f"{name} must have shape {expected} for image_shape={grid.image_shape}, "
            f"patch_size={grid.patch_size}, stride={grid.stride}; got {patches.shape}"
        )
    if not np.issubdtype(patches.dtype, np.floating):
        patches = patches.astype(np.float64)
    return patches


@shares_parameters(extract_patches)
def aggregate_patches(patches, image_shape, patch_size=8, stride=1, offset=(0, 0)):
    """Sum patch rows back into an image: the adjoint of :func:`extract_patches`.

    Parameters
    ----------
    patches : (n_patches, p*p) array_like
        Rows in the order :func:`extract_patches` returns them.
    image_shape : tuple of int
        Shape ``(M, N)`` of the image.
    .. parameters:: patch_size stride offset

    Returns
    -------
    image : (M, N) ndarray
        Sum over patches of each patch placed at its position (float64 unless ``patches`` is
        float32). Divide by :func:`patch_coverage` to average.

    See Also
    --------
    skgate.extract_patches
    skgate.patch_coverage

    Examples
    --------
    >>> import numpy as np
    >>> ones = np.ones((9, 4))
    >>> aggregate_patches(ones, (4, 4), patch_size=2, stride=1)
    array([[1., 2., 2., 1.],
           [2., 4., 4., 2.],
           [2., 4., 4., 2.],
           [1., 2., 2., 1.]])
    """
    grid = PatchGrid(tuple(image_shape), patch_size, stride, offset)
    patches = _check_patch_rows(patches, grid)
    out = np.zeros(grid.image_shape, dtype=np.result_type(patches.dtype, np.float32))
    return grid.aggregate_into(out, patches)


@shares_parameters(extract_patches)
def patch_coverage(image_shape, patch_size=8, stride=1, offset=(0, 0)):
    """Number of patches of the grid covering each pixel (always >= 1).

    Parameters
    ----------
    image_shape : tuple of int
        Shape ``(M, N)`` of the image.
    .. parameters:: patch_size stride offset

    Returns
    -------
    coverage : (M, N) ndarray
        How many patches of the grid cover each pixel (float64).

    See Also
    --------
    skgate.extract_patches
    skgate.aggregate_patches

    Examples
    --------
    >>> patch_coverage((3, 5), patch_size=2, stride=2)
    array([[1., 1., 1., 2., 1.],
           [2., 2., 2., 4., 2.],
           [1., 1., 1., 2., 1.]])
    """
    return PatchGrid(tuple(image_shape), patch_size, stride, offset).coverage()


def remove_dc(patches):
    """Split patch rows into zero-mean rows and their means (DC).

    Returns
    -------
    centred : ndarray, same shape as ``patches``
    means : (n_patches, 1) ndarray

    Examples
    --------
    >>> centred, means = remove_dc([[1.0, 3.0], [2.0, 2.0]])
    >>> centred.tolist(), means.ravel().tolist()
    ([[-1.0, 1.0], [0.0, 0.0]], [2.0, 2.0])
    """
    patches = np.asarray(patches)
    if not np.issubdtype(patches.dtype, np.floating):
        patches = patches.astype(np.float64)
    means = patches.mean(axis=1, keepdims=True)
    return patches - means, means
