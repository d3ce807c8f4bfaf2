"""skgate: image restoration with learned Gaussian-mixture patch priors and gating networks.

The public API is re-exported here; see the submodules for the pieces.
"""

from .gating import ExactGating, Gating
from .likelihoods import Blur, GaussianNoise, Inpainting, Likelihood
from .models import load_default_prior
from .network import GatingNetwork
from .patches import aggregate_patches, extract_patches, patch_coverage, sample_patches
from .prior import GMMPatchPrior
from .restoration import EPLLRestorer, deblur_epll, denoise_epll, inpaint_epll

__version__ = "0.1.0.dev0"

__all__ = [
    "GMMPatchPrior",
    "GatingNetwork",
    "EPLLRestorer",
    "denoise_epll",
    "deblur_epll",
    "inpaint_epll",
    "Likelihood",
    "GaussianNoise",
    "Blur",
    "Inpainting",
    "Gating",
    "ExactGating",
    "load_default_prior",
    "extract_patches",
    "aggregate_patches",
    "patch_coverage",
    "sample_patches",
    "__version__",
]
