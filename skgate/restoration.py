"""EPLL restoration by half-quadratic splitting, and the scikit-image style functions on top.

For each penalty ``beta`` in the schedule, one iteration of three steps (Zoran & Weiss 2011):

1. gating: each patch's component ``h_i`` under ``N(0, C_h + I/beta)`` (a pluggable strategy,
   :mod:`skgate.gating`);
2. filtering: the Wiener estimate ``z_i`` of the DC-free patch with component ``h_i``; the patch
   mean passes through unchanged;
3. mixing: ``x = argmin lam/2 ||A x - y||^2 + beta p^2/2 ||x - avg(z)||^2``, where ``avg(z)``
   averages the patch estimates covering each pixel (Zoran & Weiss's code; the exact
   ``sum_i ||P_i x - z_i||^2`` form weighs border pixels less and measured worse), solved by
   the likelihood (:mod:`skgate.likelihoods`).

Patches are processed in chunks of grid rows, so memory stays bounded whatever the image size.
"""

import warnings
from dataclasses import dataclass
from functools import partial
from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ._units import UNIT, check_unit_sigma, infer_units
from ._validation import NumberInterval as Interval
from ._validation import check_finite_values, check_image_2d
from .adaptation import DEFAULT_STRENGTH, adapt_prior
from .contracts import check_initial_estimate, check_labels, check_likelihood, check_solution
from .gating import Gating, make_gating
from .lazy import is_dask_array, restore_lazy
from .likelihoods import Likelihood
from .multiscale import downsample, fuse, fusion_weight
from .network import GatingNetwork
from .patches import PatchGrid, shifted_offset
from .prior import GMMPatchPrior
from .shipped import default_network, default_prior, default_tables_and_gating, tables_of
from .tables import MixtureTables
from .tiles import TileLayout, context_margin, enlarged_tile_shape, restore_in_tiles

__all__ = ["EPLLRestorer"]


def _warn_if_sigma_exceeds_the_image(sigma, y):
    """A noise level above the whole range of the noisy observation (whose noise alone
    spans several sigma) is almost always a unit mistake, e.g. 25 grey levels given for an
    image in [0, 1]; the result would be a flat image."""
    spread = float(np.ptp(y))
    if spread > 0 and sigma > spread:
        warnings.warn(
            f"sigma={sigma:g} is larger than the whole range of the image ({spread:.3g}): "
            "is it in other units (grey levels for an image in [0, 1]: pass sigma / 255)?",
            UserWarning,
            stacklevel=4,
        )


