"""The one way from a public call down to the 2-D core, decided in one place and in this
order: a dask array goes to the lazy path (which restores each chunk through the next two
layers), channels go to the colour adapter, and a 2-D observation goes to the core.

    EPLLRestorer.restore, denoise_epll, deblur_epll, inpaint_epll, the command line
        -> restore (here) -> _lazy.restore_lazy -> _colour.restore_channels
        -> _epll.restore_observation -> _epll.EPLL.restore_unit

Every layer below receives checked arguments and calls only downwards.
"""

from ._backend import detached, is_array
from ._blur import Blur
from ._channel_stack import ChannelStack
from ._colour import restore_channels
from ._gaussian_noise import GaussianNoise
from ._inpainting import Inpainting
from ._lazy import is_dask_array, restore_lazy
from ._mosaic import BayerMosaic

__all__ = ["restore"]


def restore(
    image,
    likelihood,
    core,
    *,
    channel_axis=None,
    data_range=None,
    x0=None,
    callback=None,
    progress=None,
):
    """Restore ``image`` degraded by ``likelihood`` with the settings ``core``: now, or, for a
    dask array, as a lazy dask array of the same shape and chunks."""
    if is_dask_array(image):
        if callback is not None or x0 is not None or progress is not None:
            raise ValueError(
                "x0, callback and progress are not supported for a dask array image (the "
                "result is lazy: watch its computation with dask's diagnostics)"
            )
        return restore_lazy(image, likelihood, core, channel_axis, data_range=data_range)
    if is_array(image):
        _check_array_support(likelihood)
        image = detached(image)
        x0 = detached(x0)
    return restore_channels(
        image,
        likelihood,
        core,
        channel_axis,
        progress=progress,
        data_range=data_range,
        x0=x0,
        callback=callback,
    )


def _check_array_support(likelihood):
    """What an array of another library than NumPy (a PyTorch tensor, a CuPy array, ...) is
    restored with so far, on its own device: this package's noise, blur and inpainting
    (one for all channels or one per channel) and demosaicing, every gating and scale,
    tiles in sequence (one device), adaptation and the second stage (their statistics
    estimated on the host)."""
    what = "an image of another library than NumPy"
    stacked = type(likelihood) in (ChannelStack, BayerMosaic)
    channels = likelihood.likelihoods if stacked else [likelihood]
    if not all(type(channel) in (GaussianNoise, Blur, Inpainting) for channel in channels):
        raise TypeError(
            f"{what} is restored with GaussianNoise, Blur or Inpainting for now, got "
            f"{type(likelihood).__name__}: pass a NumPy array"
        )
