"""Images larger than memory on disk, for the command line: zarr stores and tiled TIFF
(including BigTIFF), read and written lazily, chunk by chunk.

Reading gives a dask array (``dask.array.from_zarr``; a TIFF through tifffile's zarr
interface), so only the chunks being restored are in memory. Writing is atomic in the sense
that a failed or interrupted run leaves nothing under the output name: a zarr store is
written to a temporary folder beside it and renamed, a TIFF to a temporary file. Needs
``pip install "skgate[dask]"`` (dask, zarr).
"""

import asyncio
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._files import atomic_path, output_folder
from ._imageio import to_dtype
from ._lazy import CHUNK_TASK

__all__ = [
    "LazyImage",
    "is_lazy_path",
    "open_lazy",
    "lazy_from_array",
    "write_lazy",
    "tiff_chunks",
    "ChunkProgress",
    "check_lazy_output",
]

ZARR_SUFFIXES = (".zarr",)
TIFF_SUFFIXES = (".tif", ".tiff")


def _modules():
    try:
        import dask.array as da
        import zarr
    except ImportError as error:
        raise ImportError(
            "reading and writing zarr or tiled TIFF lazily needs dask and zarr: pip install "
            f'"skgate[dask]" (from a clone of the repository: pip install ".[dask]") ({error})'
        ) from None
    return da, zarr


def is_lazy_path(path):
    """Whether ``path`` names a zarr store (a folder ending in ``.zarr``)."""
    return Path(path).suffix.lower() in ZARR_SUFFIXES


@dataclass
class LazyImage:
    """A dask array as stored (its dtype, not yet scaled to [0, 1]) and how to write a
    result back like it; the attributes the command line uses for in-memory images."""

    image: object  # dask.array.Array, (M, N) or (M, N, C)
    dtype: np.dtype
    alpha: None = None

    @property
    def channel_axis(self):
        return -1 if self.image.ndim == 3 else None


def open_lazy(path, chunks=None):
    """A ``LazyImage`` of the zarr store or TIFF at ``path``, chunked
    by ``chunks`` (pixels per side; ``None`` keeps the store's own chunks)."""
    da, zarr = _modules()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such image: {path}")
    if path.suffix.lower() not in TIFF_SUFFIXES + ZARR_SUFFIXES:
        raise ValueError(
            f"{path}: a chunked restoration reads .zarr stores and .tif / .tiff files; "
            "restore other formats without --chunks"
        )
    if path.suffix.lower() in TIFF_SUFFIXES:
        import tifffile

        array = zarr.open(tifffile.imread(path, aszarr=True), mode="r")
    else:
        try:
            array = zarr.open_array(str(path), mode="r")
        except Exception as error:  # zarr raises several kinds for "not an array here"
            raise ValueError(f"{path} is not a zarr array: {error}") from None
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (1, 3)):
        raise ValueError(f"{path}: expected (M, N) or (M, N, 3) pixels, got shape {array.shape}")
    if np.dtype(array.dtype).kind not in "uif":
        raise ValueError(f"{path}: expected integer or float pixels, got {array.dtype}")
    image = da.from_zarr(array)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if chunks is not None:
        image = image.rechunk((chunks, chunks) + ((-1,) if image.ndim == 3 else ()))
    return LazyImage(image, np.dtype(array.dtype))


def lazy_from_array(array):
    """A ``LazyImage`` of an in-memory ``array`` (e.g. a bundled image written to a zarr
    store), as stored."""
    da, _ = _modules()
    array = np.asarray(array)
    return LazyImage(da.from_array(array), array.dtype)


def _inside(inner, outer):
    return inner == outer or outer in inner.parents


def _is_zarr_array(path):
    _, zarr = _modules()
    try:
        zarr.open_array(str(path), mode="r")
    except Exception:  # zarr raises several kinds for "not an array here"
        return False
    return True


def check_lazy_output(source, target, overwrite):
    """Refuse, before any work, a chunked output that would lose data: one that is, contains
    or lies inside the input; a ``.zarr`` name held by a regular file or by a folder that is
    not a zarr array (a user's folder, a zarr group); an existing zarr array without
    ``overwrite``. A folder is only ever replaced when it is a zarr array and ``overwrite``
    is given; a TIFF file named as output is replaced as in memory."""
    source, target = Path(source), Path(target)
    if target.suffix.lower() not in ZARR_SUFFIXES + TIFF_SUFFIXES:
        raise ValueError(f"output {target}: a chunked restoration writes .zarr, .tif or .tiff")
    output_folder(target)
    if source.exists():
        real_source, real_target = source.resolve(), target.resolve()
        if _inside(real_target, real_source):
            raise ValueError(f"output {target} is or lies inside the input {source}")
        if _inside(real_source, real_target):
            raise ValueError(f"output {target} contains the input {source}")
    if not (target.exists() or target.is_symlink()):
        return
    if target.suffix.lower() in TIFF_SUFFIXES:
        if not target.is_file():
            raise ValueError(f"output {target} exists and is not a file")
        return  # a file named as output is replaced, atomically, as in memory
    if not target.is_dir() or target.is_symlink():
        raise ValueError(f"output {target} exists and is not a zarr store (a folder)")
    if not _is_zarr_array(target):
        raise ValueError(
            f"output {target} is a folder that is not a zarr array; nothing is written over it"
        )
    if not overwrite:
        raise ValueError(
            f"output {target} is an existing zarr array; pass --overwrite to replace it"
        )


