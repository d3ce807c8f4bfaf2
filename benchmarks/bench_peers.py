"""skgate against the peers: one command, one table per noise level.

On the same images and noise (fixed seeds, grey in [0, 1], PSNR with data range 1): skgate
exact (stride 1 and 3), skgate network (stride 1 and 3), network+exact stride 3, the same
with internal adaptation (``adapt``; in 128-pixel tiles it is local), BM3D
(``bm3d`` package), and scikit-image's ``denoise_nl_means`` (fast mode, ``h`` tuned),
``denoise_wavelet`` (BayesShrink) and ``denoise_tv_chambolle`` (weight tuned). Tuned
parameters are chosen by the best average PSNR over the images on a small grid (an advantage
the skgate rows do not get). Reported: mean PSNR, mean SSIM, median seconds per image and each
method's time relative to skgate network.

    python benchmarks/bench_peers.py [IMAGE_FOLDER] [--sigmas 25,50] [--images N]

The folder defaults to ../shared/data/set12; any folder of grey or colour images works
(colour is converted to grey).
"""

import argparse
import time
from pathlib import Path

import numpy as np
from _common import import_bm3d, print_table, psnr
from skimage import restoration
from skimage.metrics import structural_similarity

from skgate import EPLLRestorer, GaussianNoise
from skgate._sampling import load_grey_image


def skgate_methods():
    def run(restorer):
        return lambda noisy, sigma, _: restorer.restore(noisy, GaussianNoise(sigma))

    return {
        "skgate exact": run(EPLLRestorer(gating="exact")),
        "skgate exact stride 3 (default)": run(EPLLRestorer(gating="exact", stride=3)),
        "skgate network": run(EPLLRestorer(gating="network")),
        "skgate network stride 3": run(EPLLRestorer(gating="network", stride=3)),
        "skgate network+exact stride 3": run(EPLLRestorer(gating="network+exact", stride=3)),
        "skgate exact stride 3, adapt 1": run(EPLLRestorer(gating="exact", stride=3, adapt=1)),
        "skgate exact stride 3, adapt 2": run(EPLLRestorer(gating="exact", stride=3, adapt=2)),
        "skgate network stride 3, adapt 1": run(EPLLRestorer(gating="network", stride=3, adapt=1)),
        "skgate network+exact stride 3, adapt 1": run(
            EPLLRestorer(gating="network+exact", stride=3, adapt=1)
        ),
        # Every tile adapts to itself: local adaptation.
        "skgate network+exact stride 3, adapt 1, 128-px tiles": run(
            EPLLRestorer(gating="network+exact", stride=3, adapt=1, tile_shape=128, n_jobs=1)
        ),
    }


def peer_methods():
    methods = {}
    try:
        bm3d = import_bm3d()

        methods["BM3D"] = lambda noisy, sigma, _: bm3d.bm3d(noisy, sigma)
    except ImportError:
        print("bm3d is not installed (pip install bm3d): its row is left out")
    methods["NL-means (fast, tuned h)"] = lambda noisy, sigma, h: restoration.denoise_nl_means(
        noisy, h=h * sigma, sigma=sigma, fast_mode=True, patch_size=5, patch_distance=6
    )
    methods["wavelet (BayesShrink)"] = lambda noisy, sigma, _: restoration.denoise_wavelet(
        noisy, sigma=sigma, method="BayesShrink", mode="soft", rescale_sigma=True
    )
    methods["TV Chambolle (tuned)"] = lambda noisy, sigma, w: restoration.denoise_tv_chambolle(
        noisy, weight=w * sigma
    )
    return methods


#: parameter grids (multiples of sigma) of the tuned peers
GRIDS = {
    "NL-means (fast, tuned h)": [0.6, 0.8, 1.0, 1.2],
    "TV Chambolle (tuned)": [0.5, 0.8, 1.2, 1.6, 2.0],
}


def evaluate(method, images, noisy_images, sigma, parameter):
    scores, ssims, seconds = [], [], []
    for clean, noisy in zip(images, noisy_images, strict=True):
        tic = time.perf_counter()
        estimate = method(noisy, sigma, parameter)
        seconds.append(time.perf_counter() - tic)
        scores.append(psnr(clean, estimate))
        ssims.append(structural_similarity(clean, np.clip(estimate, 0, 1), data_range=1))
    return np.mean(scores), np.mean(ssims), np.median(seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "set12"
    parser.add_argument("folder", nargs="?", default=str(default))
    parser.add_argument("--sigmas", default="25,50")
    parser.add_argument("--images", type=int, default=12)
    args = parser.parse_args(argv)
    files = sorted(
        p for p in Path(args.folder).iterdir() if p.suffix.lower() in (".png", ".jpg", ".tif")
    )[: args.images]
    images = [load_grey_image(f) for f in files]
    methods = {**skgate_methods(), **peer_methods()}
    for sigma255 in [float(s) for s in args.sigmas.split(",")]:
        sigma = sigma255 / 255
        noisy_images = [
            clean + sigma * np.random.default_rng(100 + i).standard_normal(clean.shape)
            for i, clean in enumerate(images)
        ]
        results = {}
        for name, method in methods.items():
            best = None
            for parameter in GRIDS.get(name, [None]):
                outcome = evaluate(method, images, noisy_images, sigma, parameter)
                if best is None or outcome[0] > best[0][0]:
                    best = (outcome, parameter)
            results[name] = best
        reference = results["skgate network"][0][2]
        rows = [
            (
                name,
                f"{p:.2f}",
                f"{s:.4f}",
                f"{t:.2f}",
                f"{t / reference:.2f}x",
                "" if parameter is None else f"{parameter:g} sigma",
            )
            for name, ((p, s, t), parameter) in results.items()
        ]
        print_table(
            f"Denoising, sigma {sigma255:g}/255, {len(images)} images from {args.folder}",
            ("method", "PSNR", "SSIM", "s/image", "time / skgate network", "tuned"),
            rows,
        )


if __name__ == "__main__":
    main()
