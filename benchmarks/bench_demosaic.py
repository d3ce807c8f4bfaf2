"""Demosaicing: skgate's colour prior against bilinear, Malvar (2004) and Menon (2007).

Each clean RGB image (in [0, 1]) is mosaicked with a Bayer colour filter array
(``--pattern``, RGGB by default) and optionally noised (``--sigmas``, 0-255 scale, the
validation protocol's seeds); the methods restore RGB from the mosaic. Reported: CPSNR (the
PSNR over all three channels, data range 1, estimates clipped to [0, 1]) without a border of
``--border`` pixels (the reference methods' borders are the standard's weak point), its
difference to Menon on the same images, the share of images where skgate is better, and the
median seconds per image. The reference methods come from ``colour-demosaicing`` (a
benchmark dependency: ``pip install colour-demosaicing``). With noise, "Menon + CBM3D"
denoises Menon's result with ``bm3d.bm3d_rgb`` at the true sigma.

Configurations are ``demosaic_epll`` keyword arguments (``--config 'label={...}'``);
``betas_ratio`` ``[b0, r, k]`` gives the penalties ``b0 * r^j``, j < k; ``lam_scale`` the
data term's weight in units of the other likelihoods' ``p^2 / sigma^2``; ``prior_file``
restores with the colour prior of that model file.

    python benchmarks/bench_demosaic.py [--folder ../shared/data/mcmaster18] [--images 18]
        [--sigmas 0] [--config 'label={"stride": 2}'] [--json doc/_data/demosaic.json]
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from _common import (
    DATA,
    NOISE_SEED,
    cached_prior,
    image_files,
    import_bm3d,
    labelled_configs,
    load_image,
    print_table,
    timed,
    write_table_json,
)

from skgate import BayerMosaic, demosaic_epll


def cpsnr(clean, estimate, border):
    """PSNR over the three channels, without ``border`` pixels on every side."""
    inner = (slice(border, -border or None),) * 2
    error = np.clip(estimate, 0, 1)[inner] - clean[inner]
    return float(10 * np.log10(1.0 / np.mean(error**2)))


def references():
    try:
        import colour_demosaicing as cd
    except ImportError:
        sys.exit(
            "bench_demosaic.py: colour-demosaicing is not installed: pip install colour-demosaicing"
        )
    return {
        "bilinear": cd.demosaicing_CFA_Bayer_bilinear,
        "Malvar (2004)": cd.demosaicing_CFA_Bayer_Malvar2004,
        "Menon (2007)": cd.demosaicing_CFA_Bayer_Menon2007,
    }


def run_skgate(kwargs, raw, pattern, sigma):
    kwargs = dict(kwargs)
    if "prior_file" in kwargs:
        kwargs["prior"] = cached_prior(kwargs.pop("prior_file"))
    if "betas_ratio" in kwargs:
        b0, ratio, steps = kwargs.pop("betas_ratio")
        kwargs["betas"] = b0 * ratio ** np.arange(steps)
    sigma = max(sigma, 1e-3)
    if "lam_scale" in kwargs:  # in units of the other likelihoods' p^2 / sigma^2
        kwargs["lam"] = kwargs.pop("lam_scale") * 64 / sigma**2
    return demosaic_epll(raw, pattern, sigma=sigma, **kwargs)


def evaluate(files, configs, sigma255, pattern, border):
    """``{method: [(cpsnr, seconds) per image]}``."""
    methods = references()
    results = {}
    sigma = sigma255 / 255
    for index, path in enumerate(files):
        clean = load_image(path, colour=True)
        raw = BayerMosaic(clean.shape[:2], pattern).raw(clean)
        if sigma > 0:
            rng = np.random.default_rng((NOISE_SEED, index, round(sigma255 * 100)))
            raw = raw + sigma * rng.standard_normal(raw.shape)
        for name, method in methods.items():
            estimate, seconds = timed(method, raw, pattern)
            results.setdefault(name, []).append((cpsnr(clean, estimate, border), seconds))
            if name.startswith("Menon") and sigma > 0:
                bm3d = import_bm3d()
                denoised, more = timed(bm3d.bm3d_rgb, np.clip(estimate, 0, 1), sigma)
                results.setdefault("Menon + CBM3D", []).append(
                    (cpsnr(clean, denoised, border), seconds + more)
                )
        for label, kwargs in configs.items():
            estimate, seconds = timed(run_skgate, kwargs, raw, pattern, sigma)
            results.setdefault(label, []).append((cpsnr(clean, estimate, border), seconds))
        print(
            f"  {path.name}: " + ", ".join(f"{k} {v[-1][0]:.2f}" for k, v in results.items()),
            flush=True,
        )
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default=str(DATA / "mcmaster18"))
    parser.add_argument("--images", type=int, default=18, help="first N files (sorted)")
    parser.add_argument("--sigmas", default="0", help="noise levels, 0-255 scale")
    parser.add_argument("--pattern", default="RGGB")
    parser.add_argument("--border", type=int, default=5)
    parser.add_argument("--config", action="append", default=[], metavar="LABEL=JSON")
    parser.add_argument("--json", help="also write each table as JSON ({sigma} in the name)")
    args = parser.parse_args(argv)
    files = image_files(args.folder)[: args.images]
    configs = {"skgate (default)": {}, **labelled_configs(args.config)}
    for sigma255 in [float(s) for s in args.sigmas.split(",")]:
        results = evaluate(files, configs, sigma255, args.pattern, args.border)
        reference = np.asarray(results["Menon (2007)"])
        rows = []
        for name, values in results.items():
            values = np.asarray(values)
            diff = values[:, 0] - reference[:, 0]
            rows.append(
                [
                    name,
                    f"{values[:, 0].mean():.2f}",
                    f"{diff.mean():+.2f}",
                    f"{np.mean(diff > 0):.0%}",
                    f"{np.median(values[:, 1]):.2f}",
                ]
            )
        folder = Path(args.folder).name
        title = (
            f"Demosaicing ({args.pattern}) of {len(files)} images of {folder}, noise sigma "
            f"{sigma255:g}, CPSNR without a {args.border}-pixel border"
        )
        header = ["method", "CPSNR", "vs Menon", "better than Menon on", "s/image"]
        print_table(title, header, rows)
        if args.json:
            command = "python benchmarks/bench_demosaic.py " + " ".join(argv or sys.argv[1:])
            write_table_json(args.json.format(sigma=f"{sigma255:g}"), title, header, rows, command)


if __name__ == "__main__":
    main()
