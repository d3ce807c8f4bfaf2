"""Images larger than memory: a dask array in, a lazy dask array of the same shape and chunks
out.

Every output chunk is restored from the input chunk grown by a margin on every side (dask's
``overlap`` with ``boundary="none"``: nothing is padded at the image's own edges), and only
its core is kept, exactly like an in-memory tile (``skgate._tiles.TileLayout``). The
margin is the restoration's tile margin (twice the patch size plus what the likelihood needs,
e.g. the blur kernel), doubled for every coarser scale of a multi-scale restoration, plus
``stride - 1`` so that each window can start on the image's global patch lattice: every
chunk uses the same grid offsets as an untiled restoration, and chunk borders do not show.
Nothing is computed until the caller asks; the settings (with their prior, if not the shipped
one) are one task of the graph, shipped to each worker once.

dask is an optional dependency (skgate's ``dask`` extra).
"""

import math
import os
from dataclasses import dataclass, replace

import numpy as np
from threadpoolctl import threadpool_limits

from ._channel_stack import ChannelStack
from ._colour import restore_channels
from ._inpainting import LARGEST_FILL_SCALE, Inpainting
from ._tiles import MIN_CORE_PER_MARGIN, enlarged_tile_shape
from ._units import check_data_range, infer_units
from ._validation import as_float_image, check_channel_axis, check_noise_level

__all__ = [
    "is_dask_array",
    "restore_lazy",
    "LazyInpainting",
    "lazy_margin",
    "smallest_chunk",
    "sample_windows",
    "CHUNK_TASK",
]

#: Key prefix of the graph's per-chunk restoration tasks (progress reporting counts them).
CHUNK_TASK = "skgate-restore-chunk"

#: Most chunks a lazy restoration takes: beyond, building the graph alone takes minutes
#: (``da.zeros((10**7, 10**7))`` has millions); such an image wants larger chunks.
MAX_CHUNKS = 200_000

# How far the inpainting fill reaches (its widest Gaussian, truncated at 4 standard
# deviations): a chunk sees as much of the mask around it as an in-memory image does.
_FILL_REACH = int(4 * LARGEST_FILL_SCALE)


def is_dask_array(value):
    """Whether ``value`` is a ``dask.array.Array`` (checked without importing dask)."""
    return type(value).__name__ == "Array" and type(value).__module__.startswith("dask.")


def _dask_array():
    try:
        import dask
        import dask.array as da
    except ImportError as error:  # pragma: no cover - a dask array implies dask
        raise ImportError(
            "restoring a dask array needs dask: pip install dask[array] (or skgate's dask extra)"
        ) from error
    return dask, da


def lazy_margin(core, likelihood, shape=None, fill=False):
    """Context (pixels) each chunk is restored with on every side (``fill``: plus the reach
    of the inpainting fill)."""
    return core.context(likelihood, shape, _FILL_REACH if fill else 0)


def smallest_chunk(core, likelihood, shape):
    """The smallest chunk side worth restoring ``shape`` with (``MIN_CORE_PER_MARGIN`` times
    the chunks' context): for callers that choose the chunks, e.g. the command line."""
    inpainting = isinstance(likelihood, Inpainting)
    return MIN_CORE_PER_MARGIN * lazy_margin(core, likelihood, shape[:2], fill=inpainting)


class LazyInpainting(Inpainting):
    """Inpainting whose mask (True = missing) is a dask array, for a dask image: each chunk
    builds :class:`~skgate.Inpainting` from its own window of the mask (a 3-D mask, one per
    channel and channels last: a :class:`~skgate.ChannelStack` of them). Its shape and type
    are checked here, its values when each chunk is computed."""

    def __init__(self, mask, sigma=1e-3):
        check_noise_level(sigma, "sigma", caller="inpaint_epll")
        if mask.ndim not in (2, 3) or mask.dtype.kind not in "biuf":
            raise ValueError(
                "mask must be a 2-D boolean array (or 3-D, one per channel), got a dask "
                f"array {mask.dtype} {mask.shape}"
            )
        self.sigma = sigma
        self.lazy_mask = mask
        self.observed = np.ones((1, 1), dtype=bool)  # a stand-in: chunks use their window
        self._weights = self.observed.astype(np.float64)

    def check_observation(self, y):
        # Reached only by an in-memory image: its mask would have to be computed whole.
        raise TypeError("with a dask array mask, the image must be a dask array too")


def _check_mask_values(mask):
    """A chunk of a lazy mask: only 0 and 1 (checked when the chunk is computed)."""
    if mask.dtype != bool and not np.isin(mask, (0, 1)).all():
        raise ValueError("mask must be boolean (or contain only 0 and 1)")
    return mask.astype(bool, copy=False)


