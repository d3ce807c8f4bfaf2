"""Tiles: cut an image into overlapping windows that are restored on their own.

EPLL is local: a pixel's estimate depends on the patches around it, and through the
iterations on a neighbourhood a few patch sizes wide. A tile is therefore restored with a
*margin* around its *core*, and only the core is kept; cores partition the image, so the tiles
are simply put side by side (no blending needed, and no seam as long as the margin is wide
enough: see :class:`~skgate.EPLLRestorer` for the measured difference to an untiled run).
"""

import os
from dataclasses import dataclass

from joblib import Parallel, delayed, effective_n_jobs
from joblib.parallel import get_active_backend
from threadpoolctl import threadpool_limits

from ._backend import namespace
from ._validation import check_positive_int
from ._warnings import warn

__all__ = ["Tile", "TileLayout", "context_margin", "enlarged_tile_shape", "restore_in_tiles"]

# joblib's backends that run on this machine, where more workers than cores cannot help.
_LOCAL_BACKENDS = {"ThreadingBackend", "LokyBackend", "MultiprocessingBackend", "SequentialBackend"}


@dataclass(frozen=True)
class Tile:
    """One tile: ``outer`` (core plus margin, clipped to the image) and ``core``, both as
    ``(row_slice, col_slice)`` of the image, and ``core_in_outer``, the core inside the
    outer window."""

    core: tuple
    outer: tuple

    @property
    def core_in_outer(self):
        return tuple(
            slice(c.start - o.start, c.stop - o.start)
            for c, o in zip(self.core, self.outer, strict=True)
        )


def _check_tile_shape(tile_shape):
    if isinstance(tile_shape, int) and not isinstance(tile_shape, bool):
        tile_shape = (tile_shape, tile_shape)
    try:
        rows, cols = tile_shape
    except (TypeError, ValueError):
        raise TypeError(
            f"tile_shape must be an int or a pair of ints, got {tile_shape!r}"
        ) from None
    return (
        check_positive_int(rows, "tile_shape", caller="TileLayout"),
        check_positive_int(cols, "tile_shape", caller="TileLayout"),
    )


