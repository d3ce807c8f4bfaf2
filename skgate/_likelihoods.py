"""Degradation models: what :class:`~skgate.EPLLRestorer` knows about how ``y`` was made.

Every likelihood describes ``y = A x + n`` with white Gaussian noise ``n`` of standard deviation
``sigma``. The restorer only ever asks a likelihood for:

- ``forward(x)`` (``A x``) and ``adjoint(r)`` (``A^T r``);
- ``image_shape(y)`` and ``initial_estimate(y)``: the restored image's shape (``y.shape``
  unless, e.g., super-resolution) and where the splitting starts;
- ``solve(y, patch_sum, coverage, lam, beta)``, the image step of half-quadratic splitting

      argmin_x  lam/2 ||A x - y||^2 + beta/2 sum_i ||P_i x - z_i||^2,

  given ``patch_sum = sum_i P_i^T z_i`` and ``coverage = sum_i P_i^T 1`` (patches per pixel),
  i.e. the solution of ``(lam A^T A + beta diag(coverage)) x = lam A^T y + beta patch_sum``;
- ``default_betas()`` and ``default_lam(patch_size)``, its tuned schedule;
- for tiled restoration only, ``tile(window)`` (the same degradation on a window of the image)
  and ``tile_margin`` (extra context a tile needs, e.g. the blur kernel's size).

A new degradation (super-resolution, another noise model, ...) is a subclass implementing
``forward``, ``adjoint`` and, if no closed form exists, nothing else: the base class solves the
image step by preconditioned conjugate gradients.
"""

import copy
from abc import ABC, abstractmethod

import numpy as np
from scipy import ndimage
from scipy.sparse.linalg import LinearOperator, cg
from sklearn.exceptions import ConvergenceWarning

from ._backend import from_numpy, is_array, is_numpy, like, namespace, to_numpy
from ._validation import MIN_SIGMA, check_finite_values, check_image_2d, check_noise_level
from ._warnings import warn

#: Sums a blur kernel may have (it is not renormalised: 1 keeps the image's brightness).
KERNEL_SUMS = (1e-6, 1e6)

# Widest Gaussian (pixels) of the inpainting fill; beyond it the nearest filled pixel is used.
LARGEST_FILL_SCALE = 32.0

__all__ = ["Likelihood", "GaussianNoise", "Blur", "Inpainting"]


def _real_array(values, name):
    """``values`` as a float64 array; anything that is not real numbers is a TypeError
    naming ``name``."""
    array = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return np.array(array, dtype=np.float64)


