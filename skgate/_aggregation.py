"""Aggregation, the adjoint of patch extraction: patch estimates added back into an image
at their grid positions. Grid positions come as arithmetic runs (plus at most a snapped
last one per axis), so every add is on strided views: no fancy indexing, and no pixel is
hit twice within one add."""

import numpy as np

from ._backend import is_numpy, namespace

__all__ = ["add_patch_blocks", "arithmetic_runs", "run_span"]


def arithmetic_runs(positions):
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


def run_span(start, step, count, shift=0):
    """The slice of the ``count`` positions ``start + shift + k * step``."""
    return slice(start + shift, start + shift + step * (count - 1) + 1, step)


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


def add_patch_blocks(out, blocks, rows, cols):
    """Add ``blocks`` (grid rows x grid columns [x channels] x p x p, channel-major patch
    rows reshaped) at the grid positions ``rows`` x ``cols`` into ``out`` in place."""
    xp, _ = namespace(out, blocks)
    p = blocks.shape[-1]
    n_channels = blocks.shape[2] if blocks.ndim == 5 else 1
    # The column views are the same for every block: built once.
    col_spans = [
        (col_part, [run_span(*col_run, shift=b) for b in range(p)])
        for col_part, *col_run in arithmetic_runs(cols)
    ]
    if not is_numpy(xp):
        # An accelerator gains nothing from blocking and pays a kernel launch per add.
        planes = xp.permute_dims(blocks, _PLANES_AXES[blocks.ndim])
        _add_planes(out, planes, arithmetic_runs(rows), col_spans, _add_in_place)
        return out
    # A few grid rows at a time, transposed so that each pixel offset inside the patch
    # is one contiguous plane: the p^2 adds then read whole cache lines of a block that
    # stays in cache. (Adding the strided views of the patch rows read one value per
    # 64-byte line and streamed the chunk from memory p^2 times: aggregation ran several
    # times slower on 2-core machines with less cache.)
    step = max(1, AGGREGATION_BLOCK // (len(cols) * n_channels))
    buffer = np.empty((p, p, min(step, len(rows)), *blocks.shape[1:-2]), dtype=blocks.dtype)
    for start in range(0, len(rows), step):
        block = slice(start, min(start + step, len(rows)))
        row_runs = arithmetic_runs(rows[block])
        if blocks[block].size < SCATTER_VALUES_PER_ADD * p * p * len(row_runs) * len(col_spans):
            _scatter_patches(out, blocks[block], rows[block], cols)
            continue
        planes = _transposed_rows(blocks[block], buffer[:, :, : block.stop - block.start])
        _add_planes(out, planes, row_runs, col_spans, _add_into_view)
    return out


#: Axes that make patch blocks (grid rows x grid columns [x channels] x p x p) into planes
#: (p x p x grid rows x grid columns [x channels]), by the blocks' number of dimensions.
_PLANES_AXES = {4: (2, 3, 0, 1), 5: (3, 4, 0, 1, 2)}


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


def _transposed_rows(blocks, planes):
    """``blocks`` laid out as ``planes`` (a reused buffer), one grid row at a time: a
    transposing copy of a few hundred patches stays in the fastest cache (a whole block's
    copy ran at half the speed)."""
    row_axes = tuple(axis - 1 for axis in _PLANES_AXES[blocks.ndim] if axis != 0)
    for i in range(blocks.shape[0]):
        np.copyto(planes[:, :, i, ...], np.transpose(blocks[i, ...], row_axes))
    return planes


def _add_planes(out, planes, row_runs, col_spans, add):
    """Add ``planes`` (p x p x grid rows x grid columns [x channels]) at the runs of grid
    rows ``row_runs`` and the columns of ``col_spans`` (each run of grid columns with its p
    shifted slices) into ``out``: one ``add`` per offset inside the patch, of all patches
    at once."""
    p = planes.shape[0]
    for row_part, *row_run in row_runs:
        row_spans = [run_span(*row_run, shift=a) for a in range(p)]
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
