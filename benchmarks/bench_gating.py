"""Exact gating vs the gating network, measured side by side in one run.

Tables (grey images in [0, 1], PSNR with data range 1, noise from fixed seeds):

- quality: Set12 at sigma = 25, 50, 75 (/255): exact gating (stride 1), network gating
  (stride 1), network gating with stride 3 and the network's top candidates re-scored
  exactly (``gating="network+exact"``); average PSNR and the differences to exact;
- speed: one 481 x 321 image at sigma 25, all three, repeated, median seconds and ratios;
- agreement: fraction of held-out clean Set12 patches (and noisy ones at the EPLL noise levels)
  where the network's argmax equals the exact one, and the mean cross-entropy;
- deblur: Set12 blurred by a 9x9 Gaussian (std 1.6, periodic), noise 0.01: exact against
  network gating (stride 1 and 3), average PSNR and seconds.

    python benchmarks/bench_gating.py [--data ../shared/data] [--images 12] [--network FILE]
"""

import argparse
import copy
from pathlib import Path

import numpy as np
from _common import image_files, print_table, psnr, timed
from skimage import data as skdata
from skimage.io import imread
from skimage.transform import resize

from skgate import Blur, EPLLRestorer, GaussianNoise, load_default_prior, sample_patches
from skgate._gating import RESCORED_CANDIDATES, NetworkGating
from skgate._kernels import gaussian_kernel
from skgate._tables import MixtureTables
from skgate.models import load_default_network, load_network


def clean_head_only(network):
    """The same network answering every noise level with its clean (level 0) head."""
    clean = copy.copy(network)
    clean.noise_levels_ = network.noise_levels_[:1]
    clean.weights_ = network.weights_[:1]
    clean.offsets_ = network.offsets_[:1]
    return clean


def methods(prior, network):
    return {
        "exact": EPLLRestorer(prior, gating="exact"),
        "exact stride 3": EPLLRestorer(prior, gating="exact", stride=3),
        "network": EPLLRestorer(prior, gating=network),
        "network stride 3": EPLLRestorer(prior, gating=network, stride=3),
        f"network+exact (top {RESCORED_CANDIDATES})": EPLLRestorer(
            prior, gating=NetworkGating(network, MixtureTables(prior), top_k=RESCORED_CANDIDATES)
        ),
        f"network+exact (top {RESCORED_CANDIDATES}) stride 3": EPLLRestorer(
            prior,
            gating=NetworkGating(network, MixtureTables(prior), top_k=RESCORED_CANDIDATES),
            stride=3,
        ),
        "network, clean head only": EPLLRestorer(prior, gating=clean_head_only(network)),
    }


def bench_quality(images, prior, network, sigmas):
    restorers = methods(prior, network)
    scores = {}
    for sigma255 in sigmas:
        sigma = sigma255 / 255
        for i, clean in enumerate(images):
            noisy = clean + sigma * np.random.default_rng(1000 + i).standard_normal(clean.shape)
            for name, restorer in restorers.items():
                x = restorer.restore(noisy, GaussianNoise(sigma))
                scores.setdefault((name, sigma255), []).append(psnr(clean, x))
    rows = []
    for name in restorers:
        row = [name]
        for sigma255 in sigmas:
            mean = np.mean(scores[name, sigma255])
            row.append(f"{mean:.2f} ({mean - np.mean(scores['exact', sigma255]):+.2f})")
        rows.append(row)
    print_table(
        f"Quality: average PSNR over {len(images)} Set12 images (difference to exact)",
        ("gating", *(f"sigma {s}" for s in sigmas)),
        rows,
    )


def bench_speed(prior, network, repeats=3):
    clean = resize(skdata.camera() / 255.0, (321, 481), anti_aliasing=True)
    sigma = 25 / 255
    noisy = clean + sigma * np.random.default_rng(0).standard_normal(clean.shape)
    restorers = methods(prior, network)
    times = {name: [] for name in restorers}
    quality = {}
    for _ in range(repeats):
        for name, restorer in restorers.items():
            x, seconds = timed(restorer.restore, noisy, GaussianNoise(sigma))
            times[name].append(seconds)
            quality[name] = psnr(clean, x)
    exact = np.median(times["exact"])
    rows = [
        (name, f"{np.median(t):.2f}", f"{exact / np.median(t):.1f}x", f"{quality[name]:.2f}")
        for name, t in times.items()
    ]
    print_table(
        f"Speed: 481 x 321, sigma 25, median of {repeats} runs",
        ("gating", "seconds", "speed-up vs exact", "PSNR"),
        rows,
    )


def bench_agreement(images, network):
    patches = sample_patches(images, 20000, 8, random_state=5)
    rng = np.random.default_rng(6)
    rows = []
    for sigma255, k in [(0, None), (25, 1), (25, 64), (50, 1), (50, 64), (75, 1)]:
        var = 0.0 if k is None else (sigma255 / 255) ** 2 / k
        X = patches + np.sqrt(var) * rng.standard_normal(patches.shape)
        rows.append(
            (
                f"{var:.2e}",
                f"{network.score(X, noise_var=var):.3f}",
                f"{network.cross_entropy(X, noise_var=var):.3f}",
            )
        )
    print_table(
        "Agreement with the exact argmax on 20,000 held-out Set12 patches (noise variance 1/beta)",
        ("noise var", "argmax agreement", "cross-entropy"),
        rows,
    )


def bench_deblur(images, prior, network, noise=0.01):
    kernel = gaussian_kernel(1.6, size=9)
    restorers = {
        "exact": EPLLRestorer(prior, gating="exact"),
        "network": EPLLRestorer(prior, gating=network),
        "network stride 3": EPLLRestorer(prior, gating=network, stride=3),
    }
    scores = {name: [] for name in restorers}
    seconds = {name: [] for name in restorers}
    for i, clean in enumerate(images):
        likelihood = Blur(kernel, noise)
        rng = np.random.default_rng(2000 + i)
        blurred = likelihood.forward(clean) + noise * rng.standard_normal(clean.shape)
        for name, restorer in restorers.items():
            x, took = timed(restorer.restore, blurred, likelihood)
            seconds[name].append(took)
            scores[name].append(psnr(clean, x))
    exact = np.mean(scores["exact"])
    rows = [
        (
            name,
            f"{np.mean(scores[name]):.2f}",
            f"{np.mean(scores[name]) - exact:+.2f}",
            f"{np.median(seconds[name]):.2f}",
            f"{np.median(np.array(seconds['exact']) / np.array(seconds[name])):.1f}x",
        )
        for name in restorers
    ]
    print_table(
        f"Deblurring (9x9 Gaussian, std 1.6, noise {noise}), {len(images)} Set12 images",
        ("gating", "PSNR", "diff", "median s", "speed-up vs exact"),
        rows,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", default=str(default_data))
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--sigmas", default="25,50,75")
    parser.add_argument("--network", default=None, help="a network .npz (default: shipped)")
    parser.add_argument("--tasks", default="agreement,speed,quality,deblur")
    args = parser.parse_args(argv)
    prior = load_default_prior()
    network = load_network(args.network, prior) if args.network else load_default_network()
    files = image_files(Path(args.data) / "set12")[: args.images]
    images = [imread(f) / 255.0 for f in files]
    tasks = args.tasks.split(",")
    if "agreement" in tasks:
        bench_agreement(images, network)
    if "speed" in tasks:
        bench_speed(prior, network)
    if "quality" in tasks:
        bench_quality(images, prior, network, [int(s) for s in args.sigmas.split(",")])
    if "deblur" in tasks:
        bench_deblur(images, prior, network)


if __name__ == "__main__":
    main()
