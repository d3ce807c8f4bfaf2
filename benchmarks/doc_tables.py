"""The documentation's validation tables, rendered from the per-image results that
``bench_validation.py --save`` wrote (kept in ``benchmarks/results/``), into
``doc/_data/*.json`` for the ``benchmark-table`` directive: no number in those tables is typed
by hand.

    python benchmarks/doc_tables.py [--results benchmarks/results] [--out doc/_data]

Each table lists its rows as ``(file, label in the file, label shown)``; a cell is the mean
PSNR of the row at that noise level with, per table, its difference to the reference row
(BM3D, or the table's first row) and the share of images where the row is better.
"""

import argparse
import json
from pathlib import Path

import numpy as np
from _common import write_table_json

SIGMAS = (15, 25, 50, 75)

#: name -> (title, reference label shown, rows, show the share of images better)
TABLES = {
    "tuning50": (
        "First 50 photographs, grey, one scale: mean PSNR, difference to BM3D (share of "
        "images better)",
        "BM3D",
        [
            ("table50.json", "BM3D", "BM3D"),
            ("table50.json", "default", "default (exact, stride 3)"),
            ("table50.json", "network", 'gating="network" (previous network)'),
            ("table50.json", "network+exact", 'gating="network+exact" (previous network)'),
            ("adapt50.json", "adapt 1", "adapt=1"),
            ("adapt50.json", "network adapt 1", 'gating="network", adapt=1'),
            ("table50.json", "lam 0.85", "lam x 0.85"),
            ("table50.json", "lam 1.15", "lam x 1.15"),
            ("lam15.json", "lam 0.7", "lam x 0.7"),
            ("lam15.json", "lam 0.6", "lam x 0.6"),
            ("lam15.json", "z6", "one more penalty (to 64 / sigma^2)"),
            ("refit2_a.json", "network, heads refit", "network, layers refitted on new runs"),
            ("refit2_b.json", "network, heads refit", "network, layers refitted on new runs"),
        ],
        True,
    ),
    "adaptation50": (
        "First 50 photographs, grey, exact gating, stride 3, one scale: adapting the prior "
        "to the image (adapt=1); mean PSNR, difference to BM3D (share of images better)",
        "BM3D",
        [
            ("table50.json", "BM3D", "BM3D"),
            ("table50.json", "default", "default (no adaptation)"),
            ("adapt50.json", "adapt 1", "adapt=1"),
            ("adapt_tiles50.json", "adapt 1, 128-px tiles", "adapt=1 in 128-pixel tiles"),
            ("strength50.json", "adapt 1, strength 3", "adapt=1, adapt_strength=3"),
            ("strength50.json", "adapt 1, strength 30", "adapt=1, adapt_strength=30"),
            ("adapt50.json", "network adapt 1", 'gating="network" (previous), adapt=1'),
        ],
        True,
        ("sigmas", (25, 50)),
    ),
    "adaptation50_multiscale": (
        "The same with 3 scales and the retrained network",
        "BM3D",
        [
            ("adapt_ms50.json", "BM3D", "BM3D"),
            ("adapt_ms50.json", "default", "default (3 scales)"),
            ("adapt_ms50.json", "adapt 1", "adapt=1"),
            ("adapt_ms50.json", "network adapt 1", 'gating="network", adapt=1'),
        ],
        True,
        ("sigmas", (25,)),
        ("seconds_at", 25),
    ),
    "flattail50": (
        "First 50 photographs, grey, stride 3, one scale: FEPLL's flat-tail gating with "
        "rank leading eigenvectors against exact gating; mean PSNR, difference to exact",
        "exact",
        [
            ("flattail50.json", "exact s1", "exact"),
            ("flattail50.json", "flat-tail r8 s1", "flat tail, rank 8"),
            ("flattail50.json", "flat-tail r16 s1", 'flat tail, rank 16 (gating="flat-tail")'),
            ("flattail50.json", "flat-tail r32 s1", "flat tail, rank 32"),
        ],
        False,
        ("sigmas", (25, 50)),
        ("seconds_at", 25),
    ),
    "clip50": (
        "First 50 photographs, grey, 3 scales: clipping every intermediate estimate to [0, 1]",
        "default (3 scales)",
        [
            ("clip50.json", "default", "default (3 scales)"),
            ("clip50.json", "clip 0-1", "clip=(0, 1)"),
        ],
        False,
    ),
    "confirm200_one_scale": (
        "All 200 photographs, grey, one scale (before multi-scale and the retrained network): "
        "mean PSNR, difference to BM3D (share of images better)",
        "BM3D",
        [
            ("confirm200_15_75.json", "BM3D", "BM3D"),
            ("confirm200_25.json", "BM3D", "BM3D"),
            ("confirm200_50.json", "BM3D", "BM3D"),
            ("confirm200_15_75.json", "default", "default (exact)"),
            ("confirm200_25.json", "default", "default (exact)"),
            ("confirm200_50.json", "default", "default (exact)"),
            ("confirm200_15_75.json", "network", 'gating="network" (previous network)'),
            ("confirm200_25.json", "network", 'gating="network" (previous network)'),
            ("confirm200_50.json", "network", 'gating="network" (previous network)'),
        ],
        True,
    ),
    "multiscale_weights50": (
        "First 50 photographs, grey, 3 scales with the same fusion weight w at every scale: "
        "mean PSNR and difference to one scale",
        "one scale",
        [
            ("ms_weights50.json", "default", "one scale"),
            ("ms_weights50.json", "scales 3 w0.25", "w = 0.25"),
            ("ms_weights50.json", "scales 3 w0.5", "w = 0.5"),
            ("ms_weights50.json", "scales 3 w0.75", "w = 0.75"),
            ("ms_weights50.json", "scales 3 w1", "w = 1"),
        ],
        False,
    ),
    "multiscale_scales50": (
        "First 50 photographs, grey, the chosen weights: mean PSNR and difference to one scale",
        "1",
        [
            ("ms_scales50.json", "default", "1"),
            ("ms_scales50.json", "scales 2", "2"),
            ("ms_scales50.json", "scales 3", "3 (the default)"),
            ("ms_scales50.json", "scales 4", "4"),
        ],
        False,
    ),
    "colour20": (
        "First 20 photographs in colour: mean PSNR, difference to CBM3D (share of images better)",
        "CBM3D (bm3d_rgb)",
        [
            *(
                (file, "BM3D", "CBM3D (bm3d_rgb)")
                for file in ("colour20_15.json", "colour20_ms.json", "colour20_75.json")
            ),
            *(
                (file, "default", "default (exact, 3 scales)")
                for file in ("colour20_15.json", "colour20_ms.json", "colour20_75.json")
            ),
            ("colour20_15.json", "network", 'gating="network" (3 scales)'),
            ("colour20_newnet.json", "network", 'gating="network" (3 scales)'),
            ("colour20_75.json", "network", 'gating="network" (3 scales)'),
            ("colour20.json", "default", "one scale, exact (before)"),
            ("colour20.json", "network", "one scale, previous network"),
        ],
        True,
    ),
    "schedule50": (
        "First 50 photographs, grey, exact gating, stride 3, one scale: mean PSNR for each "
        "schedule (betas times 1 / sigma^2) and lam; seconds from single-threaded runs beside "
        "other jobs, to compare within the table only",
        None,
        [
            ("sched1.json", "default", "previous default r^k, k = 0..6, r = 2-3"),
            ("sched1.json", "z5", "[1, 4, 8, 16, 32] (Zoran & Weiss; the default)"),
            ("sched1.json", "z6", "[1, 4, 8, 16, 32, 64]"),
            ("sched1.json", "d6", "[1, 2, 4, 8, 16, 32]"),
            ("sched1.json", "r3", "[1, 3, 9, 27]"),
            ("sched1.json", "z4", "[1, 4, 8, 16]"),
            ("sched2.json", "e", "[0.5, 4, 8, 16, 32]"),
            ("sched2.json", "g", "[2, 4, 8, 16, 32]"),
            ("sched2.json", "f", "[1, 6, 12, 24, 48]"),
            ("sched2.json", "c", "[1, 3, 6, 12, 24, 48]"),
            ("sched2.json", "z5l07", "[1, 4, 8, 16, 32], lam x 0.7"),
            ("table50.json", "lam 0.85", "[1, 4, 8, 16, 32], lam x 0.85"),
            ("table50.json", "lam 1.15", "[1, 4, 8, 16, 32], lam x 1.15"),
            ("sched2.json", "z5l14", "[1, 4, 8, 16, 32], lam x 1.4"),
            ("sched2.json", "z5s1", "[1, 4, 8, 16, 32], stride 1"),
            ("sched2.json", "nz5", "[1, 4, 8, 16, 32], network gating (previous network)"),
            ("sched2.json", "nz6", "[1, 4, 8, 16, 32, 64], network gating (previous network)"),
        ],
        False,
        ("sigmas", (25, 50)),
        ("seconds_at", 25),
    ),
    "rescoring50": (
        "First 50 photographs, grey, stride 3, one scale: the network's k best components "
        "re-scored exactly, with the shipped network (filters trained at sigma 25)",
        None,
        [
            ("topk_newnet50.json", "network", "network"),
            ("topk_newnet50.json", "k 2", "network, k = 2 (the default)"),
            ("topk_newnet50.json", "k 4", "network, k = 4"),
            ("topk_newnet50.json", "k 8", "network, k = 8"),
            ("table50.json", "default", "exact"),
        ],
        False,
        ("sigmas", (25, 50)),
        ("seconds_at", 25),
    ),
    "rescoring50_previous": (
        "The same with the previous network (filters trained on clean patches)",
        None,
        [
            ("table50.json", "network", "network"),
            ("topk50.json", "network, top 2 re-scored", "network, k = 2"),
            ("table50.json", "network+exact", "network, k = 4 (then the default)"),
            ("topk50.json", "network, top 8 re-scored", "network, k = 8"),
            ("table50.json", "default", "exact"),
        ],
        False,
        ("sigmas", (25, 50)),
    ),
    "network_filters50": (
        "First 50 photographs, grey, one scale, stride 3: mean PSNR and difference to exact "
        "gating, for the previous network and for filters trained at sigma 25",
        "exact",
        [
            ("netexp50.json", "exact s1", "exact"),
            ("netexp50.json", "network s1", "previous network (clean filters)"),
            ("netexp50.json", "noisy fresh", "filters at sigma 25, fresh layers"),
            ("netexp50.json", "noisy epll", "same, layers refitted on EPLL runs"),
        ],
        False,
    ),
    "refined_prior50": (
        "First 50 photographs, grey, exact gating, stride 3, one scale: the shipped prior and "
        "the prior refined on 2,000,000 more patches",
        "shipped prior",
        [
            ("table50.json", "default", "shipped prior"),
            ("refined50.json", "refined prior", "refined (15 more EM iterations)"),
        ],
        False,
    ),
    "set12": (
        "Set12, the validation protocol's noise seeds, BM3D in the same run: mean PSNR",
        None,
        [
            ("set12_ms.json", "BM3D", "BM3D (this run)"),
            ("set12_ms.json", "exact stride 1", "exact, stride 1, 3 scales"),
            ("set12_ms.json", "default", "default (stride 3, 3 scales)"),
            ("set12_newnet.json", "network", "network, stride 3, 3 scales"),
            ("set12.json", "exact stride 1", "exact, stride 1, one scale"),
            ("set12.json", "default", "stride 3, one scale"),
            ("set12.json", "network", "previous network, stride 3, one scale"),
            # Zhang et al. (DnCNN, IEEE TIP 2017), Table III
            ("published", {15: 32.14, 25: 29.69, 50: 26.47}, "EPLL (published)"),
            ("published", {15: 32.37, 25: 29.97, 50: 26.72}, "BM3D (published)"),
        ],
        False,
        ("sigmas", (15, 25, 50)),
    ),
}


