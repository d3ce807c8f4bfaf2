"""skgate: image restoration with learned Gaussian-mixture patch priors and gating networks.

The public API is re-exported here; see the submodules for the pieces.
"""

from .models import load_default_prior
from .patches import aggregate_patches, extract_patches, patch_coverage, sample_patches
from .prior import GMMPatchPrior

__version__ = "0.1.0.dev0"

__all__ = [
    "GMMPatchPrior",
    "load_default_prior",
    "extract_patches",
    "aggregate_patches",
    "patch_coverage",
    "sample_patches",
    "__version__",
]
