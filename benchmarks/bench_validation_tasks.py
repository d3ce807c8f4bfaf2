"""The validation protocol for deblurring and inpainting: schedules against a peer.

Same images as ``bench_validation.py`` (the first N of ``bsds500-test200``, grey by
:func:`skimage.color.rgb2gray`, or RGB with ``--colour``: one kernel and one mask for all
channels, ``channel_axis=-1``, the peer channel by channel), one seed per image:

- deblur: a 9x9 Gaussian kernel (std 1.6) or a 15-pixel motion kernel at 45 degrees, periodic
  boundary, noise 0.01; peer :func:`skimage.restoration.wiener` with the best of a grid of
  balances (chosen per table, an advantage skgate does not get);
- inpaint: 50 % of the pixels missing at random, noise 1e-3; peer
  :func:`skimage.restoration.inpaint_biharmonic`.

Configurations are ``deblur_epll`` / ``inpaint_epll`` keyword arguments (``betas`` absolute;
``chroma_scale`` sets ``skgate._colour.CHROMA_SCALE`` for a colour run).

    python benchmarks/bench_validation_tasks.py --task deblur [--images 20]
        [--config 'label={"betas": [50, 100, 200]}' ...] [--colour]
"""

import argparse
import json
import sys

import numpy as np
from _common import (
    DATA,
    NOISE_SEED,
    chroma_scale,
    image_files,
    labelled_configs,
    load_image,
    print_table,
    quality,
    timed,
    write_table_json,
)
from skimage.restoration import inpaint_biharmonic, wiener

from skgate import Blur, deblur_epll, inpaint_epll
from skgate._kernels import gaussian_kernel, motion_kernel

KERNELS = {"gaussian": gaussian_kernel(1.6, size=9), "motion": motion_kernel(15, 45.0)}
BALANCES = [0.003, 0.01, 0.03, 0.1]


def per_channel(function, image, *args):
    """``function(channel, *args)`` of each channel of a colour image (channels last)."""
    if image.ndim == 2:
        return function(image, *args)
    return np.stack([function(image[..., c], *args) for c in range(image.shape[-1])], axis=-1)


def degraded(task, level, clean, index):
    rng = np.random.default_rng((NOISE_SEED, index, 7))
    if task == "deblur":
        blurred = per_channel(Blur(KERNELS[level], 0.01).forward, clean)
        return blurred + 0.01 * rng.standard_normal(clean.shape)
    mask = rng.random(clean.shape[:2]) >= 0.5  # one mask for every channel
    observed = clean + 1e-3 * rng.standard_normal(clean.shape)
    return np.where(mask.reshape(mask.shape + (1,) * (clean.ndim - 2)), observed, 0.0), mask


def run_peer(task, level, observation, balance):
    if task == "deblur":
        return per_channel(wiener, observation, KERNELS[level], balance)
    image, mask = observation
    return inpaint_biharmonic(image, ~mask, channel_axis=-1 if image.ndim == 3 else None)


def run_skgate(task, level, observation, kwargs):
    kwargs = dict(kwargs)
    image = observation if task == "deblur" else observation[0]
    kwargs["channel_axis"] = -1 if image.ndim == 3 else None
    with chroma_scale(kwargs.pop("chroma_scale", None)):
        if task == "deblur":
            return deblur_epll(image, KERNELS[level], 0.01, **kwargs)
        return inpaint_epll(image, ~observation[1], **kwargs)


def evaluate(task, level, images, configs):
    observations = [degraded(task, level, clean, i) for i, clean in enumerate(images)]
    results = {}
    for balance in BALANCES if task == "deblur" else [None]:
        rows = []
        for clean, obs in zip(images, observations, strict=True):
            estimate, seconds = timed(run_peer, task, level, obs, balance)
            rows.append([*quality(clean, estimate, clean.ndim == 3), seconds])
        if "peer" not in results or np.mean(rows, axis=0)[0] > np.mean(results["peer"], 0)[0]:
            results["peer"] = rows
    for label, kwargs in configs.items():
        rows = []
        for clean, obs in zip(images, observations, strict=True):
            estimate, seconds = timed(run_skgate, task, level, obs, kwargs)
            rows.append([*quality(clean, estimate, clean.ndim == 3), seconds])
        results[label] = rows
        print(f"  {task} {level}, {label}: {np.mean([r[0] for r in rows]):.3f} dB", flush=True)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=["deblur", "inpaint"], required=True)
    parser.add_argument("--folder", default=str(DATA / "bsds500-test200"))
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--config", action="append", default=[], metavar="LABEL=JSON")
    parser.add_argument("--colour", action="store_true")
    parser.add_argument("--save", default=None)
    parser.add_argument(
        "--json",
        metavar="PATTERN",
        help="also write each table as JSON for the documentation; {level} in the pattern "
        "becomes the kernel's or the mask's name",
    )
    args = parser.parse_args(argv)
    command = "python benchmarks/bench_validation_tasks.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("doc/")
    )
    files = image_files(args.folder)[: args.images]
    images = [load_image(f, args.colour) for f in files]
    configs = {"default": {}, **labelled_configs(args.config)}
    levels = list(KERNELS) if args.task == "deblur" else ["50 % missing"]
    peer = "wiener (best balance)" if args.task == "deblur" else "inpaint_biharmonic"
    saved = {}
    for level in levels:
        results = evaluate(args.task, level, images, configs)
        saved[level] = results
        ref = np.asarray(results["peer"])
        rows = []
        for label, table in results.items():
            table = np.asarray(table)
            rows.append(
                [
                    peer if label == "peer" else label,
                    f"{table[:, 0].mean():.3f}",
                    f"{(table[:, 0] - ref[:, 0]).mean():+.3f}",
                    f"{table[:, 1].mean():.4f}",
                    f"{np.median(table[:, 2]):.2f}",
                ]
            )
        title = f"{args.task} {level}, {len(images)} {'colour' if args.colour else 'grey'} images"
        header = ("configuration", "PSNR", "vs peer", "SSIM", "s/image")
        print_table(title, header, rows)
        if args.json:
            name = level.split()[0] if args.task == "deblur" else "missing"
            write_table_json(args.json.format(level=name), title, header, rows, command)
    if args.save:
        with open(args.save, "w") as out:
            json.dump({"configs": configs, "results": saved}, out)


if __name__ == "__main__":
    main()