@dataclass(frozen=True)
class _Block:
    """What every chunk's task needs besides its pixels (one object in the graph)."""

    core: object
    likelihood: object
    channels: bool
    depth: int
    masked: bool
    blas_threads: int

    def restore(self, block, *mask_block, units, block_info=None):
        location = block_info[None]["array-location"]
        (r0, r1), (c0, c1) = location[0], location[1]
        top, left = max(0, r0 - self.depth), max(0, c0 - self.depth)
        # Start the window on the global patch lattice (multiples of the stride).
        shift_r, shift_c = (-top) % self.core.stride, (-left) % self.core.stride
        window = as_float_image(block[shift_r:, shift_c:])
        dtype = window.dtype
        top, left = top + shift_r, left + shift_c
        rows = slice(top, top + window.shape[0])
        cols = slice(left, left + window.shape[1])
        if self.masked:
            missing = _check_mask_values(mask_block[0][shift_r:, shift_c:])
            likelihood = _window_likelihood(~missing, self.likelihood.sigma)
        elif window.shape[:2] == tuple(block_info[None]["shape"][:2]):
            likelihood = self.likelihood  # the whole image, as in memory
        else:
            likelihood = self.likelihood.tile((rows, cols))
        if self.masked and not _observes_every_channel(likelihood):
            raise ValueError(
                f"the chunk at rows {r0}:{r1}, columns {c0}:{c1} lies in a hole wider than its "
                f"context ({self.depth} pixels): inpaint in memory or with larger chunks"
            )
        # Chunks run in parallel on the scheduler's workers: BLAS gets each one's share of
        # the cores, so that workers x threads never exceed them.
        with threadpool_limits(limits=self.blas_threads):
            restored = restore_channels(
                window, likelihood, self.core, -1 if self.channels else None, units=units
            )
        restored = restored.astype(dtype, copy=False)
        return restored[r0 - top : r1 - top, c0 - left : c1 - left]


def _window_likelihood(observed, sigma):
    """The inpainting of a chunk's window: one mask, or a :class:`ChannelStack` of one per
    channel (``observed`` channels last)."""
    if observed.ndim == 2:
        return Inpainting.window(observed, sigma)
    return ChannelStack(
        [Inpainting.window(observed[..., c], sigma) for c in range(observed.shape[2])]
    )


def _observes_every_channel(likelihood):
    """Whether a chunk's inpainting observes some pixel of each of its channels."""
    channels = likelihood.likelihoods if isinstance(likelihood, ChannelStack) else [likelihood]
    return all(channel.observed.any() for channel in channels)


