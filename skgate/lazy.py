"""Images larger than memory: a dask array in, a lazy dask array of the same shape and chunks
out.

Every output chunk is restored from the input chunk grown by a margin on every side (dask's
``overlap`` with ``boundary="none"``: nothing is padded at the image's own edges), and only
its core is kept, exactly like an in-memory tile (:class:`skgate.tiles.TileLayout`). The
margin is the restorer's tile margin (twice the patch size plus what the likelihood needs,
e.g. the blur kernel), doubled for every coarser scale of a multi-scale restoration, plus
``stride - 1`` so that each window can start on the image's global patch lattice: every
chunk uses the same grid offsets as an untiled restoration, and chunk borders do not show.
Nothing is computed until the caller asks; the restorer (with its prior, if not the shipped
one) is one task of the graph, shipped to each worker once.

dask is an optional dependency (``pip install "skgate[dask]"``).
"""

import copy
import os
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from .colour import restore_channels
from .likelihoods import Inpainting
from .shipped import default_prior
from .tiles import context_margin

__all__ = ["is_dask_array", "restore_lazy", "lazy_margin", "sample_blocks", "CHUNK_TASK"]

#: Key prefix of the graph's per-chunk restoration tasks (progress reporting counts them).
CHUNK_TASK = "skgate-restore-chunk"


def is_dask_array(value):
    """Whether ``value`` is a ``dask.array.Array`` (checked without importing dask)."""
    return type(value).__name__ == "Array" and type(value).__module__.startswith("dask.")


def _dask_array():
    try:
        import dask
        import dask.array as da
    except ImportError as error:  # pragma: no cover - a dask array implies dask
        raise ImportError(
            'restoring a dask array needs dask: pip install "skgate[dask]"'
        ) from error
    return dask, da


def lazy_margin(restorer, likelihood, patch_size):
    """Context (pixels) each chunk is restored with on every side."""
    base = context_margin(restorer.tile_margin, likelihood, patch_size)
    # A coarse scale sees twice the distance: its border effects reach twice as far.
    return base * 2 ** (restorer.scales - 1) + restorer.stride - 1


@dataclass(frozen=True)
class _Block:
    """What every chunk's task needs besides its pixels (one object in the graph)."""

    restorer: object
    likelihood: object
    channels: bool
    depth: int
    stride: int
    mask_sigma: float | None
    blas_threads: int

    def restore(self, block, *mask_block, block_info=None):
        location = block_info[None]["array-location"]
        (r0, r1), (c0, c1) = location[0], location[1]
        top, left = max(0, r0 - self.depth), max(0, c0 - self.depth)
        # Start the window on the global patch lattice (multiples of the stride).
        shift_r, shift_c = (-top) % self.stride, (-left) % self.stride
        window = block[shift_r:, shift_c:]
        top, left = top + shift_r, left + shift_c
        rows = slice(top, top + window.shape[0])
        cols = slice(left, left + window.shape[1])
        if self.mask_sigma is not None:
            mask = mask_block[0][shift_r:, shift_c:] > 0
            likelihood = Inpainting.window(mask, self.mask_sigma)
        else:
            likelihood = self.likelihood.tile((rows, cols))
        # Chunks run in parallel on the scheduler's workers: BLAS gets each one's share of
        # the cores, so that workers x threads never exceed them.
        with threadpool_limits(limits=self.blas_threads):
            restored = restore_channels(
                window, likelihood, self.restorer, -1 if self.channels else None
            )
        return restored[r0 - top : r1 - top, c0 - left : c1 - left]


