"""EPLL quality and speed against reference methods, measured in one run.

Tables (grey images in [0, 1], PSNR with data range 1, noise from fixed seeds):

- denoise: Set12 at sigma = 15, 25, 50 (/255): skgate EPLL (exact gating) per image and on
  average, next to BM3D (the ``bm3d`` package) run on the same noisy images and the published
  EPLL and BM3D averages (Zhang et al., DnCNN, Table III);
- deblur: Set12 blurred by a 9x9 Gaussian (std 1.6) and a 15-pixel motion kernel (periodic), noise
  0.01: skgate vs ``skimage.restoration.wiener`` (balance tuned over a grid, best average kept)
  and ``richardson_lucy`` (iterations tuned likewise);
- inpaint: 50 % random pixels missing, and a text overlay: skgate vs ``inpaint_biharmonic``;
- speed: full exact EPLL (stride 1, 200 components, sigma 25) on a 481 x 321 image, seconds,
  share of the gating step and its GFLOP/s.

    python benchmarks/bench_epll.py [--data ../shared/data] [--tasks denoise,deblur,inpaint,speed]
        [--images 12] [--stride 1] [--adapt 0]
"""

import argparse
import time
from pathlib import Path

import numpy as np
from _common import image_files, import_bm3d, print_table, psnr, timed
from skimage import data as skdata
from skimage import restoration
from skimage.io import imread
from skimage.transform import resize

from skgate import Blur, EPLLRestorer, ExactGating, Gating, GaussianNoise, Inpainting
from skgate._kernels import gaussian_kernel, motion_kernel
from skgate._tables import MixtureTables
from skgate.models import load_default_prior

#: Settings of the skgate restorer in the denoise, deblur and inpaint tables (--stride, --adapt).
SKGATE = {"stride": 1, "adapt": 0}

PUBLISHED = {15: (32.14, 32.37), 25: (29.69, 29.97), 50: (26.47, 26.72)}


def load_set12(folder, count):
    files = image_files(folder)[:count]
    names = {}
    names_file = Path(folder) / "names.txt"
    if names_file.exists():
        for line in names_file.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2:
                names[parts[0]] = parts[1]
    return [(names.get(f.name, f.stem), imread(f) / 255.0) for f in files]


def bench_denoise(images, sigmas):
    bm3d = import_bm3d()

    restorer = EPLLRestorer(**SKGATE)
    summary = []
    for sigma255 in sigmas:
        sigma = sigma255 / 255
        rows, ours, refs, t_ours, t_ref = [], [], [], [], []
        for i, (name, clean) in enumerate(images):
            noisy = clean + sigma * np.random.default_rng(1000 + i).standard_normal(clean.shape)
            x, seconds = timed(restorer.restore, noisy, GaussianNoise(sigma))
            t_ours.append(seconds)
            tic = time.perf_counter()
            b = bm3d.bm3d(noisy, sigma_psd=sigma)
            t_ref.append(time.perf_counter() - tic)
            ours.append(psnr(clean, x))
            refs.append(psnr(clean, b))
            rows.append((name, f"{psnr(clean, noisy):.2f}", f"{ours[-1]:.2f}", f"{refs[-1]:.2f}"))
        rows.append(("average", "", f"{np.mean(ours):.2f}", f"{np.mean(refs):.2f}"))
        print_table(
            f"Denoising, sigma = {sigma255}/255 ({len(images)} images)",
            ("image", "noisy", "skgate EPLL", "BM3D"),
            rows,
        )
        summary.append(
            (
                sigma255,
                f"{np.mean(ours):.2f}",
                f"{PUBLISHED[sigma255][0]:.2f}",
                f"{np.mean(ours) - PUBLISHED[sigma255][0]:+.2f}",
                f"{np.mean(refs):.2f}",
                f"{PUBLISHED[sigma255][1]:.2f}",
                f"{np.median(t_ours):.2f}",
                f"{np.median(t_ref):.2f}",
                f"{np.median(np.array(t_ref) / np.array(t_ours)):.2f}",
            )
        )
    print_table(
        "Denoising summary (PSNR dB; published = DnCNN Table III; s = median seconds per image)",
        (
            "sigma",
            "skgate",
            "EPLL pub.",
            "diff",
            "BM3D run",
            "BM3D pub.",
            "skgate s",
            "BM3D s",
            "BM3D/skgate time",
        ),
        summary,
    )


