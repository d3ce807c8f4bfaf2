"""Reproduce the models shipped in ``skgate/models/``.

Usage (from the project root, with the BSDS300 training images beside it)::

    python scripts/train_default_models.py --what prior    # gmm_8x8_200.npz
    python scripts/train_default_models.py --what refine-prior  # more EM on fresh patches
    python scripts/train_default_models.py --what network  # gating_8x8_200.npz (needs the prior)
    python scripts/train_default_models.py --what network-heads  # refit its output layers
                                                                 # (not used for the shipped file)
    python scripts/train_default_models.py --what colour-prior   # gmm_8x8x3_200.npz
    python scripts/train_default_models.py --what colour-network # gating_8x8x3_200.npz

The default prior ``gmm_8x8_200.npz``: 200 components over DC-removed 8x8 patches of the 200
BSDS300 training images, grey (``skimage.color.rgb2gray``) in [0, 1]. EM is warm-started:
up to 40 iterations on 200,000 random patches, then up to 20 iterations on 1,000,000 patches
(``skgate.train_prior``). The default gating network ``gating_8x8_200.npz``: 100 filters
trained by
L-BFGS as in the paper (500 minibatches of 10,000 patches noised at sigma 25, 100 iterations
each) against the shipped prior's exact posteriors, plus one output layer per noise level
(filters fixed). ``--what network-heads`` refits the output layers
(:meth:`GatingNetwork.fit_heads`) on patches gated during exact-gating EPLL runs
(:func:`skgate.epll_patches`: the first 30 training images at sigma 15, 25, 35, 50 and
75 /255, stride 3, 1,500 patches per step); whether the shipped file had that step is in its
metadata. The colour prior ``gmm_8x8x3_200.npz``: 200 components over 8x8 RGB patches (in
[0, 1], each channel's mean removed) of the same photographs, up to 30 EM iterations on
200,000 patches, then up to 10 on 500,000; its network ``gating_8x8x3_200.npz`` is trained as
the grey one on fewer minibatches (``--colour-network-batches``). The run that produced each shipped
file is recorded in its metadata (``.metadata_``): patches, iterations, minutes, likelihood.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from skgate import GatingNetwork, epll_patches, sample_patches, train_prior
from skgate.models import (
    DEFAULT_COLOUR_NETWORK_FILE,
    DEFAULT_COLOUR_PRIOR_FILE,
    DEFAULT_NETWORK_FILE,
    DEFAULT_PRIOR_FILE,
    load_default_prior,
    load_network,
    load_prior,
    save_network,
    save_prior,
)

# Noise variances at which EPLL gates for sigma between about 10/255 and 100/255:
# 1/beta runs from sigma^2/32 to sigma^2.
NETWORK_NOISE_LEVELS = [0.0] + [1e-4 * 2.0**k for k in range(12)]


def image_files(folder):
    files = sorted(
        p for p in Path(folder).iterdir() if p.suffix.lower() in {".png", ".jpg", ".tif"}
    )
    if not files:
        sys.exit(f"no images in {folder}")
    return files


def train_default_prior(args):
    tic = time.perf_counter()
    prior = train_prior(
        image_files(args.train),
        n_patches=args.n_patches,
        warm_up_patches=args.warm_up_patches,
        n_components=args.n_components,
        random_state=0,
        verbose=1,
    )
    minutes = (time.perf_counter() - tic) / 60
    held_out = sample_patches(image_files(args.held_out), 100_000, 8, random_state=1)
    prior.metadata_.update(
        {
            "training_images": "BSDS300 train (200 images), grey via skimage.color.rgb2gray",
            "total_minutes": round(minutes, 1),
            "held_out": "100,000 random 8x8 patches of Set12 (random_state=1)",
            "held_out_mean_log_likelihood": float(prior.score(held_out)),
            "numpy": np.__version__,
        }
    )
    out = Path(args.out) / DEFAULT_PRIOR_FILE
    save_prior(prior, out)
    print(f"wrote {out}: {prior.metadata_}")


def train_colour_prior(args):
    """The colour prior: RGB 8x8 patches (per-channel means removed) of the same photographs,
    EM warm-started as for the grey prior; chunks of 2048 patches (4x faster per E-step than
    16384 at 189 dimensions: the packed chunk stays in cache)."""
    tic = time.perf_counter()
    prior = train_prior(
        image_files(args.train),
        n_patches=args.colour_patches,
        warm_up_patches=args.colour_warm_up_patches,
        warm_up_iter=args.colour_warm_up_iter,
        max_iter=args.colour_iter,
        n_components=args.n_components,
        colour=True,
        chunk_size=2048,
        random_state=0,
        verbose=1,
    )
    minutes = (time.perf_counter() - tic) / 60
    validation = sample_patches(
        image_files(args.validation), 100_000, 8, random_state=1, colour=True
    )
    prior.metadata_.update(
        {
            "training_images": "BSDS300 train (200 images), RGB in [0, 1]",
            "total_minutes": round(minutes, 1),
            "validation": "100,000 random 8x8 RGB patches of bsds500-test200 (random_state=1)",
            "validation_mean_log_likelihood": float(prior.score(validation)),
            "numpy": np.__version__,
        }
    )
    out = Path(args.out) / DEFAULT_COLOUR_PRIOR_FILE
    save_prior(prior, out)
    print(f"wrote {out}: {prior.metadata_}")


def refine_default_prior(args):
    """More EM iterations for the shipped prior on fresh patches (warm start)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    prior = load_default_prior()
    info = dict(prior.metadata_)
    X = sample_patches(
        image_files(args.train),
        args.refine_patches,
        8,
        random_state=7,
        dtype="float32",
        augment=args.augment,
    )
    tic = time.perf_counter()
    prior.set_params(warm_start=True, max_iter=args.refine_iter, verbose=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        prior.fit(X)
    minutes = (time.perf_counter() - tic) / 60
    held_out = sample_patches(image_files(args.held_out), 100_000, 8, random_state=1)
    validation = sample_patches(image_files(args.validation), 100_000, 8, random_state=1)
    info.update(
        {
            "refine_patches": args.refine_patches,
            "refine_augment": "8 symmetries of the square" if args.augment else "none",
            "validation_mean_log_likelihood_before": float(load_default_prior().score(validation)),
            "validation_mean_log_likelihood": float(prior.score(validation)),
            "refine_iterations": int(prior.n_iter_),
            "refine_minutes": round(minutes, 1),
            "total_minutes": round(info.get("total_minutes", 0) + minutes, 1),
            "train_mean_log_likelihood": prior.lower_bound_,
            "held_out_mean_log_likelihood": float(prior.score(held_out)),
        }
    )
    prior.set_params(warm_start=False, verbose=0)
    prior.metadata_ = info
    out = Path(args.out) / DEFAULT_PRIOR_FILE
    save_prior(prior, out)
    print(f"wrote {out}: {prior.metadata_}")


#: Noise variance of the patches the shipped network's filters are trained on (sigma 25/255):
#: filters trained on clean patches gated EPLL's noisy patches 0.04-0.07 dB worse
#: (doc/validation_tuning.rst, "The gating network's filters").
FILTER_NOISE = (25 / 255) ** 2


def fit_network(prior, X, n_batches):
    """A network trained as the paper's: 100 filters, ``n_batches`` minibatches of 10,000 of
    the patches ``X`` noised at sigma 25, 100 L-BFGS iterations each, then one output layer
    per noise level of ``NETWORK_NOISE_LEVELS``."""
    return GatingNetwork(
        prior,
        n_filters=100,
        noise_levels=NETWORK_NOISE_LEVELS,
        filter_noise=FILTER_NOISE,
        batch_size=10_000,
        n_batches=n_batches,
        max_iter=100,
        random_state=100,
        verbose=1,
    ).fit(X)


def train_default_network(args):
    """As the paper trains its networks: 500 minibatches of 10,000 patches noised at
    sigma 25, 100 L-BFGS iterations each (the filters converge: the last 50 minibatches'
    mean cross-entropy is within 0.001 of the 50 before); then one output layer per noise
    level, filters fixed, on 50 minibatches of 10,000 patches noised at that level."""
    prior = load_default_prior()
    tic = time.perf_counter()
    X = sample_patches(image_files(args.train), 1_000_000, 8, random_state=5)
    network = fit_network(prior, X, args.network_batches)
    minutes = (time.perf_counter() - tic) / 60
    held_out = sample_patches(image_files(args.held_out), 20_000, 8, random_state=1)
    curve = np.asarray(network.loss_curve_)
    network.metadata_ = {
        "training_images": "BSDS300 train (200 images), grey via skimage.color.rgb2gray",
        "filters": f"{args.network_batches} minibatches of 10,000 of 1M patches (seed 5) "
        "noised at sigma 25/255, 100 L-BFGS iterations each (seed 100)",
        "filter_loss_last_50_minibatches": float(curve[-50:].mean()),
        "filter_loss_50_before": float(curve[-100:-50].mean()),
        "heads": f"{max(1, args.network_batches // 10)} minibatches of 10,000 per noise level",
        "total_minutes": round(minutes, 1),
        "held_out": "20,000 random 8x8 patches of Set12 (random_state=1)",
        "held_out_agreement_clean": network.score(held_out),
        "held_out_cross_entropy_clean": network.cross_entropy(held_out),
    }
    out = Path(args.out) / DEFAULT_NETWORK_FILE
    save_network(network, out)
    print(f"wrote {out}: {network.metadata_}")


def train_colour_network(args):
    """The colour prior's gating network, trained as the grey one (filters on patches noised
    at sigma 25, then one output layer per noise level) on RGB patches, with
    ``--colour-network-batches`` minibatches."""
    prior = load_prior(Path(args.out) / DEFAULT_COLOUR_PRIOR_FILE)
    tic = time.perf_counter()
    X = sample_patches(image_files(args.train), 1_000_000, 8, random_state=5, colour=True)
    network = fit_network(prior, X, args.colour_network_batches)
    minutes = (time.perf_counter() - tic) / 60
    validation = sample_patches(
        image_files(args.validation), 20_000, 8, random_state=1, colour=True
    )
    curve = np.asarray(network.loss_curve_)
    network.metadata_ = {
        "training_images": "BSDS300 train (200 images), RGB in [0, 1]",
        "filters": f"{args.colour_network_batches} minibatches of 10,000 of 1M RGB patches "
        "(seed 5) noised at sigma 25/255, 100 L-BFGS iterations each (seed 100)",
        "filter_loss_last_10_minibatches": float(curve[-10:].mean()),
        "filter_loss_10_before": float(curve[-20:-10].mean()),
        "heads": f"{max(1, args.colour_network_batches // 10)} minibatches of 10,000 per "
        "noise level",
        "total_minutes": round(minutes, 1),
        "validation": "20,000 random 8x8 RGB patches of bsds500-test200 (random_state=1)",
        "validation_agreement_clean": network.score(validation),
        "validation_cross_entropy_clean": network.cross_entropy(validation),
    }
    out = Path(args.out) / DEFAULT_COLOUR_NETWORK_FILE
    save_network(network, out)
    print(f"wrote {out}: {network.metadata_}")


def refit_network_heads(args):
    """Refit the shipped network's output layers on patches from real EPLL runs: the gating
    sees restored patches there, not freshly noised ones (measured gain in
    ``GatingNetwork.fit_heads``)."""
    prior = load_default_prior()
    path = Path(args.out) / DEFAULT_NETWORK_FILE
    network = load_network(path, prior)
    tic = time.perf_counter()
    files = image_files(args.train)[: args.heads_images]
    X, noise_var = epll_patches(files, prior, per_step=args.heads_per_step, random_state=0)
    network.set_params(max_iter=100, verbose=1).fit_heads(X, noise_var)
    minutes = (time.perf_counter() - tic) / 60
    info = dict(network.metadata_)
    info["heads_refit"] = (
        f"output layers refitted on {len(X)} patches from exact-gating EPLL runs on the first "
        f"{len(files)} training images (sigma 15/25/35/50/75, stride 3, {args.heads_per_step} "
        "per step, default schedule, seed "
        f"0), 100 L-BFGS iterations per level, {minutes:.1f} min"
    )
    network.set_params(verbose=0)
    network.metadata_ = info
    save_network(network, path)
    print(f"wrote {path}: {network.metadata_}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--what",
        choices=[
            "prior",
            "refine-prior",
            "network",
            "network-heads",
            "colour-prior",
            "colour-network",
            "all",
        ],
        default="all",
    )
    parser.add_argument("--refine-patches", type=int, default=2_000_000)
    parser.add_argument("--refine-iter", type=int, default=20)
    parser.add_argument("--train", default="../shared/data/bsds300-train")
    parser.add_argument("--held-out", default="../shared/data/set12")
    parser.add_argument("--validation", default="../shared/data/bsds500-test200")
    parser.add_argument(
        "--augment", action="store_true", help="refine-prior: patches in all 8 orientations"
    )
    parser.add_argument("--n-patches", type=int, default=1_000_000)
    parser.add_argument("--warm-up-patches", type=int, default=200_000)
    parser.add_argument("--n-components", type=int, default=200)
    parser.add_argument("--network-batches", type=int, default=500)
    parser.add_argument("--colour-patches", type=int, default=500_000)
    parser.add_argument("--colour-warm-up-patches", type=int, default=200_000)
    parser.add_argument("--colour-warm-up-iter", type=int, default=30)
    parser.add_argument("--colour-iter", type=int, default=10)
    parser.add_argument("--colour-network-batches", type=int, default=100)
    parser.add_argument("--heads-images", type=int, default=30)
    parser.add_argument("--heads-per-step", type=int, default=1500)
    parser.add_argument("--out", default=str(Path(__file__).parents[1] / "skgate" / "models"))
    args = parser.parse_args(argv)
    if args.what in ("prior", "all"):
        train_default_prior(args)
    if args.what == "refine-prior":
        refine_default_prior(args)
    if args.what in ("colour-prior", "all"):
        train_colour_prior(args)
    if args.what in ("colour-network", "all"):
        train_colour_network(args)
    if args.what in ("network", "all"):
        train_default_network(args)
    if args.what == "network-heads":
        # Not part of "all": it helped filters trained on clean patches, and it ruins the
        # high noise levels of the shipped network's filters (doc/validation_tuning.rst).
        refit_network_heads(args)


if __name__ == "__main__":
    main()