class Likelihood(ABC):
    """A degradation ``y = A x + n``, ``n ~ N(0, sigma^2 I)``, as seen by the restorer.

    Parameters
    ----------
    sigma : float
        Standard deviation of the noise, in the units of the (float) image.

    See Also
    --------
    skgate.GaussianNoise
    skgate.Blur
    skgate.Inpainting
    skgate.EPLLRestorer

    Notes
    -----
    Subclasses implement :meth:`forward` and :meth:`adjoint`. The default :meth:`solve` runs
    conjugate gradients on the normal equations, warm-started from ``x0``; override it when a
    closed form exists. :meth:`check_observation` is where a subclass checks that ``y`` fits
    (e.g. a mask of the same shape).

    Examples
    --------
    A degradation is ``forward`` and ``adjoint``; here every other column is observed:

    >>> import numpy as np
    >>> from skgate import EPLLRestorer, Likelihood
    >>> class EveryOtherColumn(Likelihood):
    ...     def forward(self, x):
    ...         return np.asarray(x)[:, ::2]
    ...     def adjoint(self, r):
    ...         x = np.zeros((r.shape[0], 2 * r.shape[1]))
    ...         x[:, ::2] = r
    ...         return x
    ...     def image_shape(self, y):
    ...         return (y.shape[0], 2 * y.shape[1])
    ...     def initial_estimate(self, y):
    ...         return np.repeat(y, 2, axis=1)
    ...     def check_observation(self, y):
    ...         return np.asarray(y, dtype=float)
    >>> y = np.tile(np.linspace(0, 1, 24), (48, 1))
    >>> x = EPLLRestorer(betas=[100.0, 1000.0]).restore(y, EveryOtherColumn(sigma=0.01))
    >>> x.shape
    (48, 48)
    """

    def __init__(self, sigma):
        self.sigma = check_noise_level(sigma, caller=type(self).__name__)

    def __repr__(self):
        return f"{type(self).__name__}(sigma={self.sigma:g})"

    def with_sigma(self, sigma):
        """The same degradation with another noise level.

        Parameters
        ----------
        sigma : float
            Standard deviation of the noise.

        Returns
        -------
        likelihood : Likelihood
            A shallow copy of this one with ``sigma``.
        """
        other = copy.copy(self)
        other.sigma = check_noise_level(sigma, caller=type(self).__name__)
        return other

    # -- the operator
    @abstractmethod
    def forward(self, x):
        """Apply the degradation's operator: ``A x``.

        Parameters
        ----------
        x : ndarray
            An image, the shape :meth:`~skgate.Likelihood.image_shape` gives.

        Returns
        -------
        ndarray
            ``A x``, the shape of an observation.
        """

    @abstractmethod
    def adjoint(self, r):
        """Apply the operator's adjoint: ``A^T r``.

        Parameters
        ----------
        r : ndarray
            An array the shape of an observation.

        Returns
        -------
        ndarray
            ``A^T r``, the shape of the image.
        """

    def check_observation(self, y):
        """Validate the observation; where a subclass checks that ``y`` fits (a mask of the
        same shape, ...).

        Parameters
        ----------
        y : array_like
            The observation.

        Returns
        -------
        y : ndarray
            The observation as a float image.

        Raises
        ------
        ValueError or TypeError
            If ``y`` is not an observation this degradation can have made.
        """
        return check_image_2d(y, name="image")

    # -- units (images in any units are restored as if in [0, 1]: skgate._units)
    def observed_values(self, y):
        """The values of ``y`` that observe the image, from which the restorer infers the
        image's data range.

        Parameters
        ----------
        y : ndarray
            The observation.

        Returns
        -------
        ndarray
            Those values; all of ``y`` by default (:class:`Inpainting` drops the missing
            pixels).
        """
        return y

    def constant_gain(self):
        """The gain of the operator on constant images.

        Returns
        -------
        float or None
            ``g`` such that a constant image ``c`` is observed as ``g * c`` (where observed),
            or None where that does not hold or is not known (the default): the restorer
            then maps images in other units to [0, 1] by scale only, without an offset.
        """
        return None

    def image_shape(self, y):
        """The shape of the image behind an observation.

        Parameters
        ----------
        y : ndarray
            The observation.

        Returns
        -------
        tuple of int
            The shape of ``x``; ``y.shape`` by default (a super-resolution likelihood returns
            the larger shape).
        """
        return y.shape

    def initial_estimate(self, y):
        """Where the splitting starts.

        Parameters
        ----------
        y : ndarray
            The observation.

        Returns
        -------
        x0 : ndarray
            A float64 image (on a device: of ``y``'s dtype); the observation itself by
            default.
        """
        xp, _ = namespace(y)
        if not is_numpy(xp):
            return xp.asarray(y, copy=True)
        return np.array(y, dtype=np.float64)

    # -- tiles
    #: Context (pixels) a tile needs beyond the restorer's own margin.
    tile_margin = 0

    def tile(self, window):
        """The same degradation seen on a window of the image.

        Needed only for tiled restoration (``EPLLRestorer(tile_shape=...)``). The default
        refuses: a subclass whose operator is local overrides it (and sets
        ``tile_margin`` to the operator's reach).

        Parameters
        ----------
        window : tuple of slice
            ``(row_slice, col_slice)`` of the image.

        Returns
        -------
        likelihood : Likelihood
            The degradation of that window's observation.

        Raises
        ------
        NotImplementedError
            If the degradation cannot be cut into tiles (the default).
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not support tiles: implement tile(window) "
            "or restore without tile_shape"
        )

    # -- scales
    def coarse(self):
        """The degradation of the 2x2-averaged observation, for multi-scale restoration
        (``EPLLRestorer(scales=...)``).

        The default refuses: only a subclass for which averaging the observation gives a
        degradation of the same kind overrides it.

        Returns
        -------
        likelihood : Likelihood
            The degradation at half the resolution.

        Raises
        ------
        NotImplementedError
            If averaging gives no degradation of the same kind (the default).
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not support multi-scale restoration: implement "
            "coarse() or restore with scales=1"
        )

    def data_term(self, x, y):
        """The data term ``1/2 ||A x - y||^2``.

        Parameters
        ----------
        x : ndarray
            An image.
        y : ndarray
            The observation.

        Returns
        -------
        float
            ``1/2 ||A x - y||^2``.
        """
        r = self.forward(x) - y
        return 0.5 * float(np.vdot(r, r))

    # -- the image step
    def normal_rhs(self, y, patch_sum, lam, beta):
        """The right-hand side of the image step's normal equations.

        Parameters
        ----------
        y : ndarray
            The observation.
        patch_sum : ndarray
            The sum of the patch estimates covering each pixel (image shape).
        lam : float
            Weight of the data term.
        beta : float
            The splitting's penalty.

        Returns
        -------
        ndarray
            ``lam A^T y + beta patch_sum``.
        """
        return lam * self.adjoint(y) + beta * patch_sum

    def normal_apply(self, x, coverage, lam, beta):
        """Apply the image step's normal operator.

        Parameters
        ----------
        x : ndarray
            An image.
        coverage : ndarray
            How many patches cover each pixel (image shape).
        lam : float
            Weight of the data term.
        beta : float
            The splitting's penalty.

        Returns
        -------
        ndarray
            ``(lam A^T A + beta diag(coverage)) x``.
        """
        return lam * self.adjoint(self.forward(x)) + beta * coverage * x

    def solve(self, y, patch_sum, coverage, lam, beta, x0=None):
        """The image step: minimise ``lam/2 ||A x - y||^2 + beta/2 sum_i ||P_i x - z_i||^2``.

        The default runs (preconditioned) conjugate gradients on the normal equations;
        subclasses with a closed form override it.

        Parameters
        ----------
        y : ndarray
            The observation.
        patch_sum : ndarray
            ``sum_i P_i^T z_i``: the patch estimates summed onto the image.
        coverage : ndarray
            ``sum_i P_i^T P_i`` as an image: how many patches cover each pixel.
        lam : float
            Weight of the data term.
        beta : float
            The splitting's penalty.
        x0 : ndarray or None, default=None
            A warm start (the previous estimate).

        Returns
        -------
        x : ndarray
            The minimiser, the shape of the image.
        """
        return self._solve_cg(y, patch_sum, coverage, lam, beta, x0)

    def _preconditioner(self, coverage, lam, beta):
        """An approximate inverse of the normal operator for CG; none by default."""
        return None

    def _on_device_of(self, reference, key, table):
        """``table`` (NumPy) beside ``reference``: in its library, on its device (moved
        once per device and kept with this degradation)."""
        return like(table, reference, self.__dict__.setdefault("_moved", {}), key)

    def _solve_cg(self, y, patch_sum, coverage, lam, beta, x0=None, rtol=1e-6, maxiter=1000):
        xp, device = namespace(y, patch_sum, coverage)
        if not is_numpy(xp):  # SciPy's conjugate gradients run on the host
            host = [to_numpy(a) for a in (y, patch_sum, coverage)]
            start = None if x0 is None else to_numpy(x0)
            solved = self._solve_cg(*host, lam, beta, start, rtol, maxiter)
            return from_numpy(solved, xp, device, y.dtype)
        # CG stops at rtol; the iteration cap only matters when the preconditioner is poor,
        # e.g. a small blurred tile whose valid region the FFT inverse ignores: hypothesis found
        # one (12 x 22 tile, 7 x 6 kernel) that needed ~400 iterations where 200 were allowed.
        shape = coverage.shape
        n = coverage.size

        def matvec(v):
            return self.normal_apply(v.reshape(shape), coverage, lam, beta).ravel()

        operator = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
        rhs = self.normal_rhs(y, patch_sum, lam, beta).ravel()
        start = None if x0 is None else np.asarray(x0, dtype=np.float64).ravel()
        precond = self._preconditioner(coverage, lam, beta)
        solution, info = cg(operator, rhs, x0=start, rtol=rtol, maxiter=maxiter, M=precond)
        if info != 0:
            # Not converged (info > 0) still improves on x0; a breakdown (info < 0) does not.
            if info < 0:
                raise ValueError(
                    f"{type(self).__name__}: the image step's conjugate gradients broke down "
                    "(is normal_apply symmetric positive definite?)"
                )
            warn(
                f"{type(self).__name__}: the image step did not reach rtol={rtol:g} in "
                f"{maxiter} conjugate-gradient iterations; the result may be less accurate",
                ConvergenceWarning,
            )
        return solution.reshape(shape)

    # -- the schedule
    def default_betas(self):
        """The penalties of the splitting when the restorer is given none.

        Returns
        -------
        betas : ndarray
            One penalty per iteration: ``[1, 4, 8, 16, 32] / sigma^2`` by default (chosen
            on the validation photographs, :doc:`/validation_tuning`, "Denoising schedule").
        """
        # Chosen on the validation set (doc/validation_tuning.rst, "Denoising schedule": first 50
        # photographs of bsds500-test200, benchmarks/bench_validation.py). Against the
        # previous default r^k / sigma^2, r = 2..3, k = 0..6 (chosen on four Set12 images):
        # +0.22 dB at sigma 25, +0.08 at 50, in 5 iterations instead of 7. Starting higher
        # ([2, 4, ..., 32]) or lower ([0.5, 4, ...]), smaller first steps ([1, 2, 4, ...]) or
        # bigger ones ([1, 6, 12, 24, 48]) all lost 0.1-0.4 dB; one more step (to 64) gained
        # 0.01 dB for 20 % more time.
        return np.array([1.0, 4.0, 8.0, 16.0, 32.0]) / self.sigma**2

    def default_lam(self, patch_size):
        """The weight of the data term when the restorer is given none.

        Parameters
        ----------
        patch_size : int
            Side of the prior's patches.

        Returns
        -------
        float
            ``patch_size**2 / sigma**2`` (Zoran & Weiss).
        """
        return patch_size**2 / self.sigma**2