#: ``bench_validation_tasks.py`` runs: name -> (title, rows, columns = the tasks in the file)
TASK_TABLES = {
    "deblur_betas20": (
        "First 20 photographs, grey, exact gating, stride 3: deblurring schedules (absolute "
        "betas), 9x9 Gaussian kernel (std 1.6) and 15-pixel motion, noise 0.01; mean PSNR",
        [
            ("deblur20.json", "peer", "Wiener (best balance)"),
            ("deblur20.json", "default", "previous default 50 * 2^k, k 0..6"),
            ("deblur20.json", "betas 50*2^k, k to 9", "50 * 2^k, k 0..9"),
            ("deblur20.json", "betas 25*2^k, k to 7", "25 * 2^k, k 0..7"),
            ("deblur20b.json", "betas 12.5*2^k, k to 8", "12.5 * 2^k, k 0..8"),
            ("deblur20.json", "betas 50*4^k, k to 4", "50 * 4^k, k 0..4"),
            ("deblur20b.json", "betas 25*4^k, k to 4", "25 * 4^k, k 0..4"),
            ("deblur20c.json", "betas 25*8^k, k to 3", "25 * 8^k, k 0..3"),
            ("deblur20d.json", "betas 10*3^k, k to 7", "10 * 3^k, k 0..7"),
            ("deblur20d.json", "betas 10*4^k, k to 4", "10 * 4^k, k 0..4"),
            ("deblur20d.json", "betas 10*4^k, k to 5", "10 * 4^k, k 0..5"),
            ("deblur20d.json", "betas 5*4^k, k to 5", "5 * 4^k, k 0..5 (the default)"),
            ("deblur20d.json", "betas 5*4^k, k to 6", "5 * 4^k, k 0..6"),
        ],
    ),
    "deblur_confirm50": (
        "First 50 photographs: the chosen deblurring schedule confirmed; mean PSNR",
        [
            ("deblur50.json", "peer", "Wiener (best balance)"),
            ("deblur50.json", "default", "previous default 50 * 2^k, k 0..6"),
            ("deblur50.json", "betas 5*4^k, k to 5", "5 * 4^k, k 0..5 (the default)"),
        ],
    ),
    "inpaint_betas20": (
        "First 20 photographs, grey, half of the pixels missing at random: inpainting "
        "schedules; mean PSNR",
        [
            ("inpaint20.json", "peer", "inpaint_biharmonic"),
            ("inpaint20.json", "default", "50 * 1.25^k, k 0..28 (the default)"),
            ("inpaint20.json", "betas 50*1.5^k, k to 15", "50 * 1.5^k, k 0..15"),
            ("inpaint20.json", "betas 25*1.25^k, k to 31", "25 * 1.25^k, k 0..31"),
        ],
    ),
}


