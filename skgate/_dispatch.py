"""The one way from a public call down to the 2-D core, decided in one place and in this
order: a dask array goes to the lazy path (which restores each chunk through the next two
layers), channels go to the colour adapter, and a 2-D observation goes to the core.

    EPLLRestorer.restore, denoise_epll, deblur_epll, inpaint_epll, the command line
        -> restore (here) -> _lazy.restore_lazy -> _colour.restore_channels
        -> _epll.restore_observation -> _epll.EPLL.restore_unit

Every layer below receives checked arguments and calls only downwards.
"""

from ._colour import restore_channels
from ._lazy import is_dask_array, restore_lazy

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
