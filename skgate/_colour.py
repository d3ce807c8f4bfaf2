"""Colour: the layer between the dask chunks and the 2-D core (``skgate._dispatch``).

A three-channel image is restored either with a colour prior, whose patches hold all three
channels (the core sees the image with its channels last and one
:class:`~skgate._channel_stack.ChannelStack` likelihood), or channel by channel with the grey
prior in an opponent colour space. Which one: the prior's ``n_channels`` when the user gives a
prior, else ``COLOUR_PRIOR_BY_DEFAULT``.
"""

from dataclasses import replace

import numpy as np

from ._backend import beside, from_numpy, is_numpy, namespace, work_dtype
from ._channel_stack import ChannelStack
from ._epll import restore_observation
from ._mosaic import BayerMosaic
from ._shipped import has_default_network
from ._units import Units, check_unit_sigma, infer_units
from ._validation import as_float_image, check_channel_axis, check_finite_values

__all__ = ["restore_channels", "COLOUR_PRIOR_BY_DEFAULT"]

#: Whether three-channel images use the shipped colour prior when no prior is given (else
#: the grey prior channel by channel). Measured on the first 10 validation photographs in
#: colour with CBM3D (doc/validation.rst, "Colour patches"): the colour prior lost 0.08 dB
#: at sigma 25 and 0.06 at 50 to the grey prior per opponent channel (better chroma, worse
#: luminance), in about 2.5 times the time; taking the grey prior's luminance and the colour
#: prior's chroma gained 0.02-0.03 dB for 4 times the time. Gating the chroma patches with
#: their luminance patch's component lost 1.7-2.6 dB.
COLOUR_PRIOR_BY_DEFAULT = False

#: How much larger than the luminance the two chroma channels are restored: their rows of
#: the opponent transform are multiplied by it (signal and noise alike) and the result is
#: divided by it. The grey prior was trained on luminance; seen at this scale, chroma patches
#: get a prior CHROMA_SCALE times narrower in contrast, as natural images' chroma is.
#: Chosen on the first 20 validation photographs in colour among 1, 3, 4 and 6, CBM3D in the
#: same run, and confirmed on McMaster18 (doc/validation.rst, "Chroma scale": tables
#: chroma_scale_bsds20_*, chroma_scale_mcmaster18_*): 4 gains 0.04-0.11 dB over 1 on both
#: sets at every noise level; 6 is as good on the photographs but loses on McMaster's
#: saturated colour.
CHROMA_SCALE = 4.0


def opponent_transform(chroma_scale=None):
    """The opponent colour transform (as in CBM3D): luminance and two chroma axes, the chroma
    rows multiplied by ``chroma_scale`` (default ``CHROMA_SCALE``).

    The rows are orthogonal, so white noise of standard deviation sigma in RGB stays white
    and independent across the new channels, with standard deviation sigma * |row|; each row
    is scaled so that its channel spans a range of one (times ``chroma_scale`` for chroma),
    like the grey images the prior was trained on."""
    scale = CHROMA_SCALE if chroma_scale is None else float(chroma_scale)
    rows = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, -1.0], [1.0, -2.0, 1.0]])
    return rows / [[3.0], [2.0 / scale], [4.0 / scale]]


def channel_likelihoods(likelihood, n_channels):
    """``likelihood`` as one degradation of each of ``n_channels`` channels: a
    :class:`ChannelStack` (the same one for every channel unless it is already a stack)."""
    if isinstance(likelihood, ChannelStack):
        if likelihood.n_channels != n_channels:
            raise ValueError(
                f"likelihood degrades {likelihood.n_channels} channels, the image has {n_channels}"
            )
        return likelihood
    return ChannelStack([likelihood] * n_channels)


