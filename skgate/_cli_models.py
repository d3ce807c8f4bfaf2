"""The model commands: ``info`` (a prior's summary) and ``train-prior`` / ``train-gating``
(fit a prior or a gating network on images and write its model file)."""

import time

import numpy as np

from . import __version__
from ._cli_support import check_model_output, image_or_path
from ._network import GatingNetwork
from ._patches import PatchGrid, extract_patches
from ._sampling import load_colour_image, load_grey_image, sample_patches
from ._train import train_prior
from .models import default_prior_path, load_default_prior, load_prior, save_network, save_prior

__all__ = ["MODEL_COMMANDS"]


def _cmd_info(args):

    tic = time.perf_counter()
    prior = load_prior(args.prior) if args.prior else load_default_prior()
    seconds = time.perf_counter() - tic
    source = args.prior or default_prior_path()
    print(f"skgate {__version__}")
    print(f"prior: {source} (loaded in {seconds:.2f} s)")
    print(
        f"  {prior.n_components} zero-mean components over {prior.patch_size}x{prior.patch_size}"
        f"{'' if prior.n_channels == 1 else f'x{prior.n_channels}'} patches, DC removed: "
        f"{prior.remove_dc}{'' if prior.n_channels == 1 else ' (per channel)'}"
    )
    spectrum = prior.eigvals_
    print(
        f"  component variances (sum of eigenvalues): min {spectrum.sum(1).min():.3g}, "
        f"median {np.median(spectrum.sum(1)):.3g}, max {spectrum.sum(1).max():.3g}"
    )
    for key, value in sorted(getattr(prior, "metadata_", {}).items()):
        print(f"  {key}: {value}")
    if args.image:
        image, patches = _image_patches(image_or_path(args.image), prior)
        labels = prior.predict(patches)
        print(
            f"image {args.image} {image.shape}: {len(patches)} patches, mean log-likelihood "
            f"{prior.score(patches):.2f} per patch, {np.unique(labels).size} components in use"
        )
    return 0


def _image_patches(source, prior):
    """The image of ``source`` and all its patches as ``prior`` models them: grey, or the
    colour patches of a colour image for a colour prior."""
    if prior.n_channels == 1:
        image = load_grey_image(source)
        return image, extract_patches(image, prior.patch_size, stride=1, dtype=np.float32)
    image = load_colour_image(source)
    grid = PatchGrid(image.shape[:2], prior.patch_size, n_channels=prior.n_channels)
    return image, grid.extract(image, dtype=np.float32)


def _cmd_train_prior(args):

    check_model_output(args.output, args.overwrite)
    images = [image_or_path(name) for name in args.images]
    tic = time.perf_counter()
    prior = train_prior(
        images,
        n_patches=args.n_patches,
        warm_up_patches=args.warm_up_patches,
        n_components=args.n_components,
        patch_size=args.patch_size,
        max_iter=args.max_iter,
        colour=args.colour,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
    )
    save_prior(prior, args.output)
    if not args.quiet:
        minutes = (time.perf_counter() - tic) / 60
        print(f"wrote {args.output} ({minutes:.1f} min)")
    return 0


def _cmd_train_gating(args):

    check_model_output(args.output, args.overwrite)
    images = [image_or_path(name) for name in args.images]
    prior = load_prior(args.prior) if args.prior else None
    if prior is None:
        prior = load_default_prior()
    tic = time.perf_counter()
    n_patches = args.n_batches * args.batch_size
    X = sample_patches(
        images, n_patches, prior.patch_size, random_state=args.seed, colour=prior.n_channels == 3
    )
    levels = [0.0, *args.noise_levels]
    network = GatingNetwork(
        prior,
        n_filters=args.n_filters,
        noise_levels=levels,
        batch_size=args.batch_size,
        n_batches=args.n_batches,
        max_iter=args.max_iter,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
    ).fit(X.astype(np.float64))
    network.metadata_ = {"n_patches": int(n_patches), "images": len(args.images)}
    save_network(network, args.output)
    if not args.quiet:
        minutes = (time.perf_counter() - tic) / 60
        print(f"wrote {args.output} ({minutes:.1f} min)")
    return 0


# What each model command runs (the parser, skgate._cli_parser, names the commands).
MODEL_COMMANDS = {
    "info": _cmd_info,
    "train-prior": _cmd_train_prior,
    "train-gating": _cmd_train_gating,
}
