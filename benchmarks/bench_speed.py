"""Speed of the default denoising paths against BM3D, same image, same run.

One 481 x 321 grey validation photograph at sigma 25 (the default schedule), each
configuration timed ``--repeats`` times after one warm-up run (tables built, caches warm);
the table gives the median seconds, the ratio to BM3D's median and to exact gating at stride
1, and the PSNR. BM3D is ``bm3d.bm3d`` from the ``bm3d`` package (``pip install ".[bench]"``).

    python benchmarks/bench_speed.py [--repeats 5] [--no-bm3d] [--json doc/_data/speed.json]

The 18-megapixel row of the speed goals comes from ``bench_scale.py --tasks size``.
"""

import argparse

import numpy as np
from _common import (
    DATA,
    image_files,
    import_bm3d,
    load_image,
    print_table,
    psnr,
    timed,
    write_table_json,
)

from skgate import denoise_epll

SIGMA = 25 / 255

#: (label, denoise_epll keyword arguments); exact stride 1 is the reference of the ratios.
#: Single-scale rows first (the speed goals), then the functions' 3-scale default.
CONFIGURATIONS = [
    ("exact, stride 1", {"gating": "exact", "stride": 1, "scales": 1}),
    ("network, stride 1", {"gating": "network", "stride": 1, "scales": 1}),
    ("exact, stride 3", {"scales": 1}),
    ("network+exact, stride 3", {"gating": "network+exact", "scales": 1}),
    ("flat-tail, stride 1", {"gating": "flat-tail", "stride": 1, "scales": 1}),
    ("flat-tail, stride 3", {"gating": "flat-tail", "scales": 1}),
    ("network, stride 3", {"gating": "network", "scales": 1}),
    ("default (exact, stride 3, 3 scales)", {}),
    ("network, stride 3, 3 scales", {"gating": "network"}),
]


def median_seconds(call, repeats):
    result, _ = timed(call)  # warm-up: tables and caches
    seconds = [timed(call)[1] for _ in range(repeats)]
    return result, float(np.median(seconds))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-bm3d", action="store_true")
    parser.add_argument("--json", help="also write the table here, for the documentation")
    args = parser.parse_args(argv)
    clean = load_image(image_files(DATA / "bsds500-test200")[0])
    noisy = clean + SIGMA * np.random.default_rng(0).standard_normal(clean.shape)

    rows = {}
    if not args.no_bm3d:
        bm3d = import_bm3d()

        rows["BM3D"] = median_seconds(lambda: bm3d.bm3d(noisy, SIGMA), args.repeats)
    for label, kwargs in CONFIGURATIONS:
        rows[label] = median_seconds(
            lambda kwargs=kwargs: denoise_epll(noisy, SIGMA, **kwargs), args.repeats
        )
    bm3d_seconds = rows["BM3D"][1] if "BM3D" in rows else np.nan
    exact_seconds = rows["exact, stride 1"][1]
    table = [
        (
            label,
            f"{seconds:.3f}",
            f"{bm3d_seconds / seconds:.1f}x",
            f"{exact_seconds / seconds:.1f}x",
            f"{psnr(clean, estimate):.2f}",
        )
        for label, (estimate, seconds) in rows.items()
    ]
    title = f"Speed: {clean.shape[1]} x {clean.shape[0]} grey, sigma 25, median of {args.repeats}"
    header = ("method", "seconds", "faster than BM3D", "faster than exact s1", "PSNR")
    print_table(title, header, table)
    if args.json:
        command = "python benchmarks/bench_speed.py --repeats " + str(args.repeats)
        write_table_json(args.json, title, header, table, command)


if __name__ == "__main__":
    main()