#: Timing runs of ``bench_validation.py``: name -> (title, file, [(label, shown)])
TIMING_TABLES = {
    "speed_before10": (
        "First 10 photographs, one scale, before the speed work: median seconds per image and "
        "the median ratio of BM3D's time to skgate's",
        "timing10.json",
        [
            ("BM3D", "BM3D"),
            ("default", "default (exact, stride 3)"),
            ("network", 'gating="network" (previous network)'),
            ("network+exact", 'gating="network+exact" (previous network)'),
            ("adapt 1", "adapt=1"),
            ("exact stride 1", "exact, stride 1"),
            ("network stride 1", "network, stride 1"),
        ],
    ),
}


def render_timing(results, title, file, rows):
    data = _load(results, file)
    sigmas = sorted({sigma for sigma, _ in data})
    table = []
    for label, shown in rows:
        cells = [shown]
        ratios = []
        for sigma in sigmas:
            seconds = data[(sigma, label)][:, 2]
            cells.append(f"{np.median(seconds):.2f}")
            ratios.append(np.median(data[(sigma, "BM3D")][:, 2] / seconds))
        low, high = min(ratios), max(ratios)
        cells.append(f"{low:.1f}x" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}-{high:.1f}x")
        table.append(cells)
    header = ["configuration", *(f"s (sigma {s:g})" for s in sigmas), "BM3D time / skgate's"]
    return title, header, table