def _uses_colour_patches(core, n_channels, likelihood):
    """Whether an image of ``n_channels`` channels is restored with colour patches: with a
    colour prior; with the shipped models, always for demosaicing, else for three channels
    and a named gating the shipped colour models serve (a user's gating network or strategy
    is for the grey prior)."""
    if core.prior is not None:
        return core.n_channels > 1
    if isinstance(likelihood, BayerMosaic):
        return True
    if n_channels != 3 or not COLOUR_PRIOR_BY_DEFAULT or not isinstance(core.gating, str):
        return False
    return not core.gating.startswith("network") or has_default_network(3)


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

    With a colour prior (``core.n_channels == 3``, or the shipped one by default, see
    ``COLOUR_PRIOR_BY_DEFAULT``) the patches hold all three channels. Otherwise three channels
    are restored in the opponent colour space (see ``opponent_transform``), where they are much less
    correlated than R, G and B; other channel counts one by one, all in one
    data range: ``units`` where the caller chose them (a dask chunk: the whole image's), else
    from ``data_range`` or inferred from all channels. ``progress`` is called as
    ``progress(done, total)`` over all channels; ``x0`` and ``callback`` serve grey images
    only."""
    image = as_float_image(image)
    dtype = image.dtype
    if channel_axis is None:
        if core.n_channels > 1:
            raise _wrong_channels(core.n_channels, image.shape, channel_axis)
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
        return namespace(restored)[0].astype(restored, dtype, copy=False)
    if image.ndim != 3:
        raise ValueError(f"with channel_axis the image must be 3-D, got shape {image.shape}")
    check_channel_axis(image.ndim, channel_axis)
    xp, device = namespace(image)
    channels = xp.astype(xp.moveaxis(image, channel_axis, -1), work_dtype(xp))
    if core.n_channels > 1 and channels.shape[-1] != core.n_channels:
        raise _wrong_channels(core.n_channels, image.shape, channel_axis)
    colour_patches = _uses_colour_patches(core, channels.shape[-1], likelihood)
    if callback is not None or (x0 is not None and not colour_patches):
        raise ValueError(
            "callback serves grey images, x0 grey images and colour patches (a colour "
            "prior); restore each channel on its own"
        )
    # Checked once for every path, a dask chunk's (given its image's units) included.
    stack = channel_likelihoods(likelihood, channels.shape[-1])
    channels = stack.check_observation(channels)
    if units is None:  # one data range for all channels, so that the colour balance stays
        observed = stack.observed_values(channels)
        units = infer_units(observed, stack.sigma, stack.constant_gain(), data_range)
    # The missing pixels of an inpainting observation may hold anything (NaN included).
    channels = units.observation_to_unit(channels)
    if is_numpy(xp):
        channels = np.nan_to_num(channels, nan=0.0)
    else:
        channels = xp.where(xp.isnan(channels), xp.zeros_like(channels), channels)
    n_channels = channels.shape[-1]
    if colour_patches:
        if x0 is not None:
            x0 = _checked_start(x0, image.shape, channel_axis, units, image)
        out = _restore_colour_patches(channels, stack, core, units, progress, x0)
        return xp.astype(xp.moveaxis(out, -1, channel_axis), dtype, copy=False)
    # The opponent space mixes the channels: only one degradation for all commutes with it.
    opponent = n_channels == 3 and stack.is_uniform
    if opponent:
        transform = opponent_transform()
        channels = channels @ from_numpy(transform.T, xp, device, channels.dtype)
        gains = np.linalg.norm(transform, axis=1)
    else:
        gains = np.ones(n_channels)

    def channel_progress(c):
        if progress is None:
            return None
        return lambda done, total: progress(c * total + done, n_channels * total)

    # Each channel is already in [0, 1] units; the core still converts the user's
    # penalties and clip with the image's units (a constant gain of 0: no second offset).
    channel_units_ = Units(offset=0.0, scale=units.scale)
    out = xp.stack(
        [
            restore_observation(
                channels[..., c] * units.scale,
                stack.likelihoods[c].with_sigma(stack.sigma * gains[c]),
                core,
                units=channel_units_,
                progress=channel_progress(c),
            )
            / units.scale
            for c in range(n_channels)
        ],
        axis=-1,
    )
    if opponent:
        out = out @ from_numpy(np.linalg.inv(transform).T, xp, device, out.dtype)
    out = units.image_from_unit(out)
    return xp.astype(xp.moveaxis(out, -1, channel_axis), dtype, copy=False)


def _wrong_channels(n_channels, shape, channel_axis):
    return ValueError(
        f"the prior models patches of {n_channels} channels: the image must have "
        f"{n_channels} channels on channel_axis, got shape {shape} and "
        f"channel_axis={channel_axis}"
    )


def _checked_start(x0, shape, channel_axis, units, like):
    """The user's starting image ``x0`` (the image's shape) with its channels last, in
    [0, 1] units."""
    xp, _ = namespace(like)
    x0 = as_float_image(x0, "x0")
    if tuple(x0.shape) != tuple(shape):
        raise ValueError(f"x0 has shape {tuple(x0.shape)}, the image {tuple(shape)}")
    check_finite_values(x0, "x0")
    x0 = beside(x0, like)  # to the image's device
    return units.image_to_unit(xp.astype(xp.moveaxis(x0, channel_axis, -1), work_dtype(xp)))


def _restore_colour_patches(channels, stack, core, units, progress, x0=None):
    """The restoration of ``channels`` (``(M, N, C)``, in [0, 1] units) seen through
    ``stack`` with patches of all channels, from ``x0`` (in those units) if given, back in
    the image's units."""
    stack = stack.with_sigma(check_unit_sigma(stack.sigma, units))
    core = replace(core, n_channels=channels.shape[-1])
    out = core.restore_unit(channels, stack, units, x0=x0, progress=progress)
    return units.image_from_unit(out)