def _with_chunks_at_least(array, depth, axes):
    """``array`` rechunked where a chunk along a spatial axis is smaller than ``depth``
    (dask's overlap needs every neighbour to hold the whole margin)."""
    new = list(array.chunks)
    for axis in axes:
        chunks = array.chunks[axis]
        if min(chunks) < depth and len(chunks) > 1:
            size = max(depth, max(chunks))
            length = sum(chunks)
            parts = [size] * (length // size)
            if length % size:
                parts.append(length % size)
            if len(parts) > 1 and parts[-1] < depth:  # a short last chunk joins the one before
                last = parts.pop()
                parts[-1] += last
            new[axis] = tuple(parts)
    return array.rechunk(tuple(new)) if new != list(array.chunks) else array


def restore_lazy(image, likelihood, restorer, channel_axis=None, mask=None):
    """The lazy restoration of the dask array ``image``: a dask array of the same shape,
    chunks and float dtype, computed chunk by chunk with overlap.

    Parameters
    ----------
    image : dask.array.Array
        Grey ``(M, N)``, or colour with ``channel_axis``.
    likelihood : Likelihood
        The degradation, which must support tiles (``likelihood.tile(window)``); ignored when
        ``mask`` is given.
    restorer : EPLLRestorer
        How each chunk is restored (its ``tile_shape`` and ``n_jobs`` are not used: the
        chunks are the tiles, and the dask scheduler runs them).
    channel_axis : int or None
    mask : dask.array.Array or ndarray or None
        For inpainting: the observed pixels, ``(M, N)``, chunked like the image (rechunked
        if it is not); each chunk gets ``Inpainting`` on its own window of the mask.
    """
    dask, da = _dask_array()
    if image.ndim != (2 if channel_axis is None else 3):
        raise ValueError(
            f"image must be 2-D (or 3-D with channel_axis), got a dask array of shape {image.shape}"
        )
    if image.dtype.kind not in "biuf":
        raise TypeError(f"image must be real numbers, got dtype {image.dtype}")
    given_chunks = image.chunks
    if channel_axis is not None:
        if not -3 <= channel_axis < 3:
            raise ValueError(f"channel_axis must be an axis of the 3-D image, got {channel_axis}")
        image = da.moveaxis(image, channel_axis, -1).rechunk({2: -1})
    out_dtype = np.float32 if image.dtype in (np.float16, np.float32) else np.float64
    patch_size = (restorer.prior if restorer.prior is not None else default_prior()).patch_size
    depth = lazy_margin(restorer, likelihood, patch_size)
    if min(image.shape[:2]) < patch_size:
        raise ValueError(f"image of shape {image.shape} is smaller than the patch size")
    image = _with_chunks_at_least(image, depth, (0, 1))
    mask_sigma = None
    arrays = [image]
    if mask is not None:
        mask_sigma = likelihood.sigma
        mask = mask if is_dask_array(mask) else da.from_array(np.asarray(mask))
        if mask.shape != image.shape[:2]:
            raise ValueError(f"mask has shape {mask.shape}, the image {image.shape[:2]}")
        arrays.append(mask.rechunk(image.chunks[:2]))
    spatial_depth = {0: depth, 1: depth} | ({2: 0} if image.ndim == 3 else {})
    grown = [
        da.overlap.overlap(
            a, depth={k: v for k, v in spatial_depth.items() if k < a.ndim}, boundary="none"
        )
        for a in arrays
    ]
    cores = os.cpu_count() or 1
    blas_threads = max(1, cores // min(cores, image.npartitions))
    block = _Block(
        _untiled(restorer),
        likelihood,
        image.ndim == 3,
        depth,
        restorer.stride,
        mask_sigma,
        blas_threads,
    )
    task = dask.delayed(block, pure=True)
    restored = da.map_blocks(
        _restore_chunk,
        *grown,
        task,
        chunks=image.chunks,
        dtype=out_dtype,
        meta=np.empty((0,) * image.ndim, dtype=out_dtype),
        token=CHUNK_TASK,
    )
    if channel_axis is not None:
        restored = da.moveaxis(restored, -1, channel_axis)
    return restored.rechunk(given_chunks) if restored.chunks != given_chunks else restored


def _untiled(restorer):
    """The same restorer for one chunk: no tiles inside, one job (the scheduler runs the
    chunks in parallel). A shallow copy: ``sklearn.base.clone`` would unfit its prior."""
    return copy.copy(restorer).set_params(tile_shape=None, n_jobs=1)


def _restore_chunk(*blocks, block_info=None):
    *pixels, task = blocks
    return task.restore(*pixels, block_info=block_info)


def sample_blocks(image, n_blocks=8):
    """Up to ``n_blocks`` chunks of a dask array spread over its chunk grid (deterministic),
    as numpy arrays: for statistics of the whole image without reading all of it."""
    grid = image.numblocks
    total = int(np.prod(grid))
    picks = np.unique(np.linspace(0, total - 1, min(n_blocks, total)).round().astype(int))
    return [np.asarray(image.blocks[np.unravel_index(k, grid)].compute()) for k in picks]
