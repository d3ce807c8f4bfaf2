"""skgate: image restoration with learned Gaussian-mixture patch priors and gating networks.

The public API is re-exported here; see the submodules for the pieces.
"""

from .adaptation import adapt_prior
from .functions import deblur_epll, denoise_epll, inpaint_epll
from .gating import ExactGating, Gating
from .kernels import gaussian_kernel, motion_kernel
from .likelihoods import Blur, GaussianNoise, Inpainting, Likelihood
from .models import load_default_network, load_default_prior
from .network import GatingNetwork
from .noise import estimate_noise_sigma
from .patches import aggregate_patches, extract_patches, patch_coverage, sample_patches
from .prior import GMMPatchPrior
from .restoration import EPLLRestorer

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
