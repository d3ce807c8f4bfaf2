"""The EPLL core: one 2-D observation restored by half-quadratic splitting.

For each penalty ``beta`` in the schedule, one iteration of three steps (Zoran & Weiss 2011):

1. gating: each patch's component ``h_i`` under ``N(0, C_h + I/beta)`` (a pluggable strategy,
   :class:`~skgate.Gating`);
2. filtering: the Wiener estimate ``z_i`` of the DC-free patch with component ``h_i``; the patch
   mean passes through unchanged;
3. mixing: ``x = argmin lam/2 ||A x - y||^2 + beta p^2/2 ||x - avg(z)||^2``, where ``avg(z)``
   averages the patch estimates covering each pixel (Zoran & Weiss's code; the exact
   ``sum_i ||P_i x - z_i||^2`` form weighs border pixels less and measured worse), solved by
   the likelihood (:class:`~skgate.Likelihood`).

Patches are processed in chunks of grid rows, so memory stays bounded whatever the image size.
:class:`EPLL` holds the settings of one call, resolved and checked once by the public entry
(:class:`~skgate.EPLLRestorer`); nothing here validates them again. It knows nothing of
channels or dask arrays: ``skgate._dispatch`` routes those above it.
"""

from dataclasses import dataclass, replace
from functools import partial

import numpy as np
from joblib import effective_n_jobs

from ._backend import beside, is_numpy, namespace, work_dtype
from ._contracts import (
    array_shape,
    check_initial_estimate,
    check_likelihood,
    trusted_likelihood,
)
from ._iteration import iterate
from ._local import BETA_FACTORS, refine
from ._multiscale import downsample, fuse, fusion_weight
from ._shipped import default_prior, models
from ._tiles import (
    MIN_CORE_PER_MARGIN,
    TileLayout,
    context_margin,
    enlarged_tile_shape,
    restore_in_tiles,
)
from ._units import check_unit_sigma, infer_units
from ._validation import check_finite_values, check_image_2d
from ._warnings import warn

__all__ = ["EPLL", "restore_observation", "checked_observation"]

# Tiled restoration stops paying when the tiles' windows (cores and margins) add up to more
# than this many images: the image is then restored in one piece.
_MOST_TILED_AREA = 3

# Memory the second stage's groups may take at once (bytes), and the groups a window of
# 64 pixels holds at most in practice (37 on average on the tuning photographs, grey).
_STAGE_MEMORY = 512 * 2**20
_GROUPS_PER_WINDOW = 64


def _warn_if_sigma_exceeds_the_image(sigma, y):
    """A noise level above the whole range of the noisy observation (whose noise alone
    spans several sigma) is almost always a unit mistake, e.g. 25 grey levels given for an
    image in [0, 1]; the result would be a flat image."""
    xp, _ = namespace(y)
    spread = float(xp.max(y) - xp.min(y))
    if spread > 0 and sigma > spread:
        warn(
            f"sigma={sigma:g} is larger than the whole range of the image ({spread:.3g}): "
            "is it in other units (grey levels for an image in [0, 1]: pass sigma / 255)?",
            UserWarning,
        )


