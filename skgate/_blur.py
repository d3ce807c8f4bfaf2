"""Blur: periodic convolution with a kernel plus white noise, its image step one FFT
division (the standard's ``fft`` extension off NumPy), and the same degradation seen on a
tile, whose edges the periodic model gets wrong."""

import numpy as np
from scipy.sparse.linalg import LinearOperator

from ._backend import is_array, namespace
from ._docstrings import shares_parameters
from ._likelihoods import Likelihood
from ._validation import check_finite_values

__all__ = ["Blur", "KERNEL_SUMS"]

#: Sums a blur kernel may have (it is not renormalised: 1 keeps the image's brightness).
KERNEL_SUMS = (1e-6, 1e6)


def _real_array(values, name):
    """``values`` as a float64 array; anything that is not real numbers is a TypeError
    naming ``name``."""
    array = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return np.array(array, dtype=np.float64)


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


@shares_parameters(Likelihood)
class Blur(Likelihood):
    """Convolution with ``kernel`` (periodic boundary) plus white Gaussian noise.

    Parameters
    ----------
    kernel : (kh, kw) array_like
        Point-spread function: finite, with a positive sum (it is not renormalised). The
        centre is pixel ``(kh // 2, kw // 2)``, the middle for odd sizes.
    .. parameters:: sigma
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
