"""The ``skgate`` command: parses arguments, reports, and calls the library; nothing else.

A user mistake (missing file, unreadable image, bad argument) ends with one line on stderr and
exit code 2, never a traceback.
"""

import os
import signal
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import parallel_config

from ._bigfiles import (
    check_lazy_output,
    is_lazy_path,
    lazy_from_array,
    open_lazy,
    tiff_chunks,
    write_lazy,
)
from ._blur import Blur
from ._cli_models import MODEL_COMMANDS
from ._cli_parser import DEFAULT_CHUNKS, build_parser
from ._cli_support import (
    DEVELOPER_WARNINGS,
    Progress,
    StopSignals,
    bundled_image,
    check_output,
    file_scale,
    is_bundled,
    noise_level_option,
    one_line,
)
from ._defaults import defaults_for
from ._gaussian_noise import GaussianNoise
from ._imageio import ImageFile, output_dtype, read_image, write_image
from ._inpainting import Inpainting
from ._kernels import parse_kernel
from ._mosaic import DEMOSAIC_GATING, BayerMosaic
from ._noise import estimate_noise_sigma
from ._restorer import EPLLRestorer
from ._tiles import MIN_CORE_PER_MARGIN
from .models import (
    load_default_prior,
    load_network,
    load_prior,
)

# --backend: joblib's names for the two ways of running tiles at once.
_JOBLIB_BACKENDS = {"threads": "threading", "processes": "loky"}


def _stride(args, likelihood):
    """The stride a run used: the option, or the restorer's default for the likelihood."""
    return defaults_for(likelihood)["stride"] if args.stride is None else args.stride


def _as_read(source, likelihood):
    """What the restorer sees of a file: its image, channels last if it has them."""
    return source.image, source.channel_axis


def _restore_file(args, likelihood_for, *, observe=_as_read, demo=None, check_prior=None):
    """Read ``args.input``, restore it with ``likelihood_for(float_image)``, write
    ``args.output`` in the input's kind; report progress and timing. ``observe(source,
    likelihood)`` gives the image to restore and its channel axis (demosaicing restores
    colour from a one-channel file); ``demo(source, args)`` gives ``(clean or None, input)``
    (``--add-noise`` by default); ``check_prior(prior)`` refuses a ``--prior`` unfit for the
    command (loaded once: a colour prior takes seconds)."""

    if is_lazy_path(args.input) or is_lazy_path(args.output) or args.chunks is not None:
        return _restore_lazy_file(args, likelihood_for)
    check_output(args)
    clean, source = (demo or _noise_demo)(_read_source(args.input), args)
    output_dtype(args.output, source)
    prior = load_prior(args.prior) if args.prior else None
    if prior is not None and check_prior is not None:
        check_prior(prior)
    gating = _gating_option(args, prior)
    _check_tile(args, prior)
    likelihood = likelihood_for(source)
    restorer = EPLLRestorer(
        prior,
        stride=args.stride,
        gating=gating,
        tile_shape=args.tile,
        n_jobs=args.n_jobs,
        adapt=args.adapt,
        scales=getattr(args, "scales", None),
        second_stage=_second_stage(args),
    )
    tic = time.perf_counter()
    image, channel_axis = observe(source, likelihood)
    with parallel_config(backend=_JOBLIB_BACKENDS[getattr(args, "backend", "threads")]):
        restored = restorer.restore(
            image,
            likelihood,
            channel_axis=channel_axis,
            progress=Progress(args.command, quiet=args.quiet, unit=_progress_unit(args)),
        )
    write_image(args.output, restored, source)
    if not args.quiet and clean is not None:
        before = (
            f"input {_psnr(clean, source.image):.2f} dB, "
            if clean.shape == source.image.shape
            else ""
        )
        print(f"PSNR against the clean image: {before}restored {_psnr(clean, restored):.2f} dB")
    if not args.quiet:
        print(
            f"{args.command}: {args.input} {source.image.shape} -> {args.output} "
            f"({_describe(likelihood, source)}, {1 if restored.ndim == 2 else restored.shape[-1]} "
            "channel(s), gating "
            f"{args.network or gating}, stride "
            f"{_stride(args, likelihood)}, {time.perf_counter() - tic:.1f} s)"
        )
    return 0


def _second_stage(args):
    """``--second-stage`` as the restorer's ``second_stage``."""
    return None if args.second_stage == "none" else args.second_stage


