"""Rosenbaum & Weiss (2015), Figure 3: patch denoising quality against gating cost.

Patch-level MAP denoising at sigma 25 of held-out patches (20,000 from Set12 and 20,000 from
the validation photographs): each noisy patch is assigned a component (exact posterior of a
GMM with K components, or a gating network with F filters in front of the shipped
200-component GMM) and Wiener-filtered with it. Plotted: PSNR of the patches against log10
of the multiply-adds the gating spends per patch (a GMM: ``K d'(d'+1)/2`` with ``d' = 63``;
a network: ``F (d' + K)``). GMMs with fewer components are fitted here on BSDS300 patches
like the shipped one. Networks with 25, 50 and 100 filters are trained here as in the paper:
on patches noised at sigma 25 (the level they are tested at), ``--network-batches``
minibatches of ``--batch-size`` patches (paper: 500 of 10,000), ``--max-iter`` L-BFGS
iterations each (paper: 100); ``--networks DIR`` keeps them, and a later run loads them. The
shipped network (trained the same way, with an output layer per noise level for EPLL) is
shown too.

    python benchmarks/bench_figure3.py [--data ../shared/data] [--out figure3.png]
        [--networks benchmarks/results/figure3]
"""

import argparse
import time
from pathlib import Path

import numpy as np
from _common import image_files, print_table

from skgate import (
    GatingNetwork,
    GMMPatchPrior,
    load_default_network,
    load_default_prior,
    sample_patches,
)
from skgate._tables import MixtureTables
from skgate.models import load_network, save_network

SIGMA = 25 / 255


def map_psnr(tables, labels_of, clean, noisy):
    """PSNR of patch MAP estimates: gate each noisy patch, Wiener-filter it (its mean passes
    through)."""
    estimate = tables.wiener_patches(noisy, labels_of(noisy), SIGMA**2)
    return 10 * np.log10(1 / np.mean((estimate - clean) ** 2))


def trained_network(F, prior, train, args):
    """The F-filter network trained at sigma 25, loaded from ``--networks`` if kept there."""
    path = Path(args.networks) / f"network_{F}.npz" if args.networks else None
    if path is not None and path.exists():
        return load_network(path, prior=prior), "earlier run"
    tic = time.perf_counter()
    network = GatingNetwork(
        prior,
        n_filters=F,
        noise_levels=[SIGMA**2],
        batch_size=args.batch_size,
        n_batches=args.network_batches,
        max_iter=args.max_iter,
        random_state=F,
    ).fit(train)
    minutes = (time.perf_counter() - tic) / 60
    curve = np.asarray(network.loss_curve_)
    tail = max(1, len(curve) // 10)
    last, before = curve[-tail:].mean(), curve[-2 * tail : -tail].mean()
    print(
        f"F={F}: {minutes:.1f} min; minibatch loss first {curve[0]:.4f}, mean of the last "
        f"{tail} {last:.4f}, of the {tail} before {before:.4f}",
        flush=True,
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_network(
            network,
            path,
            metadata={
                "figure3": f"{args.network_batches} minibatches of {args.batch_size} at sigma 25, "
                f"{args.max_iter} L-BFGS iterations each, {minutes:.1f} min",
                "loss_curve": [float(v) for v in curve],
            },
        )
    return network, f"{minutes * 60:.0f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", default=str(default))
    parser.add_argument("--out", default="figure3.png")
    parser.add_argument("--components", default="2,5,10,20,50,100")
    parser.add_argument("--filters", default="25,50,100")
    parser.add_argument("--gmm-patches", type=int, default=200_000)
    parser.add_argument("--train-patches", type=int, default=1_000_000)
    parser.add_argument("--network-batches", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--networks", default=None, metavar="DIR")
    args = parser.parse_args(argv)
    data = Path(args.data)
    train_files = image_files(data / "bsds300-train")
    test_sets = {
        "Set12": image_files(data / "set12"),
        "validation": image_files(data / "bsds500-test200"),
    }
    rng = np.random.default_rng(4)
    tests = {}
    for name, files in test_sets.items():
        clean = sample_patches(files, 20_000, 8, random_state=3).astype(np.float32)
        noise = SIGMA * rng.standard_normal(clean.shape).astype(np.float32)
        tests[name] = (clean, clean + noise)
    train = sample_patches(train_files, args.train_patches, 8, random_state=5)
    d = 63
    rows, gmm_points, net_points = [], [], []

    def scores(tables, labels_of):
        return [map_psnr(tables, labels_of, *tests[name]) for name in tests]

    shipped = load_default_prior()
    for K in [int(k) for k in args.components.split(",")] + [200]:
        tic = time.perf_counter()
        if K == 200:
            prior = shipped
        else:
            prior = GMMPatchPrior(K, max_iter=30, random_state=0).fit(train[: args.gmm_patches])
        tables = MixtureTables(prior)

        def exact(patches, t=tables):
            return np.argmax(t.log_posterior(t.to_subspace(patches), SIGMA**2), axis=1)

        psnrs = scores(tables, exact)
        cost = K * d * (d + 1) / 2
        gmm_points.append((np.log10(cost), psnrs[1]))
        seconds = "shipped" if K == 200 else f"{time.perf_counter() - tic:.0f}"
        rows.append((f"GMM K={K}", f"{cost:.3g}", *(f"{p:.2f}" for p in psnrs), seconds))

    tables = MixtureTables(shipped)
    networks = [
        (f"network F={F}", *trained_network(int(F), shipped, train, args))
        for F in args.filters.split(",")
    ]
    networks.append(("shipped network (F=100)", load_default_network(), "shipped"))
    for label, network, seconds in networks:
        psnrs = scores(tables, lambda x, n=network: n.predict(x, SIGMA**2))
        cost = network.filters_.shape[0] * (d + 200)
        if not label.startswith("shipped"):
            net_points.append((np.log10(cost), psnrs[1]))
        rows.append((label, f"{cost:.3g}", *(f"{p:.2f}" for p in psnrs), seconds))

    print_table(
        "Patch MAP denoising, sigma 25, 20,000 held-out patches each",
        ("gating", "multiply-adds / patch", *(f"PSNR {n}" for n in tests), "s to fit (this run)"),
        rows,
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot(*zip(*gmm_points, strict=True), "o-", label="GMM, exact gating (K = 2..200)")
    ax.plot(*zip(*net_points, strict=True), "s-", label="gating network (25/50/100 filters)")
    ax.set_xlabel("log10 multiply-adds per patch (gating)")
    ax.set_ylabel("patch MAP PSNR (dB), sigma 25, validation")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
