"""Is a prior over colour patches worth it? Patch MAP denoising of held-out colour patches.

Each noisy colour patch (p x p x 3, white noise of ``sigma`` in every RGB channel) is gated
(most probable component under ``N(0, C_h + sigma^2 I)``) and Wiener-filtered with that
component, its per-channel means passing through (as EPLL does with the DC). Compared:

- ``grey prior per opponent channel``: today's colour path at the patch level: the shipped
  grey prior on each channel of an orthonormal opponent basis (white noise stays white);
- ``colour GMM, RGB``: a zero-mean mixture over the 3 p^2 values of RGB patches, per-channel
  means removed, trained here on BSDS300 training photographs in colour;
- ``colour GMM, opponent``: the same over patches in the orthonormal opponent basis.

PSNR over the patches' pixels (RGB, data range 1), 20,000 patches of the validation
photographs (``bsds500-test200``); training seconds and the gating's multiply-adds per patch
(``K d (d + 1) / 2``) for scale. A patch-level measurement: it says whether the colour prior
models colour patches better, not yet what EPLL gains from it.

    python benchmarks/bench_colour_prior.py [--components 50,100] [--patch-sizes 6,8]
"""

import argparse
import time

import numpy as np
from _common import DATA, image_files, load_image, print_table

from skgate import GMMPatchPrior, load_default_prior

#: Orthonormal opponent basis (rows): luminance and two chroma directions; white noise in RGB
#: stays white, of the same sigma, in these coordinates.
OPPONENT = np.array([[1, 1, 1], [1, 0, -1], [1, -2, 1]]) / np.sqrt([[3], [2], [6]])


def colour_patches(files, n, p, rng):
    """``n`` random p x p x 3 patches, as (n, 3, p * p) arrays (channel-major)."""
    images = [load_image(f, colour=True) for f in files]
    images = [im for im in images if im.ndim == 3]
    sizes = np.array([(im.shape[0] - p + 1) * (im.shape[1] - p + 1) for im in images], float)
    which = rng.choice(len(images), size=n, p=sizes / sizes.sum())
    out = np.empty((n, 3, p * p))
    for i, k in enumerate(which):
        im = images[k]
        r = rng.integers(0, im.shape[0] - p + 1)
        c = rng.integers(0, im.shape[1] - p + 1)
        out[i] = im[r : r + p, c : c + p].reshape(p * p, 3).T
    return out


def to_opponent(patches):
    return np.einsum("oc,ncd->nod", OPPONENT, patches)


def from_opponent(patches):
    return np.einsum("co,nod->ncd", OPPONENT.T, patches)


def split_dc(patches):
    means = patches.mean(axis=2, keepdims=True)
    return patches - means, means


def wiener_map(prior, centred, noise_var):
    """Gate each row (most probable component under added noise) and Wiener-filter it."""
    X = centred.reshape(len(centred), -1)
    filtered = np.empty_like(X)
    eigvals, eigvecs = prior.eigvals_, prior.eigvecs_
    scores = np.empty((len(X), prior.n_components))
    for h in range(prior.n_components):
        proj = X @ eigvecs[h]
        var = eigvals[h] + noise_var
        scores[:, h] = (
            np.log(prior.weights_[h]) - 0.5 * (proj**2 / var).sum(1) - 0.5 * np.log(var).sum()
        )
    labels = scores.argmax(axis=1)
    for h in np.unique(labels):
        rows = labels == h
        proj = X[rows] @ eigvecs[h]
        gain = eigvals[h] / (eigvals[h] + noise_var)
        filtered[rows] = (proj * gain) @ eigvecs[h].T
    return filtered.reshape(centred.shape)


def psnr(clean, estimate):
    return 10 * np.log10(1 / np.mean((np.clip(estimate, 0, 1) - clean) ** 2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--components", default="50,100", help="K of the colour GMMs")
    parser.add_argument("--patch-sizes", default="6,8", help="patch sides of the colour GMMs")
    parser.add_argument("--train", type=int, default=100_000, help="training patches")
    parser.add_argument("--test", type=int, default=20_000, help="held-out patches")
    parser.add_argument("--sigma", type=float, default=25.0, help="noise, 0-255 scale")
    args = parser.parse_args()
    train_files = image_files(f"{args.data}/bsds300-train")
    test_files = image_files(f"{args.data}/bsds500-test200")
    sigma = args.sigma / 255
    rows = []
    for p in [int(v) for v in args.patch_sizes.split(",")]:
        clean = colour_patches(test_files, args.test, p, np.random.default_rng(1))
        noisy = clean + sigma * np.random.default_rng(2).standard_normal(clean.shape)
        d = 3 * p * p
        rows.append([f"noisy, {p}x{p}", f"{psnr(clean, noisy):.2f}", "", "", ""])
        if p == 8:
            grey = load_default_prior()
            opp = to_opponent(noisy)
            centred, means = split_dc(opp)
            out = np.stack([wiener_map(grey, centred[:, c], sigma**2) for c in range(3)], axis=1)
            estimate = from_opponent(out + means)
            cost = 3 * grey.n_components * 63 * 64 / 2
            rows.append(
                [
                    "grey prior per opponent channel, 8x8, K=200",
                    f"{psnr(clean, estimate):.2f}",
                    f"{cost:.3g}",
                    "shipped",
                    "",
                ]
            )
        training = colour_patches(train_files, args.train, p, np.random.default_rng(3))
        for basis in ("RGB", "opponent"):
            space = to_opponent if basis == "opponent" else (lambda x: x)
            back = from_opponent if basis == "opponent" else (lambda x: x)
            train_centred, _ = split_dc(space(training))
            X = train_centred.reshape(len(train_centred), -1)
            for K in [int(v) for v in args.components.split(",")]:
                tic = time.perf_counter()
                prior = GMMPatchPrior(
                    K,
                    patch_size=None,
                    remove_dc=False,
                    max_iter=30,
                    reg_covar=1e-6,
                    random_state=0,
                ).fit(X)
                seconds = time.perf_counter() - tic
                centred, means = split_dc(space(noisy))
                estimate = back(wiener_map(prior, centred, sigma**2) + means)
                rows.append(
                    [
                        f"colour GMM, {basis}, {p}x{p}, K={K}",
                        f"{psnr(clean, estimate):.2f}",
                        f"{K * d * (d + 1) / 2:.3g}",
                        f"{seconds:.0f}",
                        f"{prior.score(X[:20000]):.1f}",
                    ]
                )
                print(rows[-1], flush=True)
    print_table(
        f"Patch MAP denoising of {args.test} held-out colour patches, sigma {args.sigma:g}",
        ["prior", "PSNR", "multiply-adds / patch", "s to fit", "train log-lik"],
        rows,
    )


if __name__ == "__main__":
    main()
