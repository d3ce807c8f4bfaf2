"""The command line's arguments: every command, option, default and help text (the commands
themselves are in ``skgate._cli``)."""

from . import __version__
from ._cli_support import (
    BUNDLED_IMAGES,
    OneLineParser,
    noise_levels,
    non_negative_int,
    nonzero_int,
    positive_int,
)
from ._defaults import defaults_for
from ._gaussian_noise import GaussianNoise
from ._mosaic import BAYER_PATTERNS

__all__ = ["build_parser", "DEFAULT_CHUNKS"]

_BUNDLED = ", ".join(BUNDLED_IMAGES)


#: What ``--gating`` says of each command's default.
_GATING_HELP = (
    "exact posterior (best quality, the default), the gating network (fastest), "
    "the network's 2 best components re-scored exactly (close to exact, faster) or "
    "FEPLL's flat-tail approximation of the exact posterior; measured trade-offs on the "
    "documentation's validation page"
)
_DEMOSAIC_GATING_HELP = (
    "the colour prior's gating network (the default: it demosaiced the validation "
    "photographs better than exact gating, and much faster), the exact posterior, the "
    "network's 2 best components re-scored exactly or FEPLL's flat-tail approximation; "
    "measured on the documentation's validation page for other tasks"
)


def _add_restore_options(parser, sigma_help, gating_help=_GATING_HELP):
    parser.add_argument(
        "input",
        help="image file (PNG, JPEG, TIFF incl. 16-bit, ..., or .zarr) or a bundled "
        f"scikit-image image ({_BUNDLED})",
    )
    parser.add_argument("output", help="where to write the result (same kind as the input)")
    parser.add_argument("--sigma", default=None, help=sigma_help)
    parser.add_argument(
        "--gating",
        choices=["exact", "network", "network+exact", "flat-tail"],
        default=None,
        help=gating_help,
    )
    parser.add_argument(
        "--stride",
        type=positive_int,
        default=None,
        help=f"patch stride (default {defaults_for(GaussianNoise(1.0))['stride']}: about as good "
        "as 1 = all patches, and much faster)",
    )
    parser.add_argument(
        "--adapt",
        type=non_negative_int,
        default=0,
        help="passes adapting the prior to the image and restoring again (default 0; 1: "
        "better with exact gating, for several times the time)",
    )
    parser.add_argument(
        "--second-stage",
        choices=["none", "local"],
        default="none",
        help="refine with the image's own statistics: 'local' groups the first result's "
        "patches by component inside 64-pixel windows and filters each with its group's "
        "Gaussian (default none; better, for about twice the time)",
    )
    parser.add_argument(
        "--tile",
        type=positive_int,
        default=None,
        help="restore in tiles of this many pixels per side, at least the patch size "
        "(default: one piece, or 256 when --n-jobs asks for more than one worker)",
    )
    parser.add_argument(
        "--chunks",
        type=positive_int,
        default=None,
        help="restore chunk by chunk without holding the image in memory (pixels per side; "
        f"default {DEFAULT_CHUNKS} for TIFF, the store's own for zarr): for images larger "
        "than memory; reads and writes .zarr and (tiled, Big)TIFF; needs the dask extra: "
        'pip install ".[dask]"',
    )
    parser.add_argument(
        "--n-jobs",
        type=nonzero_int,
        default=None,
        help="tiles restored at once (default 1; -1: one per core)",
    )
    parser.add_argument(
        "--backend",
        choices=["threads", "processes"],
        default="threads",
        help="how tiles run at once: threads of this process (the default: nothing to start "
        "or copy) or worker processes (they start and load the models first, but never wait "
        "for each other's interpreter; see the scaling page for many cores)",
    )
    parser.add_argument("--prior", help="a prior .npz file instead of the shipped default")
    parser.add_argument(
        "--network",
        help="a gating network .npz file (from train-gating) for the prior in use; gates "
        "with it as --gating network does with the shipped one",
    )
    _add_overwrite(parser)
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar or summary lines (errors and warnings still print)",
    )


def _add_overwrite(parser):
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the output if it exists (also when it is the input); without it an "
        "existing output is never touched",
    )


#: Chunk side (pixels) of a chunked restoration when the input does not set one.
DEFAULT_CHUNKS = 2048