def _check_betas(betas):
    message = "betas must be a non-empty 1-D sequence of finite positive penalties"
    try:
        betas = np.asarray(betas, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{message}, got {betas!r}") from None
    if betas.ndim != 1 or betas.size == 0 or not np.all(np.isfinite(betas)) or np.any(betas <= 0):
        raise ValueError(f"{message}, got {betas!r}")
    return betas


# Tiled restoration stops paying when the tiles' windows (cores and margins) add up to more
# than this many images: the image is then restored in one piece.
_MOST_TILED_AREA = 3


def _checked_observation(likelihood, image):
    """The likelihood's check of ``image``, then ours: a float ndarray of finite values."""
    y = likelihood.check_observation(image)
    if not isinstance(y, np.ndarray) or y.dtype.kind != "f":
        raise TypeError("likelihood.check_observation must return a float ndarray")
    return check_finite_values(y, "image")


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


@dataclass(frozen=True)
class _Settings:
    """What one restoration call resolved from the restorer's parameters and the likelihood;
    sent to every tile. ``prior`` stays None for the shipped prior, which each worker loads
    once (a Dask graph would otherwise carry megabytes per tile)."""

    prior: object
    stride: int
    max_patches: int
    betas: np.ndarray
    lam: float
    clip: tuple | None
    passes: int
    strength: float


class EPLLRestorer(BaseEstimator):
    """Expected Patch Log-Likelihood restoration with a Gaussian-mixture patch prior.

    Parameters
    ----------
    prior : GMMPatchPrior or None, default=None
        A fitted prior; ``None`` uses the shipped default (:func:`skgate.load_default_prior`).
    betas : sequence of float or None, default=None
        Penalties of the splitting, one iteration each, in the image's units (they weigh
        squared differences of its values: for floats in 0..255, values tuned on [0, 1]
        images divided by 255^2); ``None`` takes the likelihood's tuned
        schedule (``Likelihood.default_betas``; for denoising ``[1, 4, 8, 16, 32] /
        sigma^2``, chosen on the validation set: :doc:`/validation`).
    lam : float or None, default=None
        Weight of the data term, in the image's units as ``betas``; ``None`` takes
        ``Likelihood.default_lam`` (``p^2 / sigma^2``).
        The patch term weighs the average of the patch estimates covering a pixel as ``p^2``
        patches (Zoran & Weiss's code), so ``lam`` means the same for every stride.
    stride : int, default=1
        Distance between patches (1 = every overlapping patch). With ``stride > 1`` the patch
        grid is shifted from one iteration to the next so that no grid pattern remains.
    gating : {"exact", "network", "network+exact", "flat-tail"}, GatingNetwork or Gating, \
default="exact"
        How each patch's component is chosen: ``"exact"`` is the full posterior;
        ``"flat-tail"`` approximates it with each component's leading eigenvectors and a flat
        tail (:class:`~skgate.gating.FlatTailGating`, faster, a little lower);
        ``"network"`` the shipped gating network (several times faster, a little lower);
        ``"network+exact"`` lets the network propose its 2 best components and the exact
        posterior choose among them (in between). A fitted :class:`~skgate.GatingNetwork`
        for ``prior``, or any :class:`~skgate.gating.Gating` strategy (e.g.
        :class:`~skgate.gating.NetworkGating` with another ``top_k``). Measured trade-offs:
        :doc:`/validation`.
    clip : tuple of float or None, default=None
        Clip every intermediate estimate to ``(low, high)``, e.g. ``(0, 1)``.
    max_patches : int, default=32768
        Patches handled at once; bounds memory (about 40 MB at the default; the exact
        gating works through them in blocks of 4096).
    tile_shape : int or (int, int) or None, default=None
        Restore the image in tiles of this size (each with a margin of context that is
        restored and dropped), e.g. to run them in parallel or to bound memory on very large
        images. ``None`` restores the image in one piece, unless ``n_jobs`` asks for more than
        one worker, in which case tiles of 256 x 256 are used.
    tile_margin : int or None, default=None
        Context around each tile; ``None`` takes ``2 * patch_size`` plus what the likelihood
        needs (``tile_margin`` of the likelihood, twice the kernel size for blur).
    n_jobs : int or None, default=None
        Tiles restored at once by :class:`joblib.Parallel` (``None`` means 1 unless inside a
        :class:`joblib.parallel_config` context, e.g. the ``"dask"`` backend; -1 means every
        core). Tiles run in threads (numpy and BLAS release the GIL; the models and the
        image are shared, nothing is pickled) unless a :class:`joblib.parallel_config` context
        chooses another backend (``"loky"`` processes, ``"dask"``). Each worker's BLAS is
        limited so that workers x threads <= cores.
    adapt : int, default=0
        Passes of internal adaptation after the first restoration: each re-estimates the
        prior's covariances on the patches of the last result
        (:func:`~skgate.adapt_prior`) and restores again from the observation with
        it. A pass costs a second restoration, a gating of every patch and the adapted
        tables (several times the time at stride 3, less at stride 1); it helps exact
        gating on photographs, much more on repeated textures, and not the network
        (measured in :doc:`/validation`). In tiled restoration every tile adapts to itself,
        which makes the adaptation local.
    adapt_strength : float, default=10.0
        Weight of the learned covariances against the image's patches, in patches.
    scales : int, default=1
        Scales of a multi-scale restoration: with ``scales > 1`` the 2x2-averaged observation
        is restored too (with ``scales - 1`` scales of its own, as long as it holds a patch),
        and the result replaces part of the coarse scale of this one
        (:mod:`skgate.multiscale`). Needs a likelihood with :meth:`Likelihood.coarse`
        (Gaussian noise); costs about a third more time. Measured in :doc:`/validation`.
    fusion_weight : float in [0, 1] or None, default=None
        Weight of the coarse restoration at every scale; ``None`` takes
        :func:`skgate.multiscale.fusion_weight` of each scale's noise level.

    See Also
    --------
    skgate.denoise_epll
    skgate.Likelihood
    skgate.GatingNetwork
    skgate.adapt_prior

    Examples
    --------
    One restorer, any degradation: the same settings denoise and deblur.

    >>> import numpy as np
    >>> from skimage import data
    >>> from skgate import Blur, EPLLRestorer, GaussianNoise, gaussian_kernel
    >>> clean = data.camera()[200:264, 200:264] / 255.0
    >>> rng = np.random.default_rng(0)
    >>> restorer = EPLLRestorer(gating="network", stride=3)
    >>> noisy = clean + 0.1 * rng.standard_normal(clean.shape)
    >>> denoised = restorer.restore(noisy, GaussianNoise(0.1))
    >>> blur = Blur(gaussian_kernel(1.0), sigma=0.01)
    >>> sharp = restorer.restore(blur.forward(clean), blur)
    >>> denoised.shape == sharp.shape == clean.shape
    True

    Every iteration can be watched (``callback``) or counted (``progress``):

    >>> steps = []
    >>> def count(done, total):
    ...     steps.append(done)
    >>> _ = restorer.restore(noisy, GaussianNoise(0.1), progress=count)
    >>> steps
    [1, 2, 3, 4, 5]
    """

    _parameter_constraints: dict = {
        "prior": [GMMPatchPrior, None],
        "betas": ["array-like", None],
        "lam": [Interval(Real, 0, None, closed="neither"), None],
        "stride": [Interval(Integral, 1, None, closed="left")],
        "gating": [
            StrOptions({"exact", "network", "network+exact", "flat-tail"}),
            GatingNetwork,
            Gating,
        ],
        "clip": [tuple, list, None],
        "max_patches": [Interval(Integral, 1, None, closed="left")],
        "tile_shape": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
        "tile_margin": [Interval(Integral, 0, None, closed="left"), None],
        "n_jobs": [Interval(Integral, None, None, closed="neither"), None],
        "adapt": [Interval(Integral, 0, None, closed="left")],
        "adapt_strength": [Interval(Real, 0, None, closed="neither")],
        "scales": [Interval(Integral, 1, None, closed="left")],
        "fusion_weight": [Interval(Real, 0, 1, closed="both"), None],
    }

    def __init__(
        self,
        prior=None,
        *,
        betas=None,
        lam=None,
        stride=1,
        gating="exact",
        clip=None,
        max_patches=32768,
        tile_shape=None,
        tile_margin=None,
        n_jobs=None,
        adapt=0,
        adapt_strength=DEFAULT_STRENGTH,
        scales=1,
        fusion_weight=None,
    ):
        self.prior = prior
        self.betas = betas
        self.lam = lam
        self.stride = stride
        self.gating = gating
        self.clip = clip
        self.max_patches = max_patches
        self.tile_shape = tile_shape
        self.tile_margin = tile_margin
        self.n_jobs = n_jobs
        self.adapt = adapt
        self.adapt_strength = adapt_strength
        self.scales = scales
        self.fusion_weight = fusion_weight

    def _resolved_prior(self):
        prior = default_prior() if self.prior is None else self.prior
        if prior.patch_size is None:
            raise ValueError("prior must have an integer patch_size to restore images")
        return prior

    def restore(self, image, likelihood, *, x0=None, callback=None, progress=None, data_range=None):
        """Restore ``image`` degraded as described by ``likelihood``.

        Parameters
        ----------
        image : (M, N) array_like
            The observation ``y`` (float; integers are converted as by
            :func:`skimage.util.img_as_float`), in any units: it is restored as if mapped to
            [0, 1] (the prior's units) by ``data_range``, and the result mapped back.
        likelihood : Likelihood
            The degradation model, its ``sigma`` in the units of ``image``.
        x0 : (M, N) array_like or None
            Starting estimate; ``None`` takes ``likelihood.initial_estimate(y)``.
        callback : callable or None
            Called as ``callback(iteration, beta, x)`` after every image step (untiled
            restoration only; ``x`` and ``beta`` in the units of ``image``).
        progress : callable or None
            Called as ``progress(done, total)`` after every iteration, or every tile when
            restoring in tiles, e.g. for a progress bar.
        data_range : float or None, default=None
            The width of the image's values (scikit-image's ``data_range``: 1 for images in
            [0, 1], 255 for floats holding grey levels). ``None`` infers it from the
            observation: the width of its 0.1 to 99.9 percentiles less the noise's spread;
            an image already in the prior's units keeps them (within [-0.5, 1.5] and at
            least a grey level wide, or 0.25 to 2 wide anywhere).

        Returns
        -------
        x : (M, N) ndarray of float64
            The restored image, in the units of ``image``.
        """
        if not isinstance(likelihood, Likelihood):
            raise TypeError(f"likelihood must be a Likelihood, got {type(likelihood).__name__}")
        self._validate_params()
        if is_dask_array(image):
            if callback is not None or x0 is not None or progress is not None:
                raise ValueError(
                    "x0, callback and progress are not supported for a dask array image (the "
                    "result is lazy: watch its computation with dask's diagnostics)"
                )
            return restore_lazy(image, likelihood, self, data_range=data_range)
        if self.prior is not None:
            check_is_fitted(self.prior)
        y = _checked_observation(likelihood, image)
        units = infer_units(
            likelihood.observed_values(y),
            likelihood.sigma,
            likelihood.constant_gain(),
            data_range,
        )
        unit_likelihood = likelihood.with_sigma(check_unit_sigma(likelihood.sigma, units))
        if x0 is not None:
            x0 = units.image_to_unit(check_image_2d(x0, name="x0").astype(np.float64))
        if callback is not None and not units.is_identity:
            user_callback = callback

            def callback(iteration, beta, x):
                user_callback(iteration, beta / units.scale**2, units.image_from_unit(x))

        x = self._restore_observation(
            units.observation_to_unit(y.astype(np.float64, copy=False)),
            unit_likelihood,
            x0,
            callback,
            progress,
            warn=True,
            units=units,
        )
        return units.image_from_unit(x)

    def _restore_in_units(self, image, likelihood, units, progress=None):
        """:meth:`restore` of an observation its caller maps to [0, 1] units itself, with
        ``units`` (one data range for every channel of a colour image, or every chunk of a
        dask array): ``image`` and ``likelihood`` are in the user's units; the result is."""
        self._validate_params()
        if self.prior is not None:
            check_is_fitted(self.prior)
        y = _checked_observation(likelihood, image)
        unit_likelihood = likelihood.with_sigma(check_unit_sigma(likelihood.sigma, units))
        x = self._restore_observation(
            units.observation_to_unit(y.astype(np.float64, copy=False)),
            unit_likelihood,
            progress=progress,
            warn=True,
            units=units,
        )
        return units.image_from_unit(x)

    def _restore_observation(
        self, y, likelihood, x0=None, callback=None, progress=None, warn=False, units=UNIT
    ):
        """:meth:`restore` after the checks of the caller's own input, on the observation in
        [0, 1] units (``units`` maps the user's ``clip`` there); the coarse scales come here
        directly, with ``warn=False``: a warning about the input is given once."""
        prior = self._resolved_prior()
        p = prior.patch_size
        shape = check_likelihood(likelihood, y)
        if shape[0] < p or shape[1] < p:
            raise ValueError(f"image of shape {shape} is smaller than the {p}x{p} patches")
        if warn:
            _warn_if_sigma_exceeds_the_image(likelihood.sigma * units.scale, y * units.scale)
        y = y.astype(np.float64, copy=False)
        settings = _Settings(
            prior=self.prior,
            stride=self.stride,
            max_patches=self.max_patches,
            # Penalties given by the user are in the image's units: x = scale * x_unit.
            betas=(
                likelihood.default_betas()
                if self.betas is None
                else _check_unit_betas(_check_betas(self.betas) * units.scale**2)
            ),
            lam=float(likelihood.default_lam(p) if self.lam is None else self.lam * units.scale**2),
            clip=self._check_clip(units),
            passes=self.adapt,
            strength=float(self.adapt_strength),
        )
        layout = self._tile_layout(shape, likelihood, p, settings.stride)
        # Bad gating fails here, not in a worker; the tables are built once for every tile.
        self._models(self.prior)

        if x0 is None:
            x = check_initial_estimate(likelihood.initial_estimate(y), shape)
        else:
            x = check_image_2d(x0, name="x0").astype(np.float64)
            if x.shape != shape:
                raise ValueError(f"x0 has shape {x.shape}, the restored image {shape}")
        if layout is not None and callback is not None:
            raise ValueError("callback is only called in untiled restoration; use progress")
        # The coarse scales first: a bad likelihood fails before the long fine restoration,
        # and progress reaches its end with the last (fine) iteration.
        coarse = self._restore_coarse(y, likelihood, p, units)
        if layout is None:
            x = self._iterate(y, likelihood, x, settings, callback, progress)
        else:
            restore_window = partial(self._iterate, settings=settings)
            x = restore_in_tiles(restore_window, y, likelihood, x, layout, self.n_jobs, progress)
        if coarse is not None:
            weight = (
                fusion_weight(likelihood.sigma)
                if self.fusion_weight is None
                else self.fusion_weight
            )
            x = fuse(x, coarse, weight)
            if settings.clip is not None:  # the fused image too, not only each scale's
                x = np.clip(x, *settings.clip)
        if not np.all(np.isfinite(x)):  # every step is checked; this is the last guard
            raise FloatingPointError("the restoration produced NaN or infinite values")
        return x

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
        coarser = EPLLRestorer(**{**self.get_params(deep=False), "scales": self.scales - 1})
        return coarser._restore_observation(downsample(y), coarse_likelihood, units=units)

    def _tile_layout(self, shape, likelihood, patch_size, stride):
        if self.n_jobs == 0:
            raise ValueError("n_jobs must be None or a non-zero integer, got 0")
        tile_shape = self.tile_shape
        if tile_shape is None:
            if effective_n_jobs(self.n_jobs) == 1:
                return None
            tile_shape = 256
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
            return None
        likelihood.tile(layout[0].outer)  # a likelihood without tiles fails before any work
        return layout

    def _iterate(self, y, likelihood, x, settings, callback=None, progress=None):
        """The splitting iterations on one image (or one tile), starting from ``x``, then
        ``adapt`` more passes, each from ``x`` again with the prior adapted to the last
        result."""
        prior, tables, gating = self._models(settings.prior)
        betas = settings.betas
        start, total = x, len(betas) * (settings.passes + 1)
        run = (y, likelihood, start, settings, prior.patch_size)
        x = self._one_pass(*run, tables, gating, 0, callback, progress, total)
        for done in range(1, settings.passes + 1):
            # Patches are assigned at the noise level the last iteration assumed. Every patch
            # counts, whatever the restoration's stride: on Set12 at sigma 25, covariances
            # from stride-3 patches gave 0.07 dB less, from stride 2 0.03 dB less.
            adapted = adapt_prior(
                prior,
                x,
                noise_var=1.0 / betas[-1],
                strength=settings.strength,
                stride=1,
                max_patches=settings.max_patches,
                tables=tables,
                gating=gating,
            )
            adapted_tables = MixtureTables(adapted)
            # A Gating instance keeps choosing with its own tables; the filters are adapted.
            adapted_gating = make_gating(self.gating, adapted_tables, default_network)
            first = done * len(betas)
            x = self._one_pass(
                *run, adapted_tables, adapted_gating, first, callback, progress, total
            )
        return x

    def _models(self, prior):
        """``(prior, tables, gating)`` for the ``prior`` setting (``None``: the shipped one,
        whose tables and gating are cached per process)."""
        if prior is None and isinstance(self.gating, str):
            tables, gating = default_tables_and_gating(self.gating)
            return default_prior(), tables, gating
        prior = default_prior() if prior is None else prior
        tables = tables_of(prior)
        return prior, tables, make_gating(self.gating, tables, default_network)

    def _one_pass(
        self, y, likelihood, x, settings, p, tables, gating, first, callback, progress, total
    ):
        """One run of the schedule; ``first`` numbers its iterations after earlier passes."""
        stride, max_patches, lam, clip = (
            settings.stride,
            settings.max_patches,
            settings.lam,
            settings.clip,
        )
        for step, beta in enumerate(settings.betas):
            iteration = first + step
            grid = PatchGrid(x.shape, p, stride, shifted_offset(stride, iteration))
            patch_sum = self._estimate_patches(x, grid, gating, tables, 1.0 / beta, max_patches)
            # As in Zoran & Weiss's code, the patch term pulls every pixel towards the average
            # of its patch estimates with the weight of p^2 patches, wherever it lies: with the
            # true per-pixel count, border pixels (covered by few patches) leaned on the noisy
            # observation, and Set12 PSNR at sigma 25 dropped by 0.16 dB (cameraman) to
            # 0.44 dB (house). The weight does not depend on the stride either.
            average = patch_sum / grid.coverage()
            weight = np.full(x.shape, float(p * p))
            x = check_solution(
                likelihood.solve(y, average * weight, weight, lam, beta, x0=x), x.shape
            )
            if clip is not None:
                x = np.clip(x, *clip)
            if callback is not None:
                callback(iteration, beta, x)
            if progress is not None:
                progress(iteration + 1, total)
        return x

    def _check_clip(self, units=UNIT):
        """``clip`` checked, in the [0, 1] units of the restoration."""
        if self.clip is None:
            return None
        try:
            low, high = (float(v) for v in self.clip)
        except (TypeError, ValueError):
            raise ValueError(f"clip must be (low, high), two numbers, got {self.clip!r}") from None
        if not low < high:
            raise ValueError(f"clip must be (low, high) with low < high, got {self.clip}")
        return float(units.image_to_unit(low)), float(units.image_to_unit(high))

    @staticmethod
    def _estimate_patches(x, grid, gating, tables, noise_var, max_patches):
        """``sum_i P_i^T z_i``: gate, Wiener-filter and aggregate every patch of the grid."""
        # float32 like the patch estimates: adding them into a float64 image cost 25 % more,
        # and a pixel's sum of at most p^2 estimates loses nothing that shows.
        patch_sum = np.zeros(grid.image_shape, dtype=np.float32)
        chunks = grid.row_chunks(max_patches)
        # Two buffers for every chunk: fresh ones cost page faults each time (the Wiener step
        # took 0.14 s instead of 0.08 s per image at stride 1).
        size = (chunks[0].stop - chunks[0].start) * len(grid.cols)
        patch_rows, estimates = np.empty((2, size, grid.n_features), dtype=np.float32)
        for rows in chunks:
            patches = grid.extract(x, rows, dtype=np.float32, out=patch_rows)
            labels = check_labels(
                gating.assign(patches, noise_var), len(patches), tables.n_components
            )
            estimate = tables.wiener_patches(
                patches, labels, noise_var, out=estimates[: len(patches)]
            )
            grid.aggregate_into(patch_sum, estimate, rows)
        return patch_sum
