"""Rosenbaum & Weiss (2015), Figure 3: patch denoising quality against gating cost.

Patch-level MAP denoising at sigma 25 of held-out Set12 patches: each noisy patch is assigned
a component (exact posterior of a GMM with K components, or a gating network with F filters
in front of the shipped 200-component GMM) and Wiener-filtered with it. Plotted: PSNR of the
patches against log10 of the multiply-adds the gating spends per patch (a GMM:
``K d'(d'+1)/2`` with ``d' = 63``; a network: ``F (d' + K)``). GMMs with fewer components are
fitted here on the same BSDS300 patches as the shipped one; networks with 25 and 50 filters
are trained here like the shipped one (fewer minibatches: ``--network-batches``).

    python benchmarks/bench_figure3.py [--data ../shared/data] [--out figure3.png]
"""

import argparse
import time
from pathlib import Path

import numpy as np
from _common import print_table

from skgate import GatingNetwork, GMMPatchPrior, load_default_network, load_default_prior
from skgate.patches import sample_patches
from skgate.tables import MixtureTables

SIGMA = 25 / 255


def map_psnr(tables, labels_of, clean, noisy):
    """PSNR of patch MAP estimates: gate each noisy patch, Wiener-filter it, add its mean."""
    coords = tables.to_subspace(noisy)
    labels = labels_of(coords)
    estimate = tables.from_subspace(tables.wiener(coords, labels, SIGMA**2))
    estimate += noisy.mean(axis=1, keepdims=True)
    return 10 * np.log10(1 / np.mean((estimate - clean) ** 2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", default=str(default))
    parser.add_argument("--out", default="figure3.png")
    parser.add_argument("--components", default="2,5,10,20,50,100")
    parser.add_argument("--filters", default="25,50")
    parser.add_argument("--train-patches", type=int, default=200_000)
    parser.add_argument("--network-batches", type=int, default=6)
    args = parser.parse_args(argv)
    train_files = sorted((Path(args.data) / "bsds300-train").iterdir())
    test_files = sorted((Path(args.data) / "set12").glob("*.png"))
    clean = sample_patches(test_files, 20_000, 8, random_state=3).astype(np.float32)
    noisy = clean + SIGMA * np.random.default_rng(4).standard_normal(clean.shape).astype(np.float32)
    train = sample_patches(train_files, args.train_patches, 8, random_state=5)
    d = 63
    rows, gmm_points, net_points = [], [], []

    shipped = load_default_prior()
    for K in [int(k) for k in args.components.split(",")] + [200]:
        tic = time.perf_counter()
        if K == 200:
            prior = shipped
        else:
            prior = GMMPatchPrior(K, max_iter=30, random_state=0).fit(train)
        tables = MixtureTables(prior)
        p = map_psnr(
            tables,
            lambda c, t=tables: np.argmax(t.log_posterior(c, SIGMA**2), axis=1),
            clean,
            noisy,
        )
        cost = K * d * (d + 1) / 2
        gmm_points.append((np.log10(cost), p))
        rows.append((f"GMM K={K}", f"{cost:.3g}", f"{p:.2f}", f"{time.perf_counter() - tic:.0f}"))

    tables = MixtureTables(shipped)
    for F in [int(f) for f in args.filters.split(",")] + [100]:
        tic = time.perf_counter()
        if F == 100:
            network = load_default_network()
        else:
            network = GatingNetwork(
                shipped,
                n_filters=F,
                noise_levels=[0.0, SIGMA**2],
                n_batches=args.network_batches,
                random_state=0,
            ).fit(train)
        p = map_psnr(
            tables, lambda c, n=network: n.predict(tables.from_subspace(c), SIGMA**2), clean, noisy
        )
        cost = F * (d + 200)
        net_points.append((np.log10(cost), p))
        rows.append(
            (f"network F={F}", f"{cost:.3g}", f"{p:.2f}", f"{time.perf_counter() - tic:.0f}")
        )

    print_table(
        "Patch MAP denoising, sigma 25, 20,000 held-out Set12 patches",
        ("gating", "multiply-adds / patch", "PSNR", "seconds to fit"),
        rows,
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot(*zip(*gmm_points, strict=True), "o-", label="GMM, exact gating (K = 2..200)")
    ax.plot(*zip(*net_points, strict=True), "s-", label="gating network (25/50/100 filters)")
    ax.set_xlabel("log10 multiply-adds per patch (gating)")
    ax.set_ylabel("patch MAP PSNR (dB), sigma 25")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