def build_parser():
    parser = OneLineParser(
        prog="skgate", description="Image restoration with learned patch priors (EPLL)."
    )
    parser.add_argument("--version", action="version", version=f"skgate {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    info = commands.add_parser("info", help="summarise a prior (default: the shipped one)")
    info.add_argument("--prior", help="a prior .npz file instead of the shipped default")
    info.add_argument(
        "--image",
        help=f"also score the patches of an image file or a bundled image ({_BUNDLED})",
    )

    train = commands.add_parser("train-prior", help="fit a GMM patch prior to your images")
    train.add_argument(
        "images",
        nargs="+",
        help=f"image files or bundled images ({_BUNDLED}); colour is converted to grey "
        "unless --colour",
    )
    train.add_argument("-o", "--output", required=True, help="where to write the .npz prior")
    train.add_argument(
        "--colour",
        action="store_true",
        help="a colour prior: RGB patches of colour images (for three-channel images)",
    )
    train.add_argument(
        "--n-patches",
        type=positive_int,
        default=1_000_000,
        help="random patches for the final EM iterations (default 1000000)",
    )
    train.add_argument(
        "--warm-up-patches",
        type=positive_int,
        default=200_000,
        help="patches of the warm-up EM iterations (default 200000)",
    )
    train.add_argument(
        "--n-components",
        type=positive_int,
        default=200,
        help="mixture components (default 200)",
    )
    train.add_argument(
        "--patch-size", type=positive_int, default=8, help="patch side in pixels (default 8)"
    )
    train.add_argument(
        "--max-iter",
        type=positive_int,
        default=20,
        help="EM iterations on all patches, after the warm-up's 40 (default 20)",
    )
    train.add_argument(
        "--seed", type=int, default=0, help="seed of the patch sampling and EM (default 0)"
    )
    train.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar or summary lines (errors and warnings still print)",
    )
    _add_overwrite(train)

    denoise = commands.add_parser("denoise", help="remove white Gaussian noise")
    _add_restore_options(
        denoise,
        "noise standard deviation in the file's units (25 means 25 grey levels of a uint8 "
        "image), or 'estimate' (the default)",
    )
    denoise.add_argument(
        "--add-noise",
        default=None,
        help="demo: first add white Gaussian noise of this level (file units) and report "
        "PSNR against the clean input",
    )
    denoise.add_argument("--seed", type=int, default=0, help="seed of --add-noise")
    denoise.add_argument(
        "--scales",
        type=positive_int,
        default=None,
        help="scales of the multi-scale restoration (default "
        f"{defaults_for(GaussianNoise(1.0))['scales']}; 1: single scale, a little faster)",
    )

    deblur = commands.add_parser("deblur", help="undo a known blur (periodic boundary)")
    _add_restore_options(
        deblur, "noise standard deviation in the file's units, or 'estimate' (the default)"
    )
    deblur.add_argument(
        "--kernel",
        required=True,
        help="K.npy, gaussian:STD or motion:LENGTH,ANGLE (pixels, degrees)",
    )

    inpaint = commands.add_parser("inpaint", help="fill in missing pixels")
    _add_restore_options(
        inpaint,
        "noise of the observed pixels in the file's units (default: nearly none, a "
        "thousandth of the range: they are kept as they are)",
    )
    inpaint.add_argument(
        "--mask",
        required=True,
        help=f"image file (or bundled image: {_BUNDLED}) whose white (non-zero) pixels are missing",
    )

    demosaic = commands.add_parser(
        "demosaic", help="fill in the two colours a Bayer sensor did not record at each pixel"
    )
    _add_restore_options(
        demosaic,
        "noise of the recorded values in the file's units (default: nearly none, a "
        "thousandth of the range)",
        _DEMOSAIC_GATING_HELP,
    )
    demosaic.add_argument(
        "--pattern",
        choices=BAYER_PATTERNS,
        default="RGGB",
        help="colours of the sensor's 2 x 2 cell, row by row from the top-left pixel "
        "(default RGGB)",
    )
    demosaic.add_argument(
        "--simulate",
        action="store_true",
        help="demo: the input is an RGB image; take its mosaic first and report PSNR against it",
    )
    demosaic.add_argument(
        "--add-noise",
        default=None,
        help="with --simulate: add white Gaussian noise of this level (file units) to the mosaic",
    )
    demosaic.add_argument("--seed", type=int, default=0, help="seed of --add-noise")

    gating = commands.add_parser("train-gating", help="train a gating network for a prior")
    gating.add_argument(
        "images", nargs="+", help=f"training image files or bundled images ({_BUNDLED})"
    )
    gating.add_argument("-o", "--output", required=True, help="where to write the .npz")
    gating.add_argument("--prior", help="the teacher prior .npz (default: the shipped one)")
    gating.add_argument(
        "--n-filters", type=positive_int, default=100, help="shared filters (default 100)"
    )
    gating.add_argument(
        "--n-batches",
        type=positive_int,
        default=100,
        help="minibatches of patches (default 100)",
    )
    gating.add_argument(
        "--batch-size",
        type=positive_int,
        default=10_000,
        help="patches per minibatch (default 10000)",
    )
    gating.add_argument(
        "--max-iter",
        type=positive_int,
        default=100,
        help="L-BFGS iterations per minibatch (default 100)",
    )
    gating.add_argument(
        "--noise-levels",
        type=noise_levels,
        default=[1e-4 * 2**k for k in range(12)],
        help="comma-separated noise variances, for images in [0, 1] (sigma 25 of a uint8 "
        "image is (25/255)^2 = 0.0096), each with its own output layer besides 0 (default: "
        "1e-4 * 2^k, k = 0..11)",
    )
    gating.add_argument(
        "--seed", type=int, default=0, help="seed of the patch sampling and fit (default 0)"
    )
    gating.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar or summary lines (errors and warnings still print)",
    )
    _add_overwrite(gating)
    return parser
