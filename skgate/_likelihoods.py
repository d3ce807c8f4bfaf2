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
image step by preconditioned conjugate gradients. This module holds the base class;
Gaussian noise (``skgate._gaussian_noise``), blur (``skgate._blur``) and inpainting
(``skgate._inpainting``) have their own.
"""

import copy
from abc import ABC, abstractmethod

import numpy as np
from scipy.sparse.linalg import LinearOperator, cg
from sklearn.exceptions import ConvergenceWarning

from ._backend import from_numpy, is_numpy, like, namespace, to_numpy
from ._validation import check_image_2d, check_noise_level
from ._warnings import warn

__all__ = ["Likelihood"]


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
