"""The ``skgate`` command: parses arguments, reports, and calls the library; nothing else.

A user mistake (missing file, unreadable image, bad argument) ends with one line on stderr and
exit code 2, never a traceback.
"""

import argparse
import sys
import time

import numpy as np

from . import __version__

BUNDLED_IMAGES = ("camera", "astronaut", "coins", "moon", "page", "text", "brick", "grass")


def _read_image(name_or_path):
    """A grey float image from a file path or the name of a scikit-image bundled image."""
    from .patches import load_grey_image

    if name_or_path in BUNDLED_IMAGES:
        from skimage import data

        return load_grey_image(getattr(data, name_or_path)())
    return load_grey_image(name_or_path)


def _cmd_info(args):
    from .models import default_prior_path, load_default_prior, load_prior
    from .patches import extract_patches

    tic = time.perf_counter()
    prior = load_prior(args.prior) if args.prior else load_default_prior()
    seconds = time.perf_counter() - tic
    source = args.prior or default_prior_path()
    print(f"skgate {__version__}")
    print(f"prior: {source} (loaded in {seconds:.2f} s)")
    print(
        f"  {prior.n_components} zero-mean components over {prior.patch_size}x{prior.patch_size} "
        f"patches, DC removed: {prior.remove_dc}"
    )
    spectrum = prior.eigvals_
    print(
        f"  component variances (sum of eigenvalues): min {spectrum.sum(1).min():.3g}, "
        f"median {np.median(spectrum.sum(1)):.3g}, max {spectrum.sum(1).max():.3g}"
    )
    for key, value in sorted(getattr(prior, "metadata_", {}).items()):
        print(f"  {key}: {value}")
    if args.image:
        image = _read_image(args.image)
        patches = extract_patches(image, prior.patch_size, stride=1, dtype=np.float32)
        labels = prior.predict(patches)
        print(
            f"image {args.image} {image.shape}: {len(patches)} patches, mean log-likelihood "
            f"{prior.score(patches):.2f} per patch, {np.unique(labels).size} components in use"
        )
    return 0


def _cmd_train_prior(args):
    from .models import save_prior
    from .train import train_prior

    tic = time.perf_counter()
    prior = train_prior(
        args.images,
        n_patches=args.n_patches,
        warm_up_patches=args.warm_up_patches,
        n_components=args.n_components,
        patch_size=args.patch_size,
        max_iter=args.max_iter,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
    )
    save_prior(prior, args.output)
    if not args.quiet:
        minutes = (time.perf_counter() - tic) / 60
        print(f"wrote {args.output} ({minutes:.1f} min)")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skgate", description="Image restoration with learned patch priors (EPLL)."
    )
    parser.add_argument("--version", action="version", version=f"skgate {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    info = commands.add_parser("info", help="summarise a prior (default: the shipped one)")
    info.add_argument("--prior", help="a prior .npz file instead of the shipped default")
    info.add_argument(
        "--image",
        help="also score the patches of an image file or a bundled scikit-image image "
        f"({', '.join(BUNDLED_IMAGES)})",
    )
    info.set_defaults(run=_cmd_info)

    train = commands.add_parser("train-prior", help="fit a GMM patch prior to your images")
    train.add_argument("images", nargs="+", help="image files (colour is converted to grey)")
    train.add_argument("-o", "--output", required=True, help="where to write the .npz prior")
    train.add_argument("--n-patches", type=int, default=1_000_000)
    train.add_argument("--warm-up-patches", type=int, default=200_000)
    train.add_argument("--n-components", type=int, default=200)
    train.add_argument("--patch-size", type=int, default=8)
    train.add_argument("--max-iter", type=int, default=20)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("-q", "--quiet", action="store_true")
    train.set_defaults(run=_cmd_train_prior)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (OSError, ValueError, TypeError) as exc:
        print(f"skgate {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
