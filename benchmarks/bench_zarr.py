"""An image larger than memory: a zarr store on disk, restored chunk by chunk.

Writes a ``--megapixels`` (default 256: 16384 x 16384) grey uint8 image with noise of 25 grey
levels to a zarr store (chunks of 2048), then restores it as ``skgate denoise in.zarr out.zarr
--sigma 25 --gating network`` does (network gating, stride 3, one scale, dask's threaded
scheduler on every core), in a fresh process whose peak resident memory is measured, and
compares its seconds per megapixel with the in-memory 18-megapixel run of ``bench_scale.py``
(tiles of 512 on two threads) in the same run:

    python benchmarks/bench_zarr.py [--megapixels 256] [--folder /tmp/skgate-zarr]
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import print_table, write_table_json
from bench_scale import _peak_mb, _reset_peak, one_size
from skimage import data
from skimage.transform import resize

SIGMA255 = 25
CHUNKS = 2048


def _band(top, height, width, seed):
    """Rows ``top:top + height`` of the synthetic image: bundled images tiled in 512-pixel
    squares, as in ``bench_scale.synthetic``; clean and noisy, uint8."""
    sources = [data.camera(), data.astronaut().mean(axis=2), data.coffee().mean(axis=2)]
    squares = [resize(s / 255.0, (512, 512)) for s in sources]
    first = top // 512
    rows = []
    for r in range(first, -(-(top + height) // 512)):
        rows.append(np.hstack([squares[(r + c) % 3] for c in range(-(-width // 512))]))
    clean = np.vstack(rows)[top - first * 512 : top - first * 512 + height, :width]
    noise = np.random.default_rng(seed).standard_normal(clean.shape)
    noisy = np.clip(clean + SIGMA255 / 255 * noise, 0, 1)
    return (clean * 255).round().astype(np.uint8), (noisy * 255).round().astype(np.uint8)


def make(folder, megapixels):
    import zarr

    side = int(np.ceil(np.sqrt(megapixels * 1e6) / 512)) * 512  # 256 MP: 16384 x 16384
    clean, noisy = (
        zarr.open_array(
            str(folder / name), mode="w", shape=(side, side), chunks=(CHUNKS,) * 2, dtype="uint8"
        )
        for name in ("clean.zarr", "noisy.zarr")
    )
    for top in range(0, side, CHUNKS):
        clean_band, noisy_band = _band(top, min(CHUNKS, side - top), side, seed=top)
        clean[top : top + CHUNKS] = clean_band
        noisy[top : top + CHUNKS] = noisy_band
    return side


def restore(folder):
    """In a fresh process: the command line's chunked path, timed, with its peak memory."""
    from skgate import EPLLRestorer, GaussianNoise
    from skgate._bigfiles import open_lazy, write_lazy

    before = _peak_mb()
    reset = _reset_peak()
    tic = time.perf_counter()
    source = open_lazy(folder / "noisy.zarr")
    restorer = EPLLRestorer(gating="network", stride=3)
    restored = restorer.restore(source.image, GaussianNoise(SIGMA255 / 255))
    write_lazy(folder / "restored.zarr", restored, source)
    seconds = time.perf_counter() - tic
    print(
        json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "before_mb": before, "reset": reset})
    )


def psnr_of(folder):
    import dask.array as da

    clean = da.from_zarr(str(folder / "clean.zarr")).astype(np.float64)
    restored = da.from_zarr(str(folder / "restored.zarr")).astype(np.float64)
    mse = float(((clean - restored) ** 2).mean().compute())
    return 10 * np.log10(255.0**2 / mse)


def _child(*args):
    output = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=256)
    parser.add_argument("--folder", default="/tmp/skgate-zarr")
    parser.add_argument("--json", help="also write the table here, for the documentation")
    parser.add_argument("--child", choices=["restore", "in-memory"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if args.child == "restore":
        return restore(folder)
    if args.child == "in-memory":
        return one_size(18)

    folder.mkdir(parents=True, exist_ok=True)
    tic = time.perf_counter()
    side = make(folder, args.megapixels)
    print(f"wrote {side} x {side} noisy and clean zarr stores in {time.perf_counter() - tic:.0f} s")
    shutil.rmtree(folder / "restored.zarr", ignore_errors=True)
    lazy = _child("--folder", str(folder), "--child", "restore")
    memory = _child("--child", "in-memory")
    megapixels = side * side / 1e6
    memory_mp = np.prod(memory["shape"]) / 1e6
    lazy_rate, memory_rate = lazy["seconds"] / megapixels, memory["seconds"] / memory_mp
    title = (
        f"An image larger than memory: {side} x {side} zarr on disk, chunks of {CHUNKS}, "
        "network, stride 3, sigma 25"
    )
    header = ("run", "megapixels", "seconds", "s / MP", "vs in-memory", "peak MB", "PSNR")
    rows = [
        (
            "zarr, chunked (dask threads)",
            f"{megapixels:.0f}",
            f"{lazy['seconds']:.1f}",
            f"{lazy_rate:.3f}",
            f"{lazy_rate / memory_rate:.2f}x",
            f"{lazy['peak_mb']:.0f}" + ("" if lazy["reset"] else " (whole process)"),
            f"{psnr_of(folder):.2f}",
        ),
        (
            "in memory, tiles of 512, n_jobs=2",
            f"{memory_mp:.0f}",
            f"{memory['seconds']:.1f}",
            f"{memory_rate:.3f}",
            "1.00x",
            f"{memory['peak_mb']:.0f}",
            f"{memory['psnr']:.2f}",
        ),
    ]
    print_table(title, header, rows)
    if args.json:
        command = f"python benchmarks/bench_zarr.py --megapixels {args.megapixels:g}"
        write_table_json(args.json, title, header, rows, command)


if __name__ == "__main__":
    main()