class GaussianNoise(Likelihood):
    """Additive white Gaussian noise: ``A = I``.

    The image step is a per-pixel division.

    Parameters
    ----------
    sigma : float
        Standard deviation of the noise, in the units of the (float) image.

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


class Inpainting(Likelihood):
    """Missing pixels: ``A`` keeps the observed pixels, those where ``mask`` is False.

    Parameters
    ----------
    mask : (M, N) array_like of bool
        True where the pixel is missing, as in
        :func:`skimage.restoration.inpaint_biharmonic`. Integer masks of 0 and 1 are
        accepted.
    sigma : float, default=1e-3
        Noise of the observed pixels (small: they are nearly trusted as they are). Chosen on
        Set12 images with half the pixels missing: a ten times larger value smooths the
        observed pixels and loses quality, a ten times smaller one changes nothing.

    Attributes
    ----------
    observed : ndarray of bool
        The observed pixels, ``~mask``.

    See Also
    --------
    skgate.GaussianNoise
    skgate.Blur
    skgate.inpaint_epll

    Examples
    --------
    >>> import numpy as np
    >>> missing = np.array([[False, True], [True, False]])
    >>> lik = Inpainting(missing)
    >>> lik.forward(np.ones((2, 2)))
    array([[1., 0.],
           [0., 1.]])
    """

    def __init__(self, mask, sigma=1e-3):
        super().__init__(sigma)
        mask = np.asarray(mask)
        if mask.ndim != 2:
            raise ValueError(f"mask must be a 2-D array, got shape {mask.shape}")
        if mask.dtype != bool:
            if mask.dtype.kind not in "iuf" or not np.isin(mask, (0, 1)).all():
                raise ValueError("mask must be boolean (or contain only 0 and 1)")
            mask = mask.astype(bool)
        if mask.all():
            raise ValueError("mask marks every pixel as missing (all True): nothing observed")
        self.observed = ~mask
        self._weights = self.observed.astype(np.float64)

    @property
    def mask(self):
        """The missing pixels (True where missing), ``~observed``."""
        return ~self.observed

    def check_observation(self, y):
        # The missing pixels are ignored, whatever they hold (NaN included).
        y = check_image_2d(y, name="image", finite=False)
        if y.shape != self.observed.shape:
            raise ValueError(
                f"mask shape {self.observed.shape} does not match image shape {y.shape}"
            )
        xp, _ = namespace(y)
        if not is_numpy(xp):
            observed = self._on_device_of(y, "observed", self.observed)
            return check_finite_values(xp.where(observed, y, xp.zeros_like(y)), "image")
        y = np.where(self.observed, y, 0.0).astype(y.dtype, copy=False)
        return check_finite_values(y, "image")

    def observed_values(self, y):
        if not isinstance(y, np.ndarray):
            return y[self._on_device_of(y, "observed", self.observed)]
        return np.asarray(y)[self.observed]

    def constant_gain(self):
        return 1.0

    def _weights_beside(self, x):
        if isinstance(x, np.ndarray):
            return self._weights
        return self._on_device_of(x, "weights", self._weights)

    def forward(self, x):
        x = x if is_array(x) else np.asarray(x)
        return x * self._weights_beside(x)

    def adjoint(self, r):
        r = r if is_array(r) else np.asarray(r)
        return r * self._weights_beside(r)

    def initial_estimate(self, y):
        """Where the splitting starts: the missing pixels filled in smoothly.

        Missing pixels are filled by normalised Gaussian smoothing of the observed ones, with
        the scale doubled until every pixel has observed neighbours; pixels still without
        any after the largest scale (a mask observing a tiny fraction of the image) take
        the value of the nearest filled pixel.

        Parameters
        ----------
        y : ndarray
            The observation.

        Returns
        -------
        x0 : ndarray
            The observed pixels as they are, the missing ones filled.
        """
        xp, device = namespace(y)
        if not is_numpy(xp):  # the smoothing and the distance transform run on the host
            return from_numpy(self.initial_estimate(to_numpy(y)), xp, device, y.dtype)
        y = np.where(self.observed, y, 0.0)
        estimate = y.copy()
        if not self.observed.any():  # a window inside a hole: nothing to fill from
            return estimate
        missing = ~self.observed
        scale = 1.0
        # Bounded: a mask with a few observed pixels in a large image never reaches the
        # threshold, and ever wider filters would grow without end.
        while missing.any() and scale <= LARGEST_FILL_SCALE:
            weight = ndimage.gaussian_filter(self._weights, scale, mode="reflect")
            filled = ndimage.gaussian_filter(y, scale, mode="reflect")
            ready = missing & (weight > 1e-3)
            estimate[ready] = filled[ready] / weight[ready]
            missing &= ~ready
            scale *= 2
        if missing.any():
            nearest = ndimage.distance_transform_edt(
                missing, return_distances=False, return_indices=True
            )
            estimate = estimate[tuple(nearest)]
        return estimate

    def solve(self, y, patch_sum, coverage, lam, beta, x0=None):
        weights = lam * self._weights_beside(y)
        return (weights * y + beta * patch_sum) / (weights + beta * coverage)

    def tile(self, window):
        return Inpainting.window(self.observed[window], self.sigma)

    @classmethod
    def window(cls, observed, sigma=1e-3):
        """The degradation on a window of a larger image.

        Unlike the constructor it accepts a window that observes no pixel (a tile inside a
        hole): its restoration then rests on the prior and the starting estimate alone.

        Parameters
        ----------
        observed : array_like of bool
            The window's observed pixels (True where observed).
        sigma : float, default=1e-3
            Noise of the observed pixels.

        Returns
        -------
        Inpainting
            The window's degradation.
        """
        tile = object.__new__(cls)
        tile.sigma = sigma
        tile.observed = np.asarray(observed, dtype=bool)
        tile._weights = tile.observed.astype(np.float64)
        return tile

    def default_betas(self):
        """The penalties of the splitting when the restorer is given none.

        Returns
        -------
        betas : ndarray
            ``50 * 1.25^k``, k = 0..28: many small steps (29 iterations, about three times
            the cost of a denoising run); pass fewer ``betas`` for speed.
        """
        # Confirmed on the validation photographs (doc/validation_tasks.rst, "Deblurring and
        # inpainting": 20 images, 50 % missing): 50 * 1.5^k (16 steps) lost 0.37 dB and
        # 25 * 1.25^k (32 steps) 0.01 dB. First chosen on Set12 (average PSNR): 50 * 2^k,
        # k = 0..9, 31.91 dB; starting at 10 (12 steps) 31.62; at 200 (10 steps) 31.63; going
        # on to 50 * 2^11 31.89; 50 * 4^k (6 steps) 31.09. Small penalties first let the
        # prior, not the initial fill, decide the missing pixels. Smaller steps help much more
        # than anything else tried (four Set12 images, 50 % missing): ratio 2 (10 steps)
        # 30.27 dB, ratio 1.5 (16 steps) 31.00, ratio 1.25 (32 steps) 31.64, ratio 3 29.60;
        # biharmonic initial fill instead of the smoothed one +0.09 to +0.22. All 12 Set12
        # images, 50 % missing: 31.87 dB with ratio 2, 33.02 with ratio 1.25
        # (inpaint_biharmonic 31.10; benchmarks/bench_epll.py).
        return 50.0 * 1.25 ** np.arange(0, 29)


def _kernel_otf(kernel, shape):
    """Real FFT of the kernel padded to ``shape`` with its centre moved to pixel (0, 0)."""
    padded = np.zeros(shape)
    kh, kw = kernel.shape
    padded[:kh, :kw] = kernel
    padded = np.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.fft.rfft2(padded)


def _filtered(image, response):
    """``image`` (an array of any Array API library) filtered by the frequency ``response``
    of its real FFT (the standard's ``fft`` extension)."""
    xp, _ = namespace(image)
    spectrum = xp.fft.rfftn(image, axes=(0, 1)) * response
    return xp.fft.irfftn(spectrum, s=tuple(image.shape), axes=(0, 1))


class Blur(Likelihood):
    """Convolution with ``kernel`` (periodic boundary) plus white Gaussian noise.

    Parameters
    ----------
    kernel : (kh, kw) array_like
        Point-spread function: finite, with a positive sum (it is not renormalised). The
        centre is pixel ``(kh // 2, kw // 2)``, the middle for odd sizes.
    sigma : float
        Noise standard deviation.
    boundary : {"periodic"}, default="periodic"
        How the blur treats the border. Only periodic (circular) convolution is supported; it
        lets the image step run with FFTs.

    See Also
    --------
    skgate.GaussianNoise
    skgate.Inpainting
    skgate.deblur_epll
    skgate.motion_kernel
    skgate.gaussian_kernel

    Notes
    -----
    The restorer weighs every pixel alike (uniform ``coverage``), so its image step is one
    FFT division. A non-uniform ``coverage`` passed to :meth:`solve` by another caller is
    handled by conjugate gradients preconditioned with the exact FFT inverse for the mean
    coverage, warm-started from ``x0``.

    Examples
    --------
    >>> import numpy as np
    >>> lik = Blur(np.ones((3, 3)) / 9, sigma=0.01)
    >>> x = np.zeros((5, 5)); x[2, 2] = 9.0
    >>> lik.forward(x)[1:4, 1:4]
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    """

    def __init__(self, kernel, sigma, boundary="periodic"):
        super().__init__(sigma)
        kernel = _real_array(kernel, "kernel")
        if kernel.ndim != 2 or kernel.size == 0:
            raise ValueError(f"kernel must be a non-empty 2-D array, got shape {kernel.shape}")
        check_finite_values(kernel, "kernel")
        if kernel.sum() <= 0:
            raise ValueError(f"kernel must have a positive sum, got {kernel.sum():g}")
        if not KERNEL_SUMS[0] <= kernel.sum() <= KERNEL_SUMS[1]:
            # A blur keeps the image's brightness: a sum this far from 1 is a mistake (a
            # kernel of sum 1e-300 restored a flat image without a word).
            raise ValueError(
                f"kernel sums to {kernel.sum():g}; a point-spread function sums to about 1: "
                "pass kernel / kernel.sum()"
            )
        if boundary != "periodic":
            raise ValueError(f"boundary must be 'periodic', got {boundary!r}")
        self.kernel = kernel
        self.boundary = boundary
        self._otf_shape = None
        self._otf = None

    def _otf_for(self, shape):
        if self._otf_shape != shape:
            if self.kernel.shape[0] > shape[0] or self.kernel.shape[1] > shape[1]:
                raise ValueError(
                    f"kernel of shape {self.kernel.shape} is larger than the image {shape}"
                )
            self._otf = _kernel_otf(self.kernel, shape)
            self._otf_shape = shape
        return self._otf

    def check_observation(self, y):
        y = super().check_observation(y)
        self._otf_for(tuple(y.shape))
        return y

    def constant_gain(self):
        return float(self.kernel.sum())

    def _otf_beside(self, x):
        """The OTF for ``x``'s shape, in ``x``'s library and on its device."""
        shape = tuple(x.shape)
        return self._on_device_of(x, ("otf", shape), self._otf_for(shape))

    def forward(self, x):
        if is_array(x):
            return _filtered(x, self._otf_beside(x))
        x = np.asarray(x, dtype=np.float64)
        return np.fft.irfft2(np.fft.rfft2(x) * self._otf_for(x.shape), s=x.shape)

    def adjoint(self, r):
        if is_array(r):
            xp, _ = namespace(r)
            return _filtered(r, xp.conj(self._otf_beside(r)))
        r = np.asarray(r, dtype=np.float64)
        return np.fft.irfft2(np.fft.rfft2(r) * np.conj(self._otf_for(r.shape)), s=r.shape)

    def _fft_inverse(self, shape, lam, beta, level, like=None):
        """``v -> (lam A^T A + beta * level I)^-1 v`` by FFT (in the library of the
        array ``like``, if given)."""
        if like is not None and is_array(like):
            xp, _ = namespace(like)
            denominator = lam * xp.abs(self._otf_beside(like)) ** 2 + beta * level
            return lambda v: _filtered(xp.reshape(v, shape), 1.0 / denominator)
        denominator = lam * np.abs(self._otf_for(shape)) ** 2 + beta * level

        def apply(v):
            v = np.asarray(v).reshape(shape)
            return np.fft.irfft2(np.fft.rfft2(v) / denominator, s=shape).ravel()

        return apply

    def _preconditioner(self, coverage, lam, beta):
        n = coverage.size
        apply = self._fft_inverse(coverage.shape, lam, beta, float(coverage.mean()))
        return LinearOperator((n, n), matvec=apply, dtype=np.float64)

    def solve(self, y, patch_sum, coverage, lam, beta, x0=None):
        xp, _ = namespace(coverage)
        if float(xp.max(coverage) - xp.min(coverage)) == 0:
            rhs = self.normal_rhs(y, patch_sum, lam, beta)
            level = float(coverage[0, 0])
            solved = self._fft_inverse(tuple(y.shape), lam, beta, level, like=rhs)(rhs)
            return xp.reshape(solved, y.shape)
        return self._solve_cg(y, patch_sum, coverage, lam, beta, x0)

    @property
    def tile_margin(self):
        # A tile's periodic convolution wraps within the tile: the margin must absorb the
        # kernel's reach on both sides before the restorer's own margin starts.
        return 2 * max(self.kernel.shape)

    def tile(self, window):
        return _TileBlur(self.kernel, self.sigma, self.boundary)

    def default_betas(self):
        """The penalties of the splitting when the restorer is given none.

        Returns
        -------
        betas : ndarray
            ``5 * 4^k``, k = 0..5 (absolute penalties, images in [0, 1]; chosen on the
            validation photographs, :doc:`/validation_tasks`).
        """
        # Chosen on the validation photographs (doc/validation_tasks.rst, "Deblurring and
        # inpainting"; 9x9 Gaussian and 15-pixel motion blur, noise 0.01): against Zoran &
        # Weiss's 50 * 2^k, k = 0..6, +0.24 dB (Gaussian) and +0.61 dB (motion) on 50 images,
        # in 6 iterations instead of 7. Smaller first penalties and steps of 4 won every
        # round; steps of 2, 3 or 8 and starts from 25 up did worse.
        return 5.0 * 4.0 ** np.arange(0, 6)


class _TileBlur(Blur):
    """:class:`Blur` seen on a tile of a larger image.

    A tile's edge pixels were blurred with pixels outside the tile, so the periodic model is
    wrong there; the data term keeps only the pixels whose whole kernel window lies inside the
    tile (``A = M K``), and the tile's margin makes up for the pixels dropped. The image step
    has no closed form any more and is solved by conjugate gradients."""

    def _valid(self, shape):
        kh, kw = self.kernel.shape
        valid = np.zeros(shape)
        valid[kh - 1 : shape[0] - kh + 1, kw - 1 : shape[1] - kw + 1] = 1.0
        return valid

    def _valid_beside(self, x):
        shape = tuple(x.shape)
        return self._on_device_of(x, ("valid", shape), self._valid(shape))

    def forward(self, x):
        out = super().forward(x)
        return out * self._valid_beside(out)

    def adjoint(self, r):
        r = r if is_array(r) else np.asarray(r, dtype=np.float64)
        return super().adjoint(r * self._valid_beside(r))

    def solve(self, y, patch_sum, coverage, lam, beta, x0=None):
        return self._solve_cg(y, patch_sum, coverage, lam, beta, x0)

    def tile(self, window):
        return self
