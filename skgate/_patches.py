"""Patch machinery: extraction, its adjoint (aggregation), coverage, DC removal, sampling.

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

from ._backend import is_numpy, namespace, sliding_windows
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


def _runs(positions):
    """Split sorted positions into arithmetic runs: ``(index_slice, start, step, count)``."""
    positions = np.asarray(positions)
    runs, i, n = [], 0, len(positions)
    while i < n:
        j = i + 1
        step = int(positions[j] - positions[i]) if j < n else 1
        while j < n and positions[j] - positions[j - 1] == step:
            j += 1
        runs.append((slice(i, j), int(positions[i]), max(step, 1), j - i))
        i = j
    return runs


def _span(start, step, count, shift=0):
    """The slice of the ``count`` positions ``start + shift + k * step``."""
    return slice(start + shift, start + shift + step * (count - 1) + 1, step)


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
        for row_part, *row_run in _runs(rows):
            for col_part, *col_run in _runs(self.cols):
                if windows is not None:
                    # Copies of strided views of the windows, one per arithmetic run of grid
                    # positions: twice as fast as fancy indexing with the grid's positions.
                    out[row_part, col_part] = windows[_span(*row_run), _span(*col_run)]
                    continue
                for a in range(p):  # the standard has no windows: p^2 shifted slices
                    for b in range(p):
                        out[row_part, col_part, ..., a, b] = image[
                            _span(*row_run, shift=a), _span(*col_run, shift=b), ...
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
        # The column views are the same for every block: built once.
        col_spans = [
            (col_part, [_span(*col_run, shift=b) for b in range(p)])
            for col_part, *col_run in _runs(self.cols)
        ]
        if not is_numpy(xp):
            # An accelerator gains nothing from blocking and pays a kernel launch per add.
            _add_patches(out, blocks, rows, col_spans, xp.permute_dims)
            return out
        # A few grid rows at a time, transposed so that each pixel offset inside the patch
        # is one contiguous plane: the p^2 adds then read whole cache lines of a block that
        # stays in cache. (Adding the strided views of the patch rows read one value per
        # 64-byte line and streamed the chunk from memory p^2 times: aggregation ran several
        # times slower on 2-core machines with less cache.)
        step = max(1, AGGREGATION_BLOCK // (len(self.cols) * self.n_channels))
        planes = np.empty((p, p, min(step, len(rows)), *blocks.shape[1:-2]), dtype=blocks.dtype)
        for start in range(0, len(rows), step):
            block = slice(start, min(start + step, len(rows)))
            adds = p * p * len(_runs(rows[block])) * len(col_spans)
            if blocks[block].size < SCATTER_VALUES_PER_ADD * adds:
                _scatter_patches(out, blocks[block], rows[block], self.cols)
                continue
            part = planes[:, :, : block.stop - block.start]
            _add_patches(out, blocks[block], rows[block], col_spans, _transposed_into(part))
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


#: Patches aggregated at a time: few enough that their planes (8192 estimates of 8x8
#: float32 are 2 MB) stay in cache, enough that the p^2 adds per block are long (on a
#: 2-core machine with 512 KB of L2 per core, 8192 beat 2048, 4096 and 16384 at stride 1
#: and 3, on 481 x 321 and 1536 x 1024 images).
AGGREGATION_BLOCK = 8192


#: A block of patches is scattered with one ``np.bincount`` instead of its p^2 adds per run
#: of grid rows and columns when it holds fewer values than this many per add: each add
#: costs a few microseconds whatever its size (most of all the small ones of the coarse
#: scales and of the snapped border runs), bincount a few nanoseconds per value (measured
#: on a 2-core machine: 64 x 64 to 481 x 321 images, stride 1 and 3).
SCATTER_VALUES_PER_ADD = 1024


def _scatter_patches(out, blocks, rows, cols):
    """Add ``blocks`` (grid rows x grid columns [x channels] x p x p) into ``out`` (NumPy)
    with one ``np.bincount`` over the rows of ``out`` they cover."""
    p = blocks.shape[-1]
    channels = out.shape[2] if out.ndim == 3 else 1
    width = out.shape[1]
    top, height = rows[0], rows[-1] + p - rows[0]
    offsets = np.arange(p)
    row_index = (rows[:, None] - top + offsets) * width  # (grid rows, p)
    col_index = cols[:, None] + offsets  # (grid columns, p)
    pixel = row_index[:, None, :, None] + col_index[None, :, None, :]
    index = pixel[:, :, None] * channels + np.arange(channels)[:, None, None]
    sums = np.bincount(index.ravel(), weights=blocks.ravel(), minlength=height * width * channels)
    region = out[top : top + height, ...]
    region += sums.reshape(region.shape)


def _transposed_into(planes):
    """A ``permute_dims`` for :func:`_add_patches` that copies into ``planes`` (reused),
    one grid row at a time: a transposing copy of a few hundred patches stays in the
    fastest cache (a whole block's copy ran at half the speed)."""

    def permute(part, axes):
        row_axes = tuple(axis - 1 for axis in axes if axis != 0)
        for i in range(part.shape[0]):
            np.copyto(planes[:, :, i, ...], np.transpose(part[i, ...], row_axes))
        return planes

    return permute


def _add_patches(out, blocks, rows, col_spans, permute_dims):
    """Add ``blocks`` (grid rows x grid columns [x channels] x p x p) at the grid rows
    ``rows`` and the columns of ``col_spans`` (each run of grid columns with its p shifted
    slices) into ``out``: one add per offset inside the patch, of all patches at once, from
    the planes ``permute_dims(blocks, axes)`` (p x p x grid rows x grid columns
    [x channels]). Grid positions are an arithmetic run (plus at most a snapped last one),
    so each add is on strided views: no fancy indexing, and no pixel is hit twice within
    one add."""
    p = blocks.shape[-1]
    n = blocks.ndim
    planes = permute_dims(blocks, (n - 2, n - 1, *range(n - 2)))
    add = _add_into_view if is_numpy(namespace(out)[0]) else _add_in_place
    for row_part, *row_run in _runs(rows):
        row_spans = [_span(*row_run, shift=a) for a in range(p)]
        for col_part, spans in col_spans:
            part = planes[:, :, row_part, col_part, ...]
            for a, r in enumerate(row_spans):
                for b, c in enumerate(spans):
                    add(out, (r, c, ...), part[a, b, ...])


def _add_into_view(out, index, values):
    """``out[index] += values`` for NumPy, without the copy back that ``+=`` on a
    subscript makes (a tenth of the time of a small add)."""
    target = out[index]
    np.add(target, values, out=target)


def _add_in_place(out, index, values):
    out[index] += values


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
