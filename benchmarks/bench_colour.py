"""Colour denoising and noise-level estimation.

- colour: skimage's astronaut, coffee and chelsea (256 x 256 crops, [0, 1]) with white noise
  of sigma 25/255 in every channel: skgate in the opponent colour space (the default of
  ``denoise_epll(..., channel_axis=-1)``), skgate on R, G, B independently, and
  ``bm3d.bm3d_rgb``, same run; PSNR over all channels and seconds;
- noise estimation: ``estimate_noise_sigma`` on Set12 at several sigmas, the mean and worst
  ratio of the estimate to the truth.

    python benchmarks/bench_colour.py [--data ../shared/data]
"""

import argparse
import time
from pathlib import Path

import numpy as np
from _common import image_files, import_bm3d, print_table, psnr
from skimage import data
from skimage.io import imread

from skgate import EPLLRestorer, GaussianNoise, denoise_epll, estimate_noise_sigma


def independent(noisy, sigma):
    restorer = EPLLRestorer(stride=3)  # denoise_epll's default, so only the colour space differs
    return np.stack(
        [restorer.restore(noisy[..., c], GaussianNoise(sigma)) for c in range(3)], axis=-1
    )


def bench_colour(sigma255=25):
    sigma = sigma255 / 255
    images = {
        "astronaut": data.astronaut()[0:256, 128:384],
        "coffee": data.coffee()[100:356, 150:406],
        "chelsea": data.chelsea()[30:286, 100:356],
    }
    methods = {
        "skgate opponent (default)": lambda y: denoise_epll(y, sigma, channel_axis=-1),
        "skgate R,G,B independent": lambda y: independent(y, sigma),
    }
    try:
        bm3d = import_bm3d()

        methods["bm3d_rgb"] = lambda y: bm3d.bm3d_rgb(y, sigma)
    except ImportError:
        print("bm3d is not installed: its column is left out")
    rows, totals = [], {m: [] for m in methods}
    for i, (name, image) in enumerate(images.items()):
        clean = image / 255.0
        noisy = clean + sigma * np.random.default_rng(500 + i).standard_normal(clean.shape)
        row = [name]
        for method_name, method in methods.items():
            tic = time.perf_counter()
            out = method(noisy)
            seconds = time.perf_counter() - tic
            totals[method_name].append(psnr(clean, out))
            row.append(f"{totals[method_name][-1]:.2f} ({seconds:.1f} s)")
        rows.append(row)
    rows.append(["average", *[f"{np.mean(v):.2f}" for v in totals.values()]])
    print_table(
        f"Colour denoising, sigma {sigma255}/255, PSNR (seconds)", ["image", *methods], rows
    )


def bench_estimation(folder):
    files = image_files(folder)
    images = [imread(f) / 255.0 for f in files]
    rows = []
    for sigma255 in (5, 15, 25, 50):
        sigma = sigma255 / 255
        ratios = [
            estimate_noise_sigma(c + sigma * np.random.default_rng(i).standard_normal(c.shape))
            / sigma
            for i, c in enumerate(images)
        ]
        rows.append(
            (sigma255, f"{np.mean(ratios):.3f}", f"{min(ratios):.3f}", f"{max(ratios):.3f}")
        )
    print_table(
        f"Noise estimation on {len(images)} Set12 images: estimate / true sigma",
        ("sigma", "mean", "min", "max"),
        rows,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", default=str(default))
    args = parser.parse_args(argv)
    bench_estimation(Path(args.data) / "set12")
    bench_colour()


if __name__ == "__main__":
    main()