def bench_deblur(images):
    noise = 0.01
    for kname, kernel in (
        ("gaussian 9x9 std 1.6", gaussian_kernel(1.6, size=9)),
        ("motion 15 px 45 deg", motion_kernel(15, 45.0)),
    ):
        observations = []
        for i, (_, clean) in enumerate(images):
            blurred = Blur(kernel, noise).forward(clean)
            rng = np.random.default_rng(2000 + i)
            observations.append(blurred + noise * rng.standard_normal(clean.shape))
        restorer = EPLLRestorer(**SKGATE)
        tic = time.perf_counter()
        ours = [restorer.restore(y, Blur(kernel, noise)) for y in observations]
        t_ours = (time.perf_counter() - tic) / len(images)
        best_w = max(
            (
                np.mean(
                    [
                        psnr(c, restoration.wiener(y, kernel, b))
                        for (_, c), y in zip(images, observations, strict=True)
                    ]
                ),
                b,
            )
            for b in (0.001, 0.003, 0.01, 0.03, 0.1)
        )
        best_rl = max(
            (
                np.mean(
                    [
                        psnr(c, restoration.richardson_lucy(np.clip(y, 0, 1), kernel, num_iter=n))
                        for (_, c), y in zip(images, observations, strict=True)
                    ]
                ),
                n,
            )
            for n in (10, 30, 60)
        )
        rows = []
        for (name, clean), y, x in zip(images, observations, ours, strict=True):
            rows.append((name, f"{psnr(clean, y):.2f}", f"{psnr(clean, x):.2f}"))
        ours_mean = np.mean([psnr(c, x) for (_, c), x in zip(images, ours, strict=True)])
        rows.append(("average", "", f"{ours_mean:.2f}"))
        print_table(
            f"Deblurring, {kname}, noise {noise} (periodic blur)",
            ("image", "blurred", "skgate EPLL"),
            rows,
        )
        print_table(
            f"Deblurring summary, {kname} (average PSNR dB)",
            ("method", "PSNR", "vs skgate (dB)", "s / image"),
            [
                ("skgate EPLL", f"{ours_mean:.2f}", "", f"{t_ours:.1f}"),
                (
                    f"skimage wiener (balance {best_w[1]})",
                    f"{best_w[0]:.2f}",
                    f"{best_w[0] - ours_mean:+.2f}",
                    "",
                ),
                (
                    f"richardson_lucy ({best_rl[1]} iter)",
                    f"{best_rl[0]:.2f}",
                    f"{best_rl[0] - ours_mean:+.2f}",
                    "",
                ),
            ],
        )


def text_mask(shape):
    text = skdata.text() < 100
    reps = (shape[0] // text.shape[0] + 1, shape[1] // text.shape[1] + 1)
    return ~np.tile(text, reps)[: shape[0], : shape[1]]


def bench_inpaint(images):
    for mname in ("50 % random", "text overlay"):
        ours, refs, rows, t_ours, t_ref = [], [], [], [], []
        for i, (name, clean) in enumerate(images):
            if mname.startswith("50"):
                mask = np.random.default_rng(3000 + i).random(clean.shape) > 0.5
            else:
                mask = text_mask(clean.shape)
            observed = np.where(mask, clean, 0.0)
            x, seconds = timed(EPLLRestorer(**SKGATE).restore, observed, Inpainting(~mask))
            t_ours.append(seconds)
            tic = time.perf_counter()
            b = restoration.inpaint_biharmonic(observed, ~mask)
            t_ref.append(time.perf_counter() - tic)
            ours.append(psnr(clean, x))
            refs.append(psnr(clean, b))
            rows.append((name, f"{ours[-1]:.2f}", f"{refs[-1]:.2f}"))
        rows.append(("average", f"{np.mean(ours):.2f}", f"{np.mean(refs):.2f}"))
        rows.append(("median s", f"{np.median(t_ours):.1f}", f"{np.median(t_ref):.1f}"))
        print_table(f"Inpainting, {mname} missing", ("image", "skgate EPLL", "biharmonic"), rows)


class TimedGating(Gating):
    def __init__(self, tables):
        self.exact = ExactGating(tables)
        self.seconds = 0.0
        self.flops = 0.0
        self.tables = tables

    def assign(self, patches, noise_var):
        tic = time.perf_counter()
        out = self.exact.assign(patches, noise_var)
        self.seconds += time.perf_counter() - tic
        d = self.tables.eigvals.shape[1]
        self.flops += 2.0 * len(patches) * (d * (d + 1) // 2) * self.tables.n_components
        return out


def bench_speed(repeats=3):
    clean = resize(skdata.camera() / 255.0, (321, 481), anti_aliasing=True)
    sigma = 25 / 255
    noisy = clean + sigma * np.random.default_rng(0).standard_normal(clean.shape)
    prior = load_default_prior()
    rows = []
    for r in range(repeats):
        gating = TimedGating(MixtureTables(prior))
        x, total = timed(EPLLRestorer(prior, gating=gating).restore, noisy, GaussianNoise(sigma))
        rows.append(
            (
                r,
                f"{total:.2f}",
                f"{gating.seconds:.2f}",
                f"{100 * gating.seconds / total:.0f} %",
                f"{gating.flops / gating.seconds / 1e9:.0f}",
                f"{psnr(clean, x):.2f}",
            )
        )
    print_table(
        f"Speed: exact EPLL, 481 x 321, sigma 25, stride 1, {prior.n_components} components, "
        f"{len(GaussianNoise(sigma).default_betas())} betas",
        ("run", "seconds", "gating s", "gating share", "gating GFLOP/s", "PSNR"),
        rows,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    parser.add_argument("--tasks", default="denoise,deblur,inpaint,speed")
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--sigmas", default="15,25,50")
    parser.add_argument("--stride", type=int, default=1, help="skgate's patch stride")
    parser.add_argument("--adapt", type=int, default=0, help="skgate's adaptation passes")
    args = parser.parse_args(argv)
    SKGATE.update(stride=args.stride, adapt=args.adapt)
    print(f"skgate: exact gating, stride {args.stride}, adapt {args.adapt}")
    tasks = args.tasks.split(",")
    images = load_set12(Path(args.data) / "set12", args.images) if set(tasks) - {"speed"} else []
    if "speed" in tasks:
        bench_speed()
    if "denoise" in tasks:
        bench_denoise(images, [int(s) for s in args.sigmas.split(",")])
    if "deblur" in tasks:
        bench_deblur(images)
    if "inpaint" in tasks:
        bench_inpaint(images)


if __name__ == "__main__":
    main()