def check_betas(betas):
    """User penalties: a non-empty 1-D array of finite positive numbers."""
    message = "betas must be a non-empty 1-D sequence of finite positive penalties"
    try:
        betas = np.asarray(betas, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{message}, got {betas!r}") from None
    if betas.ndim != 1 or betas.size == 0 or not np.all(np.isfinite(betas)) or np.any(betas <= 0):
        raise ValueError(f"{message}, got {betas!r}")
    return betas


def check_clip(clip):
    """``clip`` as ``(low, high)`` floats with ``low < high``, or None."""
    if clip is None:
        return None
    try:
        low, high = (float(v) for v in clip)
    except (TypeError, ValueError):
        raise ValueError(f"clip must be (low, high), two numbers, got {clip!r}") from None
    if not low < high:
        raise ValueError(f"clip must be (low, high) with low < high, got {clip}")
    return low, high


def _check_unit_betas(betas):
    """Penalties converted to the [0, 1] units: their noise levels ``1 / beta`` must hold in
    float64 (an image in units of 1e-150 can push them out)."""
    with np.errstate(over="ignore", divide="ignore"):
        finite = np.all(np.isfinite(betas)) and np.all(np.isfinite(1.0 / betas))
    if not finite or np.any(betas <= 0):
        raise ValueError(
            "betas in the image's units become penalties float64 cannot hold once the image is "
            "mapped to [0, 1]; pass data_range, or betas for [0, 1] units times data_range^2"
        )
    return betas


def checked_observation(likelihood, image):
    """The likelihood's check of ``image``, then ours: a float ndarray of finite values (the
    package's own likelihoods check that themselves)."""
    y = likelihood.check_observation(image)
    if trusted_likelihood(likelihood):
        return y
    if not isinstance(y, np.ndarray) or y.dtype.kind != "f":  # (user likelihoods: NumPy)
        raise TypeError("likelihood.check_observation must return a float ndarray")
    return check_finite_values(y, "image")


@dataclass(frozen=True)
class _Pass:
    """What one observation's iterations need, in [0, 1] units; sent to every tile.
    ``prior`` stays None for the shipped prior, which each worker loads once (a Dask graph
    would otherwise carry megabytes per tile)."""

    prior: object
    n_channels: int
    gating: object
    stride: int
    max_patches: int
    betas: np.ndarray
    lam: float
    clip: tuple | None
    passes: int
    strength: float


@dataclass(frozen=True)
class EPLL:
    """The settings of one restoration, resolved from :class:`~skgate.EPLLRestorer`'s
    parameters for one likelihood and checked once (``betas``, ``lam`` and ``clip`` in the
    image's units, as the user gave them). No field has a default: the restorer's
    parameters and :mod:`skgate._defaults` are the only defaults. ``n_channels`` is that of
    the patches (3: colour patches of an ``(M, N, 3)`` image, whose likelihood is a
    :class:`~skgate._channel_stack.ChannelStack`); with ``prior=None`` it picks the shipped
    prior."""

    prior: object
    n_channels: int
    gating: object
    betas: np.ndarray | None
    lam: float | None
    stride: int
    clip: tuple | None
    max_patches: int
    tile_shape: object
    tile_margin: int | None
    n_jobs: int | None
    adapt: int
    adapt_strength: float
    scales: int
    fusion_weight: float | None
    second_stage: object

    @property
    def patch_size(self):
        prior = default_prior(self.n_channels) if self.prior is None else self.prior
        return prior.patch_size

    def context(self, likelihood, shape=None, fill=0):
        """Pixels of context a window of ``shape`` (a tile or a chunk of that image) is
        restored with on every side, for every scale it uses (``fill``: what the inpainting
        fill adds)."""
        p = self.patch_size
        scales, side = 1, min(shape) if shape is not None else None
        while scales < self.scales and (side is None or side // 2 >= p):
            side = None if side is None else side // 2
            scales += 1
        # A coarse scale sees twice the distance: its border effects reach twice as far.
        base = context_margin(self.tile_margin, likelihood, p)
        return base * 2 ** (scales - 1) + self.stride - 1 + fill

    def restore_unit(self, y, likelihood, units, x0=None, callback=None, progress=None, warn=True):
        """The restoration of observation ``y`` in [0, 1] units (``units`` maps the user's
        penalties and ``clip`` there); the coarse scales come here directly, with
        ``warn=False``: a warning about the input is given once."""
        prior, tables, gating = models(self.prior, self.gating, self.n_channels)
        xp, _ = namespace(y)
        p = prior.patch_size
        shape = check_likelihood(likelihood, y)
        image_shape = array_shape(likelihood, shape)
        if shape[0] < p or shape[1] < p:
            raise ValueError(f"image of shape {shape} is smaller than the {p}x{p} patches")
        if warn:
            _warn_if_sigma_exceeds_the_image(likelihood.sigma * units.scale, y * units.scale)
        settings = self._pass(likelihood, units, p)
        # One device restores its tiles in sequence, and only when asked to (tile_shape).
        on_device = not is_numpy(xp)
        layout = (
            None
            if on_device and self.tile_shape is None
            else self._tile_layout(shape, likelihood, p)
        )
        if x0 is None:
            x = likelihood.initial_estimate(y)
            if not trusted_likelihood(likelihood):
                x = check_initial_estimate(x, image_shape)
        else:
            x = x0
            if x.shape != image_shape:
                raise ValueError(f"x0 has shape {x.shape}, the restored image {image_shape}")
        if layout is not None and callback is not None:
            raise ValueError("callback is only called in untiled restoration; use progress")
        progress, stage_progress = self._phased_progress(progress, shape, likelihood, p)
        # The coarse scales first: a bad likelihood fails before the long fine restoration,
        # and progress reaches its end with the last (fine) iteration.
        coarse = self._restore_coarse(y, likelihood, p, units)
        if layout is None:
            x = iterate(y, likelihood, x, settings, callback, progress, (prior, tables, gating))
        else:
            restore_window = partial(iterate, settings=settings)
            n_jobs = 1 if on_device else self.n_jobs
            x = restore_in_tiles(restore_window, y, likelihood, x, layout, n_jobs, progress)
        if coarse is not None:
            weight = (
                fusion_weight(likelihood.sigma)
                if self.fusion_weight is None
                else self.fusion_weight
            )
            # In place where x is this call's own: the tiles' output, or the last iterate of
            # a likelihood of ours that no callback has seen.
            own = layout is not None or (callback is None and trusted_likelihood(likelihood))
            x = fuse(x, coarse, weight, overwrite_fine=own)
            if settings.clip is not None:  # the fused image too, not only each scale's
                x = xp.clip(x, *settings.clip)
        if self.second_stage is not None:
            done = (
                len(layout) if layout is not None else len(settings.betas) * (settings.passes + 1)
            )
            x = self._second_stage(y, likelihood, x, settings, done, callback, stage_progress)
        if not bool(xp.all(xp.isfinite(x))):  # every step is checked; this is the last guard
            raise FloatingPointError("the restoration produced NaN or infinite values")
        return x

    def _pass(self, likelihood, units, p):
        """The iterations' settings for ``likelihood`` in the [0, 1] units of ``units``:
        penalties given by the user are in the image's units (x = scale * x_unit)."""
        scale2 = units.scale**2
        betas = (
            likelihood.default_betas()
            if self.betas is None
            else _check_unit_betas(self.betas * scale2)
        )
        clip = None
        if self.clip is not None:
            clip = tuple(float(units.image_to_unit(v)) for v in self.clip)
        return _Pass(
            prior=self.prior,
            n_channels=self.n_channels,
            gating=self.gating,
            stride=self.stride,
            max_patches=self.max_patches,
            betas=betas,
            lam=float(likelihood.default_lam(p) if self.lam is None else self.lam * scale2),
            clip=clip,
            passes=self.adapt,
            strength=float(self.adapt_strength),
        )

    def _restore_coarse(self, y, likelihood, patch_size, units):
        """The restoration of the 2x2-averaged observation with one scale less, or None with
        one scale, or when the averaged image would be smaller than a patch."""
        if self.scales == 1:
            return None
        try:
            coarse_likelihood = likelihood.coarse()
        except NotImplementedError as error:
            raise ValueError(f"scales={self.scales}: {error}") from None
        if min(y.shape) // 2 < patch_size:
            return None
        # The second stage refines the fused result only: the coarse scales' are unrefined.
        coarser = replace(self, scales=self.scales - 1, second_stage=None)
        return coarser.restore_unit(downsample(y), coarse_likelihood, units, warn=False)

    def _phased_progress(self, progress, shape, likelihood, patch_size):
        """``progress`` for the first pass and for the second stage: one count from the
        first pass's first step (iteration or tile) to the stage's last."""
        if progress is None or self.second_stage is None:
            return progress, None
        layout = self._stage_layout(shape, likelihood, patch_size)
        extra = len(BETA_FACTORS) if layout is None else len(layout)
        state = {}

        def first(done, total):
            state["total"] = total
            progress(done, total + extra)

        def stage(done, total):
            progress(state["total"] + done, state["total"] + total)

        return first, stage

    def _second_stage(self, y, likelihood, x, settings, done, callback, progress):
        """The local-statistics stage from the basic estimate ``x`` (``done``: the first
        pass's iterations, for the callback's numbering), tiled when its groups would
        not fit in memory at once."""
        layout = self._stage_layout(x.shape[:2], likelihood, self.patch_size)
        refine_window = partial(refine, settings=settings, stage=self.second_stage)
        if layout is None:
            return refine_window(y, likelihood, x, callback=callback, progress=progress, first=done)
        n_jobs = self.n_jobs if is_numpy(namespace(x)[0]) else 1  # one device: in sequence
        return restore_in_tiles(refine_window, y, likelihood, x, layout, n_jobs, progress)

    def _stage_layout(self, shape, likelihood, patch_size):
        """The first pass's tiles, or tiles of a size whose groups fit
        :data:`_STAGE_MEMORY` when the image is larger, or None."""
        layout = self._tile_layout(shape, likelihood, patch_size)
        if layout is not None:
            return layout
        window = self.second_stage.window
        n_dims = self.n_channels * patch_size**2
        # Per window: the groups' float64 scatter, covariance and eigenvectors.
        per_window = _GROUPS_PER_WINDOW * 3 * 8 * n_dims**2
        side = window * max(1, int(np.sqrt(_STAGE_MEMORY / per_window)))
        if shape[0] * shape[1] <= side * side:
            return None
        # Cores of at least MIN_CORE_PER_MARGIN margins: never the warning about small tiles.
        margin = context_margin(self.tile_margin, likelihood, patch_size)
        side = max(side, MIN_CORE_PER_MARGIN * (-(-margin // self.stride) * self.stride))
        return self._tile_layout(shape, likelihood, patch_size, tile_shape=side)

    def _tile_layout(self, shape, likelihood, patch_size, tile_shape=None):
        """The first pass's tiles (or tiles of ``tile_shape``), or None untiled."""
        if tile_shape is None:
            tile_shape = self.tile_shape
        if tile_shape is None:
            if effective_n_jobs(self.n_jobs) == 1:
                return None
            tile_shape = 256
        stride = self.stride
        margin = context_margin(self.tile_margin, likelihood, patch_size)
        margin = -(-margin // stride) * stride  # keep grids aligned
        layout = TileLayout(shape, tile_shape, margin, align=stride)
        if min(layout.tile_shape) < patch_size:
            # Each tile restores its core plus a margin of at least a patch on every side:
            # cores smaller than a patch cost tens of times the untiled work, for nothing.
            raise ValueError(
                f"tile_shape={tile_shape} is smaller than the {patch_size}x{patch_size} "
                "patches; use at least the patch size (a few hundred pixels is efficient)"
            )
        sides = enlarged_tile_shape(layout.tile_shape, margin, "tile_shape")
        if sides != layout.tile_shape:
            layout = TileLayout(shape, sides, margin, align=stride)
        restored_area = sum(
            (r.stop - r.start) * (c.stop - c.start) for r, c in (tile.outer for tile in layout)
        )
        if len(layout) == 1 or restored_area > _MOST_TILED_AREA * shape[0] * shape[1]:
            # Tiles whose windows add up to several images cost more than they save, even in
            # parallel (and a blur's tiles solve by conjugate gradients, not one FFT).
            return None
        likelihood.tile(layout[0].outer)  # a likelihood without tiles fails before any work
        return layout


def restore_observation(
    image, likelihood, core, *, units=None, data_range=None, x0=None, callback=None, progress=None
):
    """Restore one 2-D observation ``image`` (in the user's units) with the settings
    ``core``: checked by the likelihood, mapped to [0, 1] units (``units`` where the caller
    chose them for several channels or chunks, else from ``data_range`` or inferred),
    restored and mapped back."""
    y = checked_observation(likelihood, image)
    if units is None:
        units = infer_units(
            likelihood.observed_values(y), likelihood.sigma, likelihood.constant_gain(), data_range
        )
    unit_likelihood = likelihood.with_sigma(check_unit_sigma(likelihood.sigma, units))
    xp, _ = namespace(y)
    dtype = work_dtype(xp)
    if x0 is not None:
        x0 = beside(check_image_2d(x0, name="x0"), y)  # to y's device
        x0 = units.image_to_unit(xp.astype(x0, dtype))
    if callback is not None and not units.is_identity:
        user_callback = callback

        def callback(iteration, beta, x):
            user_callback(iteration, beta / units.scale**2, units.image_from_unit(x))

    x = core.restore_unit(
        units.observation_to_unit(xp.astype(y, dtype, copy=False)),
        unit_likelihood,
        units,
        x0,
        callback,
        progress,
    )
    return units.image_from_unit(x)
