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
        ],
        True,
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
}


def _load(results, file):
    saved = json.loads((results / file).read_text())["results"]
    return {
        (float(key.split("|", 1)[0]), key.split("|", 1)[1]): np.asarray(rows)
        for key, rows in saved.items()
    }


def render(results, title, reference, rows, share):
    """Rows of cells ``PSNR diff (share)``, one column per noise level."""
    data = {}
    for file, label, shown in rows:
        for (sigma, found), values in _load(results, file).items():
            if found == label:
                data[(sigma, shown)] = values
    shown_rows = list(dict.fromkeys(shown for _, _, shown in rows))
    table = []
    for shown in shown_rows:
        cells = [shown]
        for sigma in SIGMAS:
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
        table.append(cells)
    header = ["configuration", *(f"sigma {s}" for s in SIGMAS)]
    return title, header, table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--out", default=str(Path(__file__).parent.parent / "doc" / "_data"))
    args = parser.parse_args(argv)
    results, out = Path(args.results), Path(args.out)
    for name, (title, reference, rows, share) in TABLES.items():
        title, header, table = render(results, title, reference, rows, share)
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