def _restore_lazy_file(args, likelihood_for):
    """``_restore_file`` for images larger than memory: zarr or tiled TIFF in and out, read,
    restored and written chunk by chunk (``skgate._bigfiles``)."""
    source_path, target = Path(args.input), Path(args.output)
    check_lazy_output(source_path, target, args.overwrite)
    if getattr(args, "add_noise", None) is not None:
        raise ValueError("--add-noise works on images in memory, not with --chunks or zarr")
    if is_bundled(args.input):
        source = lazy_from_array(bundled_image(args.input))
    else:
        source = open_lazy(source_path)  # the store's own chunks, until the side is chosen
    if target.suffix.lower() != ".zarr":
        output_dtype(target, source)
    prior = load_prior(args.prior) if args.prior else None
    gating = _gating_option(args, prior)
    likelihood = likelihood_for(source)
    restorer = EPLLRestorer(
        prior,
        stride=args.stride,
        gating=gating,
        adapt=args.adapt,
        scales=getattr(args, "scales", None),
        second_stage=_second_stage(args),
    )
    side = _chunk_side(
        args, source, target, restorer.smallest_chunk(likelihood, source.image.shape)
    )
    if side is not None:
        source.image = source.image.rechunk(
            (side, side) + ((-1,) if source.image.ndim == 3 else ())
        )
    tic = time.perf_counter()
    restored = restorer.restore(source.image, likelihood, channel_axis=source.channel_axis)
    progress = Progress(args.command, quiet=args.quiet, unit="chunks")
    write_lazy(target, restored, source, progress=progress)
    if not args.quiet:
        print(
            f"{args.command}: {args.input} {source.image.shape} in chunks of "
            f"{source.image.chunksize[:2]} -> {args.output} ({_describe(likelihood, source)}, "
            f"{time.perf_counter() - tic:.1f} s)"
        )
    return 0


def _chunk_side(args, source, target, smallest):
    """The chunk side of a chunked restoration, or None for the store's own chunks:
    ``--chunks``, else the default for inputs not chunked already; at least ``smallest``
    (tiny chunks spend their time on context and on overhead: a warning says so); for a
    TIFF output a multiple of its tile."""
    side = args.chunks
    if side is None and (target.suffix.lower() != ".zarr" or not is_lazy_path(args.input)):
        side = DEFAULT_CHUNKS
    own = min(source.image.chunksize[:2])
    if side is None and own < smallest and max(source.image.numblocks[:2]) > 1:
        side = own
    if side is not None and side < smallest and side < max(source.image.shape[:2]):
        warnings.warn(
            f"chunks of {side} pixels are small for the {smallest // MIN_CORE_PER_MARGIN}-pixel "
            "context each is "
            f"restored with; using {smallest}",
            UserWarning,
            stacklevel=2,
        )
        side = smallest
    if target.suffix.lower() != ".zarr":
        side = tiff_chunks(side)
    return side


def _check_tile(args, prior):
    """``--tile`` at least the prior's patch side, said before any work."""
    side = (prior or load_default_prior()).patch_size if args.tile is not None else None
    if side is not None and args.tile < side:
        raise ValueError(
            f"--tile {args.tile} is smaller than the {side}x{side} patches; use at least "
            f"{side} (a few hundred pixels is efficient)"
        )


def _progress_unit(args):
    """What the progress bar counts: tiles when the run is tiled, else iterations."""
    tiled = args.tile is not None or args.n_jobs not in (None, 1)
    return "tiles" if tiled else "iterations"


def _describe(likelihood, source):
    """The degradation for the summary line, its noise level in the file's units."""
    sigma = f"noise sigma {likelihood.sigma * file_scale(source):.4g} in the file's units"
    if isinstance(likelihood, Blur):
        return f"blur {likelihood.kernel.shape[0]}x{likelihood.kernel.shape[1]}, {sigma}"
    if isinstance(likelihood, Inpainting):
        return f"{100 * likelihood.mask.mean():.1f} % missing, {sigma}"
    if isinstance(likelihood, BayerMosaic):
        return f"{likelihood.pattern} mosaic, {sigma}"
    return sigma


def _gating_option(args, prior):
    """``--gating`` (exact by default), or the network of ``--network``."""
    if args.network is None:
        return args.gating or (DEMOSAIC_GATING if args.command == "demosaic" else "exact")
    if args.gating not in (None, "network"):
        raise ValueError(f"--network gates with the network; it cannot be --gating {args.gating}")
    colour = args.command == "demosaic"  # restored with colour patches
    return load_network(args.network, prior=prior or load_default_prior(colour=colour))


def _read_source(name_or_path):
    """An ``ImageFile`` from a path, or a bundled scikit-image image
    (as uint8, grey or colour) when no such file exists."""

    if is_bundled(name_or_path):
        from skimage.util import img_as_float

        raw = bundled_image(name_or_path)
        return ImageFile(img_as_float(raw).astype(np.float64), raw.dtype, None)
    return read_image(name_or_path)


def _noise_demo(source, args):
    """``(clean, input)``: the file and itself with ``--add-noise`` added, or ``(None, file)``
    without it."""
    if getattr(args, "add_noise", None) is None:
        return None, source
    return source.image, _with_noise(source, args)


def _with_noise(source, args):
    """``source`` with white Gaussian noise of ``--add-noise`` (file units), seeded."""

    sigma = noise_level_option(args.add_noise, "--add-noise", source)
    noise = np.random.default_rng(args.seed).standard_normal(source.image.shape)
    return ImageFile(source.image + sigma * noise, source.dtype, source.alpha)


def _psnr(clean, estimate):
    return 10 * np.log10(1.0 / np.mean((np.clip(estimate, 0, 1) - clean) ** 2))


