"""Inpainting: missing pixels as a degradation, ``A`` the diagonal mask of the observed
ones (its image step is a per-pixel division), and the smooth fill the splitting starts
from."""

import numpy as np
from scipy import ndimage

from ._backend import from_numpy, is_array, is_numpy, namespace, to_numpy
from ._likelihoods import Likelihood
from ._validation import check_finite_values, check_image_2d

__all__ = ["Inpainting", "LARGEST_FILL_SCALE"]

# Widest Gaussian (pixels) of the inpainting fill; beyond it the nearest filled pixel is used.
LARGEST_FILL_SCALE = 32.0


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