@contextmanager
def _own_workers():
    """dask's threads for this write, in a pool the caller owns: when the write fails or is
    interrupted, the chunks being written finish before their temporary files are removed
    (a worker still writing after the clean-up would leave a hidden file behind)."""
    import dask

    pool = ThreadPoolExecutor(os.cpu_count() or 1)
    try:
        with dask.config.set(scheduler="threads", pool=pool):
            yield
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _settle_zarr_io()


def _settle_zarr_io(timeout=60.0):
    """Wait until zarr's own event loop has no task left. zarr (3.x) writes through a
    background loop; a Ctrl-C in the main thread abandons its wait on that loop, not the
    write, so without this the clean-up could remove a folder a write is still going into
    (a FileNotFoundError printed from a thread as the process exits)."""
    try:
        from zarr.core.sync import _get_loop  # private: zarr has no public "wait for IO"
    except ImportError:  # zarr 2 writes synchronously
        return
    loop = _get_loop()

    async def others_done():
        pending = asyncio.all_tasks() - {asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    asyncio.run_coroutine_threadsafe(others_done(), loop).result(timeout + 5)


def write_lazy(path, restored, like, progress=None):
    """Compute the lazy float ``restored`` chunk by chunk and write it to ``path`` (zarr
    store or tiled TIFF) in the sample type of ``like``; ``progress(done, total)`` after each
    chunk. The caller has checked ``path`` (:func:`check_lazy_output`)."""
    da, _ = _modules()
    dtype = np.dtype(like.dtype)
    out = restored.map_blocks(to_dtype, dtype, dtype=dtype)
    path = Path(path)
    folder = output_folder(path)
    with ChunkProgress(progress, out):
        if path.suffix.lower() in TIFF_SUFFIXES:
            _write_tiff(path, out)
        else:
            _write_zarr(path, folder, out, da)


def _write_zarr(path, folder, out, da):
    temporary = Path(tempfile.mkdtemp(dir=folder, prefix=f".{path.name}.", suffix=".partial"))
    try:
        with _own_workers():
            da.to_zarr(out, str(temporary / "array.zarr"))
        if path.exists():
            # The old array moves aside first, so that an interruption leaves the old or the
            # new one under its name, never neither.
            os.replace(path, temporary / "old.zarr")
        os.replace(temporary / "array.zarr", path)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


#: TIFF tile side; chunks written to TIFF are multiples of it.
TIFF_TILE = 256


def tiff_chunks(chunks):
    """``chunks`` (pixels per side) rounded to a multiple of the TIFF tile, so that each
    chunk is restored once and cut into whole tiles."""
    return max(TIFF_TILE, chunks // TIFF_TILE * TIFF_TILE)


def _write_tiff(path, out):
    import tifffile

    heights = out.chunks[0][:-1]
    if any(h % TIFF_TILE for h in heights):
        raise ValueError(f"chunks must be multiples of {TIFF_TILE} rows to write a tiled TIFF")
    with atomic_path(path) as temporary, _own_workers():
        tifffile.imwrite(
            temporary,
            _tiles(out),
            shape=out.shape,
            dtype=out.dtype,
            tile=(TIFF_TILE, TIFF_TILE),
            bigtiff=out.nbytes > 2**31,
            photometric="rgb" if out.ndim == 3 else "minisblack",
        )


def _tiles(out):
    """TIFF tiles in file order; one band of chunks is computed (in parallel) at a time, so
    every chunk is restored once."""
    cols = out.shape[1]
    top = 0
    for height in out.chunks[0]:
        band = np.asarray(out[top : top + height].compute())
        top += height
        for row in range(0, height, TIFF_TILE):
            for left in range(0, cols, TIFF_TILE):
                piece = band[row : row + TIFF_TILE, left : left + TIFF_TILE]
                tile = np.zeros((TIFF_TILE, TIFF_TILE) + out.shape[2:], dtype=out.dtype)
                tile[: piece.shape[0], : piece.shape[1]] = piece
                yield tile


def _task_name(key):
    return str(key[0] if isinstance(key, tuple) else key)


class ChunkProgress:
    """A dask callback that reports each restored chunk of the lazy array ``out`` to
    ``progress(done, total)``. The total counts the restoration tasks in ``out``'s graph,
    not its output chunks: chunks smaller than the margin are restored merged and
    rechunked afterwards."""

    def __init__(self, progress, out):
        self.progress, self.done = progress, 0
        graph = out.__dask_graph__()
        self.total = sum(_task_name(key).startswith(CHUNK_TASK) for key in graph)
        self._callback = None

    def __enter__(self):
        if self.progress is not None:
            from dask.callbacks import Callback

            def posttask(key, result, dsk, state, worker_id):
                if _task_name(key).startswith(CHUNK_TASK):
                    self.done += 1
                    self.progress(min(self.done, self.total), self.total)

            self._callback = Callback(posttask=posttask)
            self._callback.__enter__()
        return self

    def __exit__(self, *exc):
        if self._callback is not None:
            self._callback.__exit__(*exc)
        return False
