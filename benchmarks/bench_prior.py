"""Held-out quality and fitting time of GMMPatchPrior against sklearn's GaussianMixture.

Both are fitted on the same random 8x8 training patches of the BSDS300 training images with the
same DC handling (patches projected onto the zero-mean subspace; sklearn additionally fits free
means), with the same iteration budget; both are scored on held-out Set12 patches. The shipped
prior is scored on the same held-out patches. Prints one table.

    python benchmarks/bench_prior.py [--n-train 100000] [--max-iter 30] [--data ../shared/data]
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from _common import image_files
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from skgate import GMMPatchPrior, load_default_prior, sample_patches
from skgate._prior import dc_free_basis


def images(folder):
    return [p for p in image_files(folder) if p.suffix == ".png"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--data", default=str(Path(__file__).parents[1] / ".." / "shared" / "data"))
    parser.add_argument("--n-train", type=int, default=100_000)
    parser.add_argument("--n-held-out", type=int, default=100_000)
    parser.add_argument("--n-components", type=int, default=200)
    parser.add_argument("--max-iter", type=int, default=20)
    args = parser.parse_args(argv)
    data = Path(args.data)

    train = sample_patches(images(data / "bsds300-train"), args.n_train, 8, random_state=0)
    held_out = sample_patches(images(data / "set12"), args.n_held_out, 8, random_state=1)
    basis = dc_free_basis(64)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tic = time.perf_counter()
        ours = GMMPatchPrior(args.n_components, max_iter=args.max_iter, random_state=0)
        ours.fit(train.astype(np.float32))
        seconds = time.perf_counter() - tic
        rows.append(
            ("skgate GMMPatchPrior", seconds, ours.n_iter_, ours.score(train), ours.score(held_out))
        )

        tic = time.perf_counter()
        ref = GaussianMixture(
            args.n_components, covariance_type="full", max_iter=args.max_iter, random_state=0
        )
        ref.fit(train @ basis)
        seconds = time.perf_counter() - tic
        rows.append(
            (
                "sklearn GaussianMixture",
                seconds,
                ref.n_iter_,
                ref.score(train @ basis),
                ref.score(held_out @ basis),
            )
        )

    shipped = load_default_prior()
    meta = shipped.metadata_
    shipped_seconds = meta.get("warm_up_seconds", 0) + meta.get("full_seconds", 0)
    shipped_iter = meta.get("warm_up_iterations", 0) + meta.get("full_iterations", 0)
    rows.append(
        (
            f"shipped prior ({meta.get('n_patches')} patches)",
            shipped_seconds,
            shipped_iter,
            float("nan"),
            shipped.score(held_out),
        )
    )

    print(
        f"{args.n_train} training patches (BSDS300 train), {args.n_held_out} held-out "
        f"(Set12), {args.n_components} components, max_iter={args.max_iter}"
    )
    print(
        f"{'model':34s} {'fit s':>8s} {'iter':>5s} {'train LL':>9s} {'held-out LL':>11s}"
        f" {'time ratio':>10s}"
    )
    for name, seconds, n_iter, train_ll, test_ll in rows:
        ratio = seconds / rows[0][1]
        print(
            f"{name:34s} {seconds:8.1f} {n_iter:5d} {train_ll:9.3f} {test_ll:11.3f} {ratio:10.2f}"
        )


if __name__ == "__main__":
    main()
