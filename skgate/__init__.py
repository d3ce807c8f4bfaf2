"""skgate: image restoration with learned Gaussian-mixture patch priors and gating networks.

The public API is re-exported here; see the submodules for the pieces.
"""

from ._adaptation import adapt_prior
from ._functions import deblur_epll, denoise_epll, inpaint_epll
from ._gating import ExactGating, Gating
from ._kernels import gaussian_kernel, motion_kernel
from ._likelihoods import Blur, GaussianNoise, Inpainting, Likelihood
from ._network import GatingNetwork
from ._noise import estimate_noise_sigma
from ._patches import aggregate_patches, extract_patches, patch_coverage, sample_patches
from ._prior import GMMPatchPrior
from ._restorer import EPLLRestorer
from .models import load_default_network, load_default_prior

__version__ = "0.1.0.dev0"

__all__ = [
    "GMMPatchPrior",
    "GatingNetwork",
    "adapt_prior",
    "EPLLRestorer",
    "denoise_epll",
    "deblur_epll",
    "inpaint_epll",
    "estimate_noise_sigma",
    "Likelihood",
    "GaussianNoise",
    "Blur",
    "Inpainting",
    "Gating",
    "ExactGating",
    "load_default_prior",
    "load_default_network",
    "gaussian_kernel",
    "motion_kernel",
    "extract_patches",
    "aggregate_patches",
    "patch_coverage",
    "sample_patches",
    "__version__",
]
