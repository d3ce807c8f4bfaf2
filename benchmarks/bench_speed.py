"""Speed of the default denoising paths against BM3D, same image, same run.

One 481 x 321 grey validation photograph at sigma 25 (the default schedule), each
configuration timed ``--repeats`` times after one warm-up run (tables built, caches warm);
the table gives the median seconds, the ratio to BM3D's median and to exact gating at stride
1, and the PSNR. BM3D is ``bm3d.bm3d`` from the ``bm3d`` package (``pip install ".[bench]"``).

    python benchmarks/bench_speed.py [--repeats 5] [--no-bm3d] [--json doc/_data/speed.json]

``--colour``: the same photograph in colour, CBM3D (``bm3d.bm3d_rgb``) against the default
(the grey prior per opponent channel) and the shipped colour prior with each gating, 3
scales; the ratios' reference is the colour prior with exact gating.

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

from skgate import denoise_epll, load_default_prior

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


#: The same for colour (``--colour``): the colour prior with exact gating is the reference.
COLOUR_CONFIGURATIONS = [
    ("colour prior, exact", {"colour_prior": True}),
    ("colour prior, network", {"colour_prior": True, "gating": "network"}),
    ("colour prior, network+exact", {"colour_prior": True, "gating": "network+exact"}),
    ("default (grey prior per opponent channel)", {}),
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
    parser.add_argument("--colour", action="store_true", help="the photograph in colour")
    args = parser.parse_args(argv)
    clean = load_image(image_files(DATA / "bsds500-test200")[0], colour=args.colour)
    noisy = clean + SIGMA * np.random.default_rng(0).standard_normal(clean.shape)
    configurations, reference = CONFIGURATIONS, "exact, stride 1"
    options = {}
    if args.colour:
        configurations, reference = COLOUR_CONFIGURATIONS, "colour prior, exact"
        options = {"channel_axis": -1}
        colour_prior = load_default_prior(colour=True)

    rows = {}
    if not args.no_bm3d:
        bm3d = import_bm3d()
        peer = bm3d.bm3d_rgb if args.colour else bm3d.bm3d
        rows["CBM3D" if args.colour else "BM3D"] = median_seconds(
            lambda: peer(noisy, SIGMA), args.repeats
        )
    for label, kwargs in configurations:
        kwargs = dict(kwargs, **options)
        if kwargs.pop("colour_prior", False):
            kwargs["prior"] = colour_prior
        rows[label] = median_seconds(
            lambda kwargs=kwargs: denoise_epll(noisy, SIGMA, **kwargs), args.repeats
        )
    peer_name = "CBM3D" if args.colour else "BM3D"
    bm3d_seconds = rows[peer_name][1] if peer_name in rows else np.nan
    exact_seconds = rows[reference][1]
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
    kind = "colour" if args.colour else "grey"
    title = f"Speed: {clean.shape[1]} x {clean.shape[0]} {kind}, sigma 25, median of {args.repeats}"
    header = (
        "method",
        "seconds",
        f"faster than {peer_name}",
        "faster than colour exact" if args.colour else "faster than exact s1",
        "PSNR",
    )
    print_table(title, header, table)
    if args.json:
        command = "python benchmarks/bench_speed.py --repeats " + str(args.repeats)
        command += " --colour" if args.colour else ""
        write_table_json(args.json, title, header, table, command)


if __name__ == "__main__":
    main()
