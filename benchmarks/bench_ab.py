"""Speed of two versions of skgate on one machine, alternating: A, B, A, B, ... so that a
change in the machine's load hits both alike.

Each round runs one fresh process per version (``PYTHONPATH`` pointing at its source tree)
that restores a validation photograph once to warm up (models loaded, tables built) and then
times one call per configuration; the table gives each version's median over the rounds and
the ratio B / A.

    git worktree add /tmp/before <commit>
    python benchmarks/bench_ab.py --a /tmp/before --b . [--rounds 9]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _common import DATA, image_files, print_table

#: (label, image crop, keyword arguments of denoise_epll): explicit settings, the same in
#: every version.
CONFIGS = [
    ("network s1, 481x321", None, {"stride": 1, "scales": 1, "gating": "network"}),
    ("network s3, 481x321", None, {"stride": 3, "scales": 1, "gating": "network"}),
    ("exact s3 x3, 481x321", None, {"stride": 3, "scales": 3}),
    ("network s3 x3, 481x321", None, {"stride": 3, "scales": 3, "gating": "network"}),
    ("network s3 x3, 64x64", 64, {"stride": 3, "scales": 3, "gating": "network"}),
]

_CHILD = r"""
import json, sys, time
import numpy as np
from skimage import io, img_as_float
from skimage.color import rgb2gray
from skgate import denoise_epll
path, configs = sys.argv[1], json.loads(sys.argv[2])
image = img_as_float(io.imread(path))
image = rgb2gray(image) if image.ndim == 3 else image
noisy = image + 25 / 255 * np.random.default_rng(0).standard_normal(image.shape)
denoise_epll(noisy, 25 / 255)  # warm-up: models and tables
seconds = []
for label, crop, kwargs in configs:
    y = noisy if crop is None else noisy[:crop, :crop]
    tic = time.perf_counter()
    denoise_epll(y, 25 / 255, **kwargs)
    seconds.append(time.perf_counter() - tic)
print(json.dumps(seconds))
"""


def _one_round(tree, image, configs):
    env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve()), "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(image), json.dumps(configs)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd="/",  # import skgate from the tree, not from the current folder
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", required=True, type=Path, help="source tree of version A")
    parser.add_argument("--b", required=True, type=Path, help="source tree of version B")
    parser.add_argument("--rounds", type=int, default=9, help="rounds (default: 9)")
    parser.add_argument(
        "--only", default="", help="run only the configurations whose label contains this"
    )
    args = parser.parse_args()
    configs = [config for config in CONFIGS if args.only in config[0]]
    folder = DATA / "bsds500-test200"
    files = image_files(folder) if folder.is_dir() else []
    if not files:
        sys.exit(f"bench_ab needs the validation photographs in {folder}")
    times = {"A": [], "B": []}
    for _ in range(args.rounds):
        for name, tree in (("A", args.a), ("B", args.b)):
            times[name].append(_one_round(tree, files[0], configs))
    rows = []
    for i, (label, _, _) in enumerate(configs):
        a = statistics.median(t[i] for t in times["A"])
        b = statistics.median(t[i] for t in times["B"])
        rows.append([label, f"{1000 * a:.1f}", f"{1000 * b:.1f}", f"{b / a:.3f}"])
    print_table(
        f"ms per call, median of {args.rounds} alternating rounds (A = {args.a}, B = {args.b})",
        ["configuration", "A ms", "B ms", "B / A"],
        rows,
    )


if __name__ == "__main__":
    main()
