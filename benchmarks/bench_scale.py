"""Scale: tiled vs untiled, n_jobs, time against pixels, and peak memory on big images.

Tables:
- tiles: PSNR of untiled vs tiled restoration (256-pixel tiles) on Set12-sized and
  481 x 321 images, and the largest pixel difference;
- parallel: seconds for ``n_jobs=1`` and each of ``--jobs`` (threads and loky processes) on
  a ``--megapixels`` image (4), same run, and the speed-up over ``n_jobs=1``;
- size: network gating, stride 3, sigma 25, on 1, 4 and 18 megapixels (tiled from bundled
  images), seconds and seconds per megapixel; each size runs in a fresh process so its peak
  resident memory (``VmHWM``) is its own (tiles run in its threads).

    python benchmarks/bench_scale.py [--tasks tiles,parallel,size] [--sizes 1,4,18]
        [--jobs 2,4,8,16] [--megapixels 18]
"""

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from _common import print_table, psnr, timed
from joblib import parallel_config
from skimage import data
from skimage.transform import resize

from skgate import EPLLRestorer, GaussianNoise

SIGMA = 25 / 255


def synthetic(megapixels, seed=0):
    """A natural-looking grey image of about ``megapixels`` (3:2), tiled from bundled
    images, and its noisy version."""
    height = int(round(np.sqrt(megapixels * 1e6 / 1.5)))
    shape = (height, int(round(1.5 * height)))
    sources = [data.camera(), data.astronaut().mean(axis=2), data.coffee().mean(axis=2)]
    rows = []
    for r in range(-(-shape[0] // 512)):
        row = [resize(sources[(r + c) % 3] / 255.0, (512, 512)) for c in range(-(-shape[1] // 512))]
        rows.append(np.hstack(row))
    clean = np.vstack(rows)[: shape[0], : shape[1]]
    noisy = clean + SIGMA * np.random.default_rng(seed).standard_normal(shape)
    return clean, noisy


def bench_tiles():
    rows = []
    for name, clean in (
        ("camera 256 x 256", data.camera()[::2, ::2] / 255.0),
        ("camera 481 x 321", resize(data.camera() / 255.0, (321, 481))),
    ):
        noisy = clean + SIGMA * np.random.default_rng(1).standard_normal(clean.shape)
        for gating in ("exact", "network"):
            whole = EPLLRestorer(gating=gating).restore(noisy, GaussianNoise(SIGMA))
            tiled = EPLLRestorer(gating=gating, tile_shape=128).restore(noisy, GaussianNoise(SIGMA))
            rows.append(
                (
                    name,
                    gating,
                    f"{psnr(clean, whole):.3f}",
                    f"{psnr(clean, tiled):.3f}",
                    f"{psnr(clean, tiled) - psnr(clean, whole):+.3f}",
                    f"{np.abs(whole - tiled).max():.4f}",
                )
            )
    print_table(
        "Tiles (128-pixel cores, default margin) against one piece, sigma 25",
        ("image", "gating", "untiled", "tiled", "diff dB", "max |diff|"),
        rows,
    )


def bench_parallel(jobs=(2,), megapixels=4, repeats=3):
    """``n_jobs=1`` (BLAS on every core) against each of ``jobs`` with tiles in threads (the
    default) and in loky worker processes; the first process run includes starting the
    workers, which the median hides, so it is shown on its own. On a machine with many
    cores, ``--jobs 2,4,8,16 --megapixels 18`` gives the scaling curve."""
    clean, noisy = synthetic(megapixels)
    runs, quality = {}, {}
    settings = [("1", 1, None)]
    for n in jobs:
        settings += [(f"{n}, threads (default)", n, None), (f"{n}, loky processes", n, "loky")]
    for label, n_jobs, backend in settings:
        restorer = EPLLRestorer(gating="network", stride=3, tile_shape=512, n_jobs=n_jobs)
        runs[label] = []
        with parallel_config(backend=backend) if backend else nullcontext():
            for _ in range(repeats):
                restored, seconds = timed(restorer.restore, noisy, GaussianNoise(SIGMA))
                runs[label].append(seconds)
        quality[label] = psnr(clean, restored)
    base = np.median(runs["1"])
    rows = [
        (
            label,
            f"{t[0]:.2f}",
            f"{np.median(t):.2f}",
            f"{base / np.median(t):.2f}x",
            f"{quality[label]:.3f}",
        )
        for label, t in runs.items()
    ]
    print_table(
        f"Parallel tiles: {noisy.shape[1]} x {noisy.shape[0]}, network gating, stride 3, "
        f"512-pixel tiles, median of {repeats}",
        ("n_jobs", "first run s", "median s", "speed-up", "PSNR"),
        rows,
    )


def _peak_mb():
    """This process's own peak resident memory (MB) since it started: ``VmHWM`` from
    ``/proc/self/status``, not ``ru_maxrss``, which survives ``exec`` and so reports the
    parent's size at the fork for a process started by fork + exec (measured: 411 MB before
    any work for a worker of an 8 MP parent)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak():
    """Restart ``VmHWM`` from the current resident size (Linux: ``5 > clear_refs``); False
    where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def one_size(megapixels):
    """Run in a child process: restore one size, print JSON with seconds and peak memory.

    Tiles run in threads of this process, so its peak is the whole run's. The clean image
    waits on disk during the restoration, and the peak restarts just before it, so the peak
    reported is the restoration's: the interpreter and libraries, the noisy input, the output
    and everything the tiles need."""
    clean, noisy = synthetic(megapixels)
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "clean.npy"
        np.save(saved, clean)
        del clean
        gc.collect()
        before = _peak_mb()
        reset = _reset_peak()
        restorer = EPLLRestorer(gating="network", stride=3, tile_shape=512, n_jobs=2)
        restored, seconds = timed(restorer.restore, noisy, GaussianNoise(SIGMA))
        peak = _peak_mb()
        score = psnr(np.load(saved, mmap_mode="r"), restored)
    print(
        json.dumps(
            {
                "shape": noisy.shape,
                "seconds": seconds,
                "psnr": score,
                "peak_before_mb": before,
                "peak_reset": reset,
                "peak_mb": peak,
                "input_mb": noisy.nbytes / 2**20,
            }
        )
    )


def bench_size(sizes):
    rows = []
    for megapixels in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one-size", str(megapixels)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        mp = r["shape"][0] * r["shape"][1] / 1e6
        rows.append(
            (
                f"{r['shape'][1]} x {r['shape'][0]}",
                f"{mp:.1f}",
                f"{r['seconds']:.1f}",
                f"{r['seconds'] / mp:.2f}",
                f"{r['psnr']:.2f}",
                f"{r['input_mb']:.0f}",
                f"{r['peak_before_mb']:.0f}",
                f"{r['peak_mb']:.0f}" + ("" if r["peak_reset"] else " (whole process)"),
            )
        )
    print_table(
        "Size: network gating, stride 3, sigma 25, 512-pixel tiles, n_jobs=2 (threads)",
        (
            "image",
            "MP",
            "seconds",
            "s / MP",
            "PSNR",
            "one image MB",
            "peak before MB",
            "peak during restore MB",
        ),
        rows,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="tiles,parallel,size")
    parser.add_argument("--sizes", default="1,4,18")
    parser.add_argument("--jobs", default="2", help="parallel: n_jobs values against 1")
    parser.add_argument("--megapixels", type=float, default=4, help="parallel: image size")
    parser.add_argument("--one-size", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one_size is not None:
        one_size(args.one_size)
        return
    tasks = args.tasks.split(",")
    if "tiles" in tasks:
        bench_tiles()
    if "parallel" in tasks:
        bench_parallel([int(n) for n in args.jobs.split(",")], args.megapixels)
    if "size" in tasks:
        bench_size([float(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