def render_tasks(results, title, rows):
    """Rows of mean PSNR, one column per task of the runs (kernels, masks)."""
    data, tasks = {}, {}
    for file, label, shown in rows:
        saved = json.loads((results / file).read_text())["results"]
        for task, labelled in saved.items():
            tasks[task] = None
            if label in labelled:
                data[(task, shown)] = np.asarray(labelled[label])
    shown_rows = list(dict.fromkeys(shown for _, _, shown in rows))
    table = [
        [
            shown,
            *(f"{data[(t, shown)][:, 0].mean():.3f}" if (t, shown) in data else "" for t in tasks),
        ]
        for shown in shown_rows
    ]
    return title, ["configuration", *tasks], table


def _load(results, file):
    saved = json.loads((results / file).read_text())["results"]
    return {
        (float(key.split("|", 1)[0]), key.split("|", 1)[1]): np.asarray(rows)
        for key, rows in saved.items()
    }


def render(results, title, reference, rows, share, sigmas=SIGMAS, seconds_at=None):
    """Rows of cells ``PSNR diff (share)``, one column per noise level (``reference=None``:
    the PSNR alone), and with ``seconds_at`` the median seconds per image at that noise
    level."""
    data = {}
    for file, label, shown in rows:
        if file == "published":  # cited numbers: label maps sigma -> PSNR
            for sigma, psnr in label.items():
                data[(float(sigma), shown)] = np.array([[psnr, np.nan, np.nan]])
            continue
        for (sigma, found), values in _load(results, file).items():
            if found == label:
                data[(sigma, shown)] = values
    shown_rows = list(dict.fromkeys(shown for _, _, shown in rows))
    table = []
    for shown in shown_rows:
        cells = [shown]
        for sigma in sigmas:
            values = data.get((float(sigma), shown))
            base = data.get((float(sigma), reference))
            if values is None:
                cells.append("")
            elif shown == reference or base is None:
                cells.append(f"{values[:, 0].mean():.3f}")
            else:
                diff = values[:, 0] - base[:, 0]
                cell = f"{values[:, 0].mean():.3f} {diff.mean():+.3f}"
                cells.append(cell + (f" ({np.mean(diff > 0):.0%})" if share else ""))
        if seconds_at is not None:
            values = data.get((float(seconds_at), shown))
            cells.append("" if values is None else f"{np.median(values[:, 2]):.2f}")
        table.append(cells)
    header = ["configuration", *(f"sigma {s}" for s in sigmas)]
    if seconds_at is not None:
        header.append(f"s/image (sigma {seconds_at})")
    return title, header, table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--out", default=str(Path(__file__).parent.parent / "doc" / "_data"))
    args = parser.parse_args(argv)
    results, out = Path(args.results), Path(args.out)
    for name, (title, reference, rows, share, *options) in TABLES.items():
        title, header, table = render(results, title, reference, rows, share, **dict(options))
        _write(out, name, title, header, table, rows)
    for name, (title, rows) in TASK_TABLES.items():
        _write(out, name, *render_tasks(results, title, rows), rows)
    for name, (title, file, rows) in TIMING_TABLES.items():
        _write(out, name, *render_timing(results, title, file, rows), [(file, None, None)])


def _write(out, name, title, header, table, rows):
    command = (
        "python benchmarks/doc_tables.py (from the saved runs: "
        + ", ".join(sorted({file for file, _, _ in rows}))
        + ")"
    )
    write_table_json(out / f"{name}.json", title, header, table, command)
    print(f"\n{name}: {title}")
    for row in [header, *table]:
        print("  " + " | ".join(row))


if __name__ == "__main__":
    main()