def _noise_sigma(args, source):
    """``--sigma`` in the file's units (e.g. 25 for uint8), or estimated; as float units."""

    if args.sigma in (None, "estimate"):
        sigma = estimate_noise_sigma(source.image, channel_axis=source.channel_axis)
        if not args.quiet:
            print(f"estimated noise sigma: {sigma * file_scale(source):.4g} in the file's units")
        return sigma
    return noise_level_option(args.sigma, "--sigma", source)


def _cmd_denoise(args):

    return _restore_file(args, lambda source: GaussianNoise(_noise_sigma(args, source)))


def _cmd_deblur(args):

    kernel = parse_kernel(args.kernel)

    def likelihood_for(source):
        return Blur(kernel, _noise_sigma(args, source))

    return _restore_file(args, likelihood_for)


def _cmd_inpaint(args):

    def likelihood_for(source):
        mask = _read_source(args.mask).image
        if mask.ndim == 3:
            mask = mask.max(axis=-1)
        if mask.shape != source.image.shape[:2]:
            raise ValueError(
                f"mask {args.mask} has shape {mask.shape}, the image {source.image.shape[:2]}"
            )
        missing = mask > 0.5
        if missing.all():
            raise ValueError(f"mask {args.mask} marks every pixel as missing")
        if args.sigma in (None, "estimate"):  # the observed pixels are trusted as they are
            return Inpainting(missing)
        return Inpainting(missing, noise_level_option(args.sigma, "--sigma", source))

    return _restore_file(args, likelihood_for)


def _cmd_demosaic(args):

    if args.add_noise is not None and not args.simulate:
        raise ValueError("--add-noise needs --simulate (noise is added to the simulated mosaic)")
    if is_lazy_path(args.input) or is_lazy_path(args.output) or args.chunks is not None:
        raise ValueError("demosaic works on images in memory, not with --chunks or zarr")

    def colour_prior_only(prior):
        if prior.n_channels != 3:
            raise ValueError(
                f"--prior {args.prior} is a grey prior; demosaicing needs a colour one"
            )

    def likelihood_for(source):
        if source.image.ndim != 2:
            raise ValueError(
                f"{args.input} has {source.image.shape[-1]} channels; a mosaic has one value "
                "per pixel (pass --simulate to take an RGB image's mosaic first)"
            )
        if args.sigma in (None, "estimate"):  # recorded values are trusted as they are
            return BayerMosaic(source.image.shape, args.pattern)
        return BayerMosaic(
            source.image.shape, args.pattern, noise_level_option(args.sigma, "--sigma", source)
        )

    def observe(source, mosaic):
        return mosaic.observation(source.image), -1

    demo = _mosaic_demo if args.simulate else None
    return _restore_file(
        args, likelihood_for, observe=observe, demo=demo, check_prior=colour_prior_only
    )


def _mosaic_demo(source, args):
    """``(clean RGB, its mosaic)`` for ``--simulate`` (with ``--add-noise``, if given)."""
    if source.image.ndim != 3 or source.image.shape[-1] != 3:
        raise ValueError(
            f"--simulate needs an RGB image, {args.input} has shape {source.image.shape}"
        )
    raw = BayerMosaic(source.image.shape[:2], args.pattern).raw(source.image)
    mosaic = ImageFile(raw, source.dtype, None)
    return source.image, (_with_noise(mosaic, args) if args.add_noise is not None else mosaic)


# What each command runs (the parser, skgate._cli_parser, names the commands).
_COMMANDS = {
    **MODEL_COMMANDS,
    "denoise": _cmd_denoise,
    "deblur": _cmd_deblur,
    "inpaint": _cmd_inpaint,
    "demosaic": _cmd_demosaic,
}


def main(argv=None):
    """Run the command line; every failure is one line on stderr and exit code 2; Ctrl-C,
    SIGTERM and SIGHUP clean up, print one line and exit with ``128 + signal`` (130 for
    Ctrl-C). Set ``SKGATE_TRACEBACK=1`` to see the traceback instead."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # -h, --version (0) or a usage error (2, already said)
        return exc.code

    def one_line_warning(message, category, filename, lineno, file=None, line=None):
        # Deprecations inside the image readers are for developers, not for the user.
        if not issubclass(category, DEVELOPER_WARNINGS):
            print(f"skgate {args.command}: warning: {message}", file=sys.stderr)

    with StopSignals(process_exits=argv is None):
        try:
            with warnings.catch_warnings():
                warnings.showwarning = one_line_warning
                return _COMMANDS[args.command](args)
        except KeyboardInterrupt as exc:
            if os.environ.get("SKGATE_TRACEBACK"):
                raise
            signum = getattr(exc, "signum", signal.SIGINT)
            what = "interrupted" if signum == signal.SIGINT else f"stopped by {exc}"
            print(f"skgate {args.command}: {what}", file=sys.stderr)
            return 128 + int(signum)
        except Exception as exc:
            if os.environ.get("SKGATE_TRACEBACK"):
                raise
            print(f"skgate {args.command}: error: {one_line(exc)}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