class TileLayout:
    """Cores of ``tile_shape`` (the last row/column of tiles may be smaller) covering an
    image of ``image_shape``, each with ``margin`` pixels of context on every side.

    Parameters
    ----------
    image_shape : (int, int)
    tile_shape : int or (int, int)
        Size of the cores. Rounded up to a multiple of ``align`` so that patch grids with
        that stride line up across tiles.
    margin : int
        Context around each core.
    align : int, default=1

    Examples
    --------
    >>> layout = TileLayout((100, 60), 50, margin=8)
    >>> len(layout)
    4
    >>> layout[3].core, layout[3].outer
    ((slice(50, 100, None), slice(50, 60, None)), (slice(42, 100, None), slice(42, 60, None)))
    """

    def __init__(self, image_shape, tile_shape, margin, align=1):
        align = check_positive_int(align, "align", caller="TileLayout")
        rows, cols = _check_tile_shape(tile_shape)
        self.tile_shape = (-(-rows // align) * align, -(-cols // align) * align)
        self.image_shape = tuple(int(n) for n in image_shape)
        self.margin = int(margin)
        if self.margin < 0:
            raise ValueError(f"margin must be >= 0, got {margin}")
        self._tiles = [
            Tile(core=(r, c), outer=(self._grow(r, 0), self._grow(c, 1)))
            for r in self._cores(0)
            for c in self._cores(1)
        ]

    def _cores(self, axis):
        size, step = self.image_shape[axis], self.tile_shape[axis]
        return [slice(start, min(start + step, size)) for start in range(0, size, step)]

    def _grow(self, core, axis):
        size = self.image_shape[axis]
        return slice(max(0, core.start - self.margin), min(size, core.stop + self.margin))

    def __len__(self):
        return len(self._tiles)

    def __getitem__(self, index):
        return self._tiles[index]

    def __iter__(self):
        return iter(self._tiles)


def context_margin(tile_margin, likelihood, patch_size):
    """Context (pixels) a window is restored with around its core: ``tile_margin`` if the
    caller set one, else twice the patch size plus what the likelihood needs (e.g. the blur
    kernel's reach); never less than a patch. Shared by in-memory tiles and dask chunks."""
    margin = 2 * patch_size + likelihood.tile_margin if tile_margin is None else tile_margin
    return max(margin, patch_size)


#: A tile's (or chunk's) core is at least this many times its margin: smaller cores spend
#: most of their time on context that is thrown away (a 256 x 256 deblur in 32-pixel tiles
#: took minutes instead of a second); at four times the margin a window is at most 2.25x its
#: core, under the share at which tiles stop paying (skgate._epll.EPLL._tile_layout).
MIN_CORE_PER_MARGIN = 4


def enlarged_tile_shape(shape, margin, what, limits=None):
    """Every side of ``shape`` (a tile's or chunk's core) raised to
    ``MIN_CORE_PER_MARGIN * margin`` (at most ``limits``, the image's sides), with one
    warning naming ``what`` when that changes it."""
    smallest = MIN_CORE_PER_MARGIN * margin
    limits = [None] * len(shape) if limits is None else limits
    enlarged = tuple(
        max(int(side), smallest if limit is None else min(smallest, int(limit)))
        for side, limit in zip(shape, limits, strict=True)
    )
    if enlarged != tuple(shape):
        warn(
            f"{what} {tuple(shape)} is small for the {margin}-pixel context each one is "
            f"restored with; using {enlarged} (the same result, faster)",
            UserWarning,
        )
    return enlarged


def restore_in_tiles(restore_window, y, likelihood, x0, layout, n_jobs=None, progress=None):
    """Restore every tile of ``layout`` with :class:`joblib.Parallel` and put their cores side
    by side.

    Parameters
    ----------
    restore_window : callable
        ``restore_window(y, likelihood, x0)`` restores one window (``likelihood`` is
        ``likelihood.tile(window)``).
    y, x0 : ndarray
        Observation and starting estimate of the whole image.
    likelihood : Likelihood
    layout : TileLayout
    n_jobs : int or None
        As in :class:`joblib.Parallel`.
    progress : callable or None
        Called as ``progress(done, total)`` after every tile.
    """
    # Threads by default: numpy and BLAS release the GIL for nearly all of a tile's work,
    # and threads share the models and the image, where worker processes each start,
    # import and load the models (~2.5 s before the first tile) and receive every tile
    # pickled. A joblib backend set by the caller (loky, Dask) takes precedence.
    # Each worker gets an equal share of the cores for BLAS; the generator keeps only a
    # few tiles in flight (joblib's pre-dispatch), so memory stays bounded.
    n_jobs = _useful_workers(n_jobs, len(layout))
    n_workers = max(1, effective_n_jobs(n_jobs))
    threads = max(1, (os.cpu_count() or 1) // n_workers)
    tasks = (
        delayed(_restore_core)(
            restore_window,
            y[(*tile.outer, ...)],
            likelihood.tile(tile.outer),
            x0[(*tile.outer, ...)],
            tile.core_in_outer,
            (os.getpid(), threads),
        )
        for tile in layout
    )
    xp, device = namespace(y, x0)
    out = xp.empty(x0.shape, dtype=x0.dtype, device=device)
    with threadpool_limits(limits=threads):
        results = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(tasks)
        for done, (tile, core) in enumerate(zip(layout, results, strict=True), start=1):
            out[(*tile.core, ...)] = core
            if progress is not None:
                progress(done, len(layout))
    return out


def _useful_workers(n_jobs, n_tiles):
    """``n_jobs`` clamped to what can help: never more workers than tiles, and, on this
    machine's own backends (threads, processes), never more than its cores (a warning says
    so); a cluster backend (Dask) keeps what the caller asked."""
    cores = os.cpu_count() or 1
    asked = effective_n_jobs(n_jobs)
    backend, _ = get_active_backend(prefer="threads")
    local = type(backend).__name__ in _LOCAL_BACKENDS
    if local and asked > cores:
        warn(
            f"n_jobs={n_jobs} is more than the {cores} cores of this machine; using {cores}",
            UserWarning,
        )
        asked = cores
    return max(1, min(asked, n_tiles))


def _restore_core(restore_window, y, likelihood, x0, core, limits):
    """One tile in a joblib worker: restore the window, return its core."""
    parent, threads = limits
    if os.getpid() == parent:  # a thread: the caller's limit already holds for the process
        return restore_window(y, likelihood, x0)[(*core, ...)]
    with threadpool_limits(limits=threads):
        return restore_window(y, likelihood, x0)[(*core, ...)]
