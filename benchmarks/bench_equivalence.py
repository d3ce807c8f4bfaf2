"""Same images before and after a refactoring: PSNR of every restoration path, and the
per-call overhead.

``--save FILE`` writes each configuration's PSNR on three validation photographs (sigma 25,
grey) and the restored images' checksums; ``--compare FILE`` re-runs them and prints the
differences (a refactoring that changes no arithmetic shows 0.0000 dB everywhere). The
overhead table times ``denoise_epll`` with network gating on a 64 x 64 and a 481 x 321 image
(median of 9) and counts, with ``sys.setprofile``, the skgate function calls, the switches
between skgate modules and scikit-learn's parameter validations of one call.

    python benchmarks/bench_equivalence.py --save before.json
    python benchmarks/bench_equivalence.py --compare before.json
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _common import DATA, image_files, load_image, print_table, psnr

from skgate import EPLLRestorer, GaussianNoise, denoise_epll

SIGMA = 25 / 255
#: Each path through the restorer, with explicit settings (no default may change them).
CONFIGS = {
    "exact s3 x3": {"stride": 3, "scales": 3},
    "network s3 x3": {"stride": 3, "scales": 3, "gating": "network"},
    "network+exact s3": {"stride": 3, "scales": 1, "gating": "network+exact"},
    "flat-tail s3": {"stride": 3, "scales": 1, "gating": "flat-tail"},
    "adapt=1 s3": {"stride": 3, "scales": 1, "adapt": 1},
    "tiles 128 s3 x3": {"stride": 3, "scales": 3, "tile_shape": 128, "n_jobs": 1},
    "dask 160 s3 x3": {"stride": 3, "scales": 3, "dask": 160},
}


def _images(count=3):
    folder = DATA / "bsds500-test200"
    files = image_files(folder) if folder.is_dir() else []
    if not files:
        sys.exit(f"bench_equivalence needs the validation photographs in {folder}")
    return [(f.name, load_image(f)) for f in files[:count]]


def _restore(noisy, config):
    config = dict(config)
    chunks = config.pop("dask", None)
    if chunks is None:
        return EPLLRestorer(**config).restore(noisy, GaussianNoise(SIGMA))
    import dask.array as da

    lazy = EPLLRestorer(**config).restore(da.from_array(noisy, chunks=chunks), GaussianNoise(SIGMA))
    return np.asarray(lazy.compute(scheduler="synchronous"))


def run_configs():
    results = {}
    for index, (name, clean) in enumerate(_images()):
        rng = np.random.default_rng(index)
        noisy = clean + SIGMA * rng.standard_normal(clean.shape)
        for label, config in CONFIGS.items():
            restored = _restore(noisy, config)
            results[f"{name} {label}"] = {
                "psnr": float(psnr(clean, restored)),
                "sum": float(np.sum(restored, dtype=np.float64)),
            }
    return results


def _profile_one_call(noisy):
    """Counts of one ``denoise_epll`` call: skgate calls, module switches, validations."""
    counts = {"calls": 0, "switches": 0, "validations": 0}
    stack = []

    def profiler(frame, event, arg):
        if event != "call":
            if event == "return" and stack:
                stack.pop()
            return
        module = frame.f_globals.get("__name__", "")
        stack.append(module)
        if frame.f_code.co_name == "validate_parameter_constraints":
            counts["validations"] += 1
        if module.startswith("skgate"):
            counts["calls"] += 1
            caller = next((m for m in reversed(stack[:-1]) if m.startswith("skgate")), None)
            if caller is not None and caller != module:
                counts["switches"] += 1

    sys.setprofile(profiler)
    try:
        denoise_epll(noisy, SIGMA, gating="network")
    finally:
        sys.setprofile(None)
    return counts


def overhead_rows(repeats=9):
    clean = _images(1)[0][1]
    rows = []
    for shape in ((64, 64), clean.shape):
        image = clean[: shape[0], : shape[1]]
        noisy = image + SIGMA * np.random.default_rng(0).standard_normal(image.shape)
        denoise_epll(noisy, SIGMA, gating="network")  # models loaded and cached
        seconds = []
        for _ in range(repeats):
            tic = time.perf_counter()
            denoise_epll(noisy, SIGMA, gating="network")
            seconds.append(time.perf_counter() - tic)
        counts = _profile_one_call(noisy)
        rows.append(
            [
                f"{shape[0]}x{shape[1]}",
                f"{statistics.median(seconds) * 1000:.1f}",
                counts["calls"],
                counts["switches"],
                counts["validations"],
            ]
        )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="write the PSNRs here")
    group.add_argument("--compare", type=Path, help="compare with PSNRs saved earlier")
    args = parser.parse_args()
    results = run_configs()
    if args.save:
        args.save.write_text(json.dumps(results, indent=1))
        rows = [[key, f"{value['psnr']:.4f}"] for key, value in results.items()]
        print_table("PSNR of every path (sigma 25)", ["image and path", "dB"], rows)
    else:
        before = json.loads(args.compare.read_text())
        rows = [
            [
                key,
                f"{before[key]['psnr']:.4f}",
                f"{value['psnr']:.4f}",
                f"{value['psnr'] - before[key]['psnr']:+.4f}",
            ]
            for key, value in results.items()
            if key in before
        ]
        print_table(
            "PSNR before and after (sigma 25)", ["image and path", "before", "after", "dB"], rows
        )
    header = ["image", "ms per call", "skgate calls", "module switches", "validations"]
    print_table("Per-call overhead, network gating (median of 9)", header, overhead_rows())


if __name__ == "__main__":
    main()
