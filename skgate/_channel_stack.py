"""One degradation per channel, seen as one degradation of a ``(M, N, C)`` image: what lets
the EPLL core restore colour patches (a colour prior) with the package's 2-D likelihoods.

A colour image's channels are degraded independently (noise in every channel, a blur kernel
or an inpainting mask for all channels or one per channel), so the image step of the
splitting separates into one 2-D solve per channel. Images and observations here have their
channels last; ``image_shape`` is the spatial ``(M, N)`` the patch grid covers.
"""

import copy

import numpy as np

from ._backend import is_array, namespace
from ._likelihoods import Likelihood

__all__ = ["ChannelStack"]


class ChannelStack(Likelihood):
    """One degradation per channel of a colour (or multi-channel) image.

    Channel ``c`` of the observation is what ``likelihoods[c]`` observes of channel ``c`` of
    the image: a blur kernel or an inpainting mask per channel. Pass it to
    :meth:`EPLLRestorer.restore` with ``channel_axis``; a plain likelihood stands for the
    same degradation of every channel. :func:`deblur_epll` and :func:`inpaint_epll` build
    one from a kernel or mask per channel.

    Parameters
    ----------
    likelihoods : sequence of Likelihood
        One 2-D degradation per channel, in the order of the channels; all with the same
        ``sigma`` (the restoration's penalties follow one noise level).

    Attributes
    ----------
    likelihoods : tuple of Likelihood
        The channels' degradations.
    sigma : float
        Their common noise level.

    See Also
    --------
    skgate.EPLLRestorer.restore
    skgate.Blur
    skgate.Inpainting

    Notes
    -----
    Images and observations have their channels last here (the restorer moves
    ``channel_axis`` there). The image step of the splitting separates into one 2-D solve
    per channel. With the grey prior, channels with different degradations are restored
    one by one in RGB (the opponent colour space mixes channels, so it needs one
    degradation for all).

    Examples
    --------
    A red channel blurred more than the others:

    >>> import numpy as np
    >>> from skgate import Blur, ChannelStack, gaussian_kernel
    >>> stack = ChannelStack([Blur(gaussian_kernel(2.0), 0.01)]
    ...                      + [Blur(gaussian_kernel(1.0), 0.01)] * 2)
    >>> image = np.random.default_rng(0).random((32, 32, 3))
    >>> stack.forward(image).shape
    (32, 32, 3)
    """

    def __init__(self, likelihoods):
        likelihoods = tuple(likelihoods)
        if not likelihoods:
            raise ValueError("ChannelStack needs at least one likelihood")
        sigmas = {float(likelihood.sigma) for likelihood in likelihoods}
        if len(sigmas) != 1:
            raise ValueError(
                f"the channels' likelihoods must share one noise level, got sigma {sorted(sigmas)}"
            )
        super().__init__(sigmas.pop())
        self.likelihoods = likelihoods
        # Context is what the widest-reaching channel needs.
        self.tile_margin = max(likelihood.tile_margin for likelihood in likelihoods)

    def __repr__(self):
        return f"ChannelStack({list(self.likelihoods)!r})"

    @property
    def n_channels(self):
        """Number of channels."""
        return len(self.likelihoods)

    @property
    def is_uniform(self):
        """Whether every channel has the very same degradation (one object)."""
        return all(likelihood is self.likelihoods[0] for likelihood in self.likelihoods)

    def _each(self, method, *arrays):
        """``method(likelihood, *channel_arrays)`` for every channel's likelihood and that
        channel of ``arrays`` (``method`` a name: that method of the likelihood), stacked on
        a last axis."""
        call = (
            (lambda likelihood, *a: getattr(likelihood, method)(*a))
            if isinstance(method, str)
            else method
        )
        xp, _ = namespace(*arrays)
        return xp.stack(
            [
                call(likelihood, *(a[..., c] for a in arrays))
                for c, likelihood in enumerate(self.likelihoods)
            ],
            axis=-1,
        )

    def _map(self, method, *args):
        """A copy of this stack (of its class) holding every channel's ``method(*args)``."""
        likelihoods = tuple(getattr(likelihood, method)(*args) for likelihood in self.likelihoods)
        other = copy.copy(self)
        ChannelStack.__init__(other, likelihoods)
        return other

    def with_sigma(self, sigma):
        return self._map("with_sigma", sigma)

    def check_observation(self, y):
        y = y if is_array(y) else np.asarray(y)
        if y.ndim != 3 or y.shape[-1] != self.n_channels:
            raise ValueError(
                f"image must have shape (M, N, {self.n_channels}) for {self.n_channels} "
                f"channels, got {y.shape}"
            )
        return self._each("check_observation", y)

    def observed_values(self, y):
        xp, _ = namespace(y)
        return xp.concat(
            [
                xp.reshape(likelihood.observed_values(y[..., c]), (-1,))
                for c, likelihood in enumerate(self.likelihoods)
            ]
        )

    def constant_gain(self):
        gains = {likelihood.constant_gain() for likelihood in self.likelihoods}
        return gains.pop() if len(gains) == 1 else None

    def image_shape(self, y):
        shapes = {
            tuple(likelihood.image_shape(y[..., c]))
            for c, likelihood in enumerate(self.likelihoods)
        }
        if len(shapes) != 1:
            raise ValueError(f"the channels' images have different shapes: {sorted(shapes)}")
        return shapes.pop()

    def initial_estimate(self, y):
        return self._each("initial_estimate", y)

    def forward(self, x):
        return self._each("forward", x)

    def adjoint(self, r):
        return self._each("adjoint", r)

    def solve(self, y, patch_sum, coverage, lam, beta, x0=None):
        def solve(likelihood, y, patch_sum, coverage, x0):
            return likelihood.solve(y, patch_sum, coverage, lam, beta, x0=x0)

        if x0 is None:
            xp, device = namespace(patch_sum)
            x0 = xp.zeros(patch_sum.shape, dtype=patch_sum.dtype, device=device)
        return self._each(solve, y, patch_sum, coverage, x0)

    def tile(self, window):
        return self._map("tile", window)

    def coarse(self):
        return self._map("coarse")

    def default_betas(self):
        return self.likelihoods[0].default_betas()

    def default_lam(self, patch_size):
        return self.likelihoods[0].default_lam(patch_size)