def _with_chunks_at_least(array, depth, axes):
    """``array`` rechunked where a chunk along a spatial axis is smaller than
    ``MIN_CORE_PER_MARGIN * depth`` (dask's overlap needs every neighbour to hold the whole
    margin, and smaller chunks spend their time on context; a warning says so); an axis no
    longer than that becomes one chunk."""
    new = list(array.chunks)
    smallest = MIN_CORE_PER_MARGIN * depth
    grown = [axis for axis in axes if len(array.chunks[axis]) > 1]
    enlarged_tile_shape(  # one warning when they grow (at most to the whole axis)
        [max(array.chunks[axis]) for axis in grown],
        depth,
        "chunks of",
        limits=[sum(array.chunks[axis]) for axis in grown],
    )
    for axis in axes:
        chunks = array.chunks[axis]
        too_small = min(chunks[:-1] or chunks) < smallest or chunks[-1] < depth
        if too_small and len(chunks) > 1:
            size = max(max(chunks), smallest)
            length = sum(chunks)
            parts = [size] * (length // size)
            if length % size:
                parts.append(length % size)
            if len(parts) > 1 and parts[-1] < depth:  # a short last chunk joins the one before
                last = parts.pop()
                parts[-1] += last
            new[axis] = tuple(parts)
    return array.rechunk(tuple(new)) if new != list(array.chunks) else array


def _check_lazy_image(image, channel_axis):
    if image.ndim != (2 if channel_axis is None else 3):
        raise ValueError(
            f"image must be 2-D (or 3-D with channel_axis), got a dask array of shape {image.shape}"
        )
    if image.dtype.kind not in "biuf":
        raise TypeError(f"image must be real numbers, got dtype {image.dtype}")
    if any(math.isnan(c) for chunks in image.chunks for c in chunks):
        raise ValueError("image has unknown chunk sizes: call image.compute_chunk_sizes() first")
    if image.npartitions > MAX_CHUNKS:
        raise ValueError(
            f"image has {image.npartitions} chunks, more than the {MAX_CHUNKS} a lazy "
            "restoration takes: rechunk it to larger chunks (thousands of pixels per side)"
        )
    if channel_axis is not None:
        check_channel_axis(image.ndim, channel_axis)


def _lazy_mask(likelihood, shape, da):
    """The missing pixels of a lazy inpainting, as a dask array of the image's ``shape``
    (channels last), or of its spatial shape for one mask shared by the channels."""
    if isinstance(likelihood, LazyInpainting):
        mask = likelihood.lazy_mask
    else:
        mask = da.from_array(likelihood.mask)
    if mask.shape not in (shape[:2], shape):
        raise ValueError(f"mask has shape {mask.shape}, the image {shape}")
    return mask


def _units_of_windows(*windows, sigma, gain, data_range):
    """The units of a whole lazy image from a sample of its windows (one task, computed
    with the first chunk and shared by all)."""
    values = as_float_image(np.concatenate([np.ravel(w) for w in windows]))
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("image has no finite value in the sampled windows")
    return infer_units(values, sigma, gain, data_range)


def restore_lazy(image, likelihood, core, channel_axis=None, data_range=None):
    """The lazy restoration of the dask array ``image``: a dask array of the same shape,
    chunks and float dtype, computed chunk by chunk with overlap. Everything that can be
    checked without computing the image is checked here, at the call.

    Parameters
    ----------
    image : dask.array.Array
        Grey ``(M, N)``, or colour with ``channel_axis``.
    likelihood : Likelihood
        The degradation, which must support tiles (``likelihood.tile(window)``). An
        :class:`~skgate.Inpainting` (or :class:`LazyInpainting`, with a dask mask) is
        restored from each chunk's own window of the mask, chunked like the image.
    core : EPLL
        How each chunk is restored (its ``tile_shape`` and ``n_jobs`` are not used: the
        chunks are the tiles, and the dask scheduler runs them).
    channel_axis : int or None
    data_range : float or None
        As in :meth:`EPLLRestorer.restore`; inferred from a sample of the image's windows.
    """
    dask, da = _dask_array()
    _check_lazy_image(image, channel_axis)
    given_chunks = image.chunks
    if channel_axis is not None:
        image = da.moveaxis(image, channel_axis, -1).rechunk({2: -1})
    patch_size = core.patch_size
    if min(image.shape[:2]) < patch_size:
        raise ValueError(f"image of shape {image.shape} is smaller than the patch size")
    inpainting = isinstance(likelihood, Inpainting)
    mask = _lazy_mask(likelihood, image.shape, da) if inpainting else None
    if mask is None:
        likelihood.tile((slice(0, 1), slice(0, 1)))  # no tiles: fails now, not at compute
    check_data_range(data_range)
    # The data range needs the pixels: it is one lazy task, from a sample of the image.
    units = dask.delayed(_units_of_windows, pure=True)(
        *_window_slices(image),
        sigma=likelihood.sigma,
        gain=likelihood.constant_gain(),
        data_range=data_range,
    )
    depth = lazy_margin(core, likelihood, image.shape[:2], fill=inpainting)
    image = _with_chunks_at_least(image, depth, (0, 1))
    arrays = [image]
    if mask is not None:
        arrays.append(mask.rechunk(image.chunks[: mask.ndim]))
    # An axis in one chunk has no neighbour to borrow from.
    spatial_depth = {axis: depth if len(image.chunks[axis]) > 1 else 0 for axis in (0, 1)}
    grown = [
        da.overlap.overlap(
            a, depth={k: v for k, v in spatial_depth.items() if k < a.ndim}, boundary="none"
        )
        if any(spatial_depth.values())
        else a
        for a in arrays
    ]
    cores = os.cpu_count() or 1
    blas_threads = max(1, cores // min(cores, image.npartitions))
    block = _Block(
        replace(core, tile_shape=None, n_jobs=1),  # the scheduler runs the chunks
        likelihood,
        image.ndim == 3,
        depth,
        mask is not None,
        blas_threads,
    )
    out_dtype = np.float32 if image.dtype in (np.float16, np.float32) else np.float64
    task = dask.delayed(block, pure=True)
    restored = da.map_blocks(
        _restore_chunk,
        *grown,
        task,
        units=units,
        chunks=image.chunks,
        dtype=out_dtype,
        meta=np.empty((0,) * image.ndim, dtype=out_dtype),
        token=CHUNK_TASK,
    )
    if channel_axis is not None:
        restored = da.moveaxis(restored, -1, channel_axis)
    return restored.rechunk(given_chunks) if restored.chunks != given_chunks else restored


def _restore_chunk(*blocks, units, block_info=None):
    *pixels, task = blocks
    return task.restore(*pixels, units=units, block_info=block_info)


#: Side of the windows :func:`sample_windows` reads.
SAMPLE_SIDE = 256


def _window_slices(image, n_windows=8, side=SAMPLE_SIDE):
    """Up to ``n_windows`` windows of ``side`` pixels (fewer, or smaller, on a small image)
    spread along the diagonal and anti-diagonal of a dask array, still lazy."""
    rows, cols = image.shape[:2]
    h, w = min(side, rows), min(side, cols)
    n = max(1, min(n_windows, (rows * cols) // (h * w)))
    fractions = np.linspace(0, 1, (n + 1) // 2 + 1)
    corners = set()
    for k, f in enumerate(fractions):
        top = int(round(f * (rows - h)))
        corners.add((top, int(round(f * (cols - w)))))
        if len(corners) < n and k % 2:
            corners.add((top, int(round((1 - f) * (cols - w)))))
    corners = sorted(corners)[:n]
    return [image[top : top + h, left : left + w] for top, left in corners]


def sample_windows(image, n_windows=8, side=SAMPLE_SIDE):
    """Up to ``n_windows`` windows of ``side`` pixels (fewer, or smaller, on a small image)
    spread over a dask array, as numpy arrays: for statistics of the whole image without
    reading all of it, whatever its chunks."""
    _, da = _dask_array()
    return [np.asarray(w) for w in da.compute(*_window_slices(image, n_windows, side))]
