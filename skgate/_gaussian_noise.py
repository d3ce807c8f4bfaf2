"""Additive white Gaussian noise, the likelihood of denoising: ``A = I``, whose image step
is a per-pixel division."""

import numpy as np

from ._docstrings import shares_parameters
from ._likelihoods import Likelihood
from ._validation import MIN_SIGMA

__all__ = ["GaussianNoise"]


@shares_parameters(Likelihood)
class GaussianNoise(Likelihood):
    """Additive white Gaussian noise: ``A = I``.

    The image step is a per-pixel division.

    Parameters
    ----------
    .. parameters:: sigma

    See Also
    --------
    skgate.Blur
    skgate.Inpainting
    skgate.denoise_epll

    Examples
    --------
    >>> import numpy as np
    >>> lik = GaussianNoise(sigma=0.1)
    >>> y = np.zeros((4, 4))
    >>> x = lik.solve(y, patch_sum=np.ones((4, 4)), coverage=np.ones((4, 4)), lam=1.0, beta=1.0)
    >>> float(x[0, 0])
    0.5
    """

    def forward(self, x):
        return np.asarray(x)

    def adjoint(self, r):
        return np.asarray(r)

    def solve(self, y, patch_sum, coverage, lam, beta, x0=None):
        return (lam * y + beta * patch_sum) / (lam + beta * coverage)

    def constant_gain(self):
        return 1.0

    def tile(self, window):
        return self

    def coarse(self):
        # Four independent pixels of variance sigma^2 average to one of sigma^2 / 4; held at
        # the smallest noise level the arithmetic takes (a negligible one either way).
        return self.with_sigma(max(self.sigma / 2, MIN_SIGMA))
