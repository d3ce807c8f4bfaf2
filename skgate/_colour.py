"""Colour: restoring each channel of an image with the grey prior (the layer between
the dask chunks and the 2-D core, ``skgate._dispatch``)."""

import numpy as np

from ._epll import restore_observation
from ._units import Units, infer_units
from ._validation import as_float_image, check_channel_axis

__all__ = ["restore_channels", "channel_units"]

# Opponent colour transform (as in CBM3D): luminance and two chroma axes. The rows are
# orthogonal, so white noise of standard deviation sigma in RGB stays white and independent
# across the new channels, with standard deviation sigma * |row|; each row is scaled so that
# its channel spans a range of one, like the grey images the prior was trained on.
_OPPONENT = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, -1.0], [1.0, -2.0, 1.0]]) / [[3.0], [2.0], [4.0]]
_OPPONENT_INVERSE = np.linalg.inv(_OPPONENT)


def channel_units(channels, likelihood, data_range=None):
    """The ``Units`` of a ``(M, N, C)`` image seen through
    ``likelihood``: one data range for all channels, so that the colour balance stays."""
    observed = [
        likelihood.observed_values(likelihood.check_observation(channels[..., c]))
        for c in range(channels.shape[-1])
    ]
    return infer_units(
        np.concatenate([np.ravel(v) for v in observed]),
        likelihood.sigma,
        likelihood.constant_gain(),
        data_range,
    )


def restore_channels(
    image,
    likelihood,
    core,
    channel_axis,
    *,
    progress=None,
    data_range=None,
    units=None,
    x0=None,
    callback=None,
):
    """Restore a grey image with the settings ``core`` (``EPLL``), or each
    channel of a colour one with the same degradation.

    Three channels are restored in the opponent colour space (see ``_OPPONENT``), where they
    are much less correlated than R, G and B; other channel counts one by one, all in one
    data range: ``units`` where the caller chose them (a dask chunk: the whole image's), else
    from ``data_range`` or inferred from all channels. ``progress`` is called as
    ``progress(done, total)`` over all channels; ``x0`` and ``callback`` serve grey images
    only."""
    image = as_float_image(image)
    dtype = image.dtype
    if channel_axis is None:
        if image.ndim != 2:
            raise ValueError(
                f"image must be 2-D (or pass channel_axis for colour), got shape {image.shape}"
            )
        restored = restore_observation(
            image,
            likelihood,
            core,
            units=units,
            data_range=data_range,
            x0=x0,
            callback=callback,
            progress=progress,
        )
        return restored.astype(dtype, copy=False)
    if image.ndim != 3:
        raise ValueError(f"with channel_axis the image must be 3-D, got shape {image.shape}")
    check_channel_axis(image.ndim, channel_axis)
    if x0 is not None or callback is not None:
        raise ValueError("x0 and callback serve grey images; restore each channel on its own")
    channels = np.moveaxis(image, channel_axis, -1).astype(np.float64)
    if units is None:
        units = channel_units(channels, likelihood, data_range)
    # The missing pixels of an inpainting observation may hold anything (NaN included).
    channels = np.nan_to_num(units.observation_to_unit(channels), nan=0.0)
    n_channels = channels.shape[-1]
    if n_channels == 3:
        channels = channels @ _OPPONENT.T
        gains = np.linalg.norm(_OPPONENT, axis=1)
    else:
        gains = np.ones(n_channels)

    def channel_progress(c):
        if progress is None:
            return None
        return lambda done, total: progress(c * total + done, n_channels * total)

    # Each channel is already in [0, 1] units; the core still converts the user's
    # penalties and clip with the image's units (a constant gain of 0: no second offset).
    channel_units_ = Units(offset=0.0, scale=units.scale)
    out = np.stack(
        [
            restore_observation(
                channels[..., c] * units.scale,
                likelihood.with_sigma(likelihood.sigma * gains[c]),
                core,
                units=channel_units_,
                progress=channel_progress(c),
            )
            / units.scale
            for c in range(n_channels)
        ],
        axis=-1,
    )
    if n_channels == 3:
        out = out @ _OPPONENT_INVERSE.T
    out = units.image_from_unit(out)
    return np.moveaxis(out, -1, channel_axis).astype(dtype, copy=False)
