"""The restorer's settings that depend on the degradation, in one table.

:class:`~skgate.EPLLRestorer` and the functions (``denoise_epll``, ...) take ``stride=None``
and ``scales=None`` to mean the row below for their likelihood (the first row it is an
instance of), so that ``EPLLRestorer().restore(y, GaussianNoise(s))`` and
``denoise_epll(y, s)`` are one restoration. The user guide renders this table
(``doc/user_guide.rst``, "Defaults"; a test checks the page against it), and each row names
the validation table it was chosen on. The penalty schedules are the likelihoods' own
(``Likelihood.default_betas``).
"""

from ._blur import Blur
from ._channel_stack import ChannelStack
from ._gaussian_noise import GaussianNoise
from ._inpainting import Inpainting
from ._likelihoods import Likelihood

__all__ = ["DEFAULTS", "defaults_for"]

#: ``(likelihood class, stride, scales, where it was chosen)``, most specific first.
DEFAULTS = (
    (
        GaussianNoise,
        3,
        3,
        "Validation: 'Denoising schedule and lam' (stride) and 'Levers tried' (multi-scale)",
    ),
    (Blur, 3, 1, "Validation: 'Deblurring and inpainting'"),
    (Inpainting, 3, 1, "Validation: 'Deblurring and inpainting'"),
    (Likelihood, 3, 1, "any other likelihood: the stride of the three above, one scale"),
)


def defaults_for(likelihood):
    """``{"stride": ..., "scales": ...}`` of the first row of :data:`DEFAULTS` that
    ``likelihood`` is an instance of; a :class:`~skgate.ChannelStack` takes its first
    channel's."""
    if isinstance(likelihood, ChannelStack):
        return defaults_for(likelihood.likelihoods[0])
    for kind, stride, scales, _ in DEFAULTS:
        if isinstance(likelihood, kind):
            return {"stride": stride, "scales": scales}
    raise TypeError(f"likelihood must be a Likelihood, got {type(likelihood).__name__}")
