"""skgate: image restoration with learned Gaussian-mixture patch priors and gating networks.

The public API is what this module exports (``__all__``) and :mod:`skgate.models` (model
files). Everything else lives in private modules (``skgate._restorer`` and the like) that may
change without notice.
"""

from ._adaptation import adapt_prior
from ._blur import Blur
from ._channel_stack import ChannelStack
from ._functions import deblur_epll, demosaic_epll, denoise_epll, inpaint_epll
from ._gating import ExactGating, FlatTailGating, Gating, NetworkGating
from ._gaussian_noise import GaussianNoise
from ._inpainting import Inpainting
from ._kernels import gaussian_kernel, motion_kernel
from ._likelihoods import Likelihood
from ._local import LocalStatistics
from ._mosaic import BayerMosaic, bayer_mask
from ._network import GatingNetwork
from ._noise import estimate_noise_sigma
from ._patches import aggregate_patches, extract_patches, patch_coverage
from ._prior import GMMPatchPrior
from ._restorer import EPLLRestorer
from ._sampling import sample_patches
from ._tables import MixtureTables
from ._train import epll_patches, train_prior
from .models import load_default_network, load_default_prior

__version__ = "0.1.0.dev0"

__all__ = [
    # restoration
    "denoise_epll",
    "deblur_epll",
    "inpaint_epll",
    "demosaic_epll",
    "EPLLRestorer",
    "estimate_noise_sigma",
    "LocalStatistics",
    # degradations (subclass Likelihood for your own)
    "Likelihood",
    "GaussianNoise",
    "Blur",
    "Inpainting",
    "ChannelStack",
    "BayerMosaic",
    "bayer_mask",
    "gaussian_kernel",
    "motion_kernel",
    # priors and gating networks
    "GMMPatchPrior",
    "GatingNetwork",
    "load_default_prior",
    "load_default_network",
    "adapt_prior",
    "train_prior",
    "epll_patches",
    # gating strategies (subclass Gating for your own)
    "Gating",
    "ExactGating",
    "FlatTailGating",
    "NetworkGating",
    "MixtureTables",
    # patches
    "extract_patches",
    "aggregate_patches",
    "patch_coverage",
    "sample_patches",
    "__version__",
]
