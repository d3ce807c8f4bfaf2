"""``GMMPatchPrior``: a zero-mean Gaussian mixture over (DC-removed) image patches.

The model, in the notation of the code: a patch row ``x`` (length ``d = p*p``) is mapped to
coordinates ``y = x @ B`` of the zero-mean subspace (``B`` is an orthonormal ``d x d'`` basis
orthogonal to the constant patch of every channel, ``d' = d - C`` for ``C`` channels; with
``remove_dc=False`` ``B = I``). Colour patches are channel-major rows: ``x[c * p * p + i]`` is
pixel ``i`` (row-major) of channel ``c``. Then

    p(y) = sum_h pi_h N(y; 0, C_h),     C_h = V_h diag(s_h) V_h^T.

Because ``B`` is orthogonal to the constant patch, ``x @ B`` removes the DC by itself, and the
patch-space eigenvectors ``U_h = B V_h`` (``eigvecs_``) score raw patch rows directly.

EM runs on float32 chunks: the quadratic forms ``y^T M_h y`` of all components are one GEMM of
the packed outer products ``[y_j y_k]_{j<=k}`` with the packed matrices ``M_h``, and the M-step's
weighted second moments are the transposed GEMM on the same packed chunk, so each EM iteration
reads every patch once and does two well-shaped GEMMs.
"""

import time
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, DensityMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._em import e_step_statistics, initial_mixture, m_step
from ._linalg import (
    LOG_2PI,
    dc_free_basis,
    eigh,
    scaled_gram,
)
from ._validation import check_finite_values
from ._warnings import warn

__all__ = ["GMMPatchPrior", "dc_free_basis"]
# Rows of the (n, K * d') coefficient block built per chunk when scoring; bounds memory to tens
# of MB whatever the number of patches.
_SCORE_BLOCK_ELEMENTS = 1 << 22


class GMMPatchPrior(DensityMixin, BaseEstimator):
    """Gaussian mixture prior over image patches with zero-mean components (EPLL's prior).

    Patches are modelled with their mean (DC) removed, as in Zoran & Weiss (2011): every
    component is a zero-mean Gaussian in the ``d - 1`` dimensional subspace of zero-mean
    patches. Colour patches (``n_channels=3``) have the mean of each channel removed, so
    components live in ``d - 3`` dimensions and model the correlation between channels.
    Fitting is expectation-maximisation on float32 chunks (see the module notes).

    Parameters
    ----------
    n_components : int, default=200
        Number of mixture components.
    patch_size : int or None, default=8
        Side of the square patches; ``fit`` then requires ``n_channels * patch_size**2``
        features. With ``None`` any number of features is accepted (vectors rather than
        patches; a multiple of ``n_channels``).
    n_channels : int, default=1
        Channels of a patch (3 for colour). A row holds the channels one after the other,
        each ``patch_size**2`` pixels row-major (channel-major, as
        :func:`skgate.sample_patches` with ``colour=True`` returns them); with ``remove_dc``
        each channel's mean is removed.
    remove_dc : bool, default=True
        Model patches with their mean removed (in the zero-mean subspace). With ``False`` the
        zero-mean mixture is fitted to the raw rows.
    reg_covar : float, default=1e-6
        Non-negative value added to the diagonal of every covariance (in the modelled
        subspace), keeping them positive definite.
    max_iter : int, default=100
        Maximum number of EM iterations.
    tol : float, default=1e-3
        EM stops when the mean log-likelihood per patch improves by less than ``tol``.
    init_params : {"kmeans", "random"}, default="kmeans"
        Initial responsibilities: ``"kmeans"`` clusters a subsample of sign-normalised unit
        patches (components are zero-mean, so ``x`` and ``-x`` belong together); ``"random"``
        draws random responsibilities.
    warm_start : bool, default=False
        Start EM from the current fit (same number of components and features) instead of a
        fresh initialisation; used to refine a prior fitted on few patches with more patches.
    chunk_size : int, default=16384
        Patches per float32 block in EM; bounds the memory of one iteration.
    random_state : int, RandomState instance or None, default=None
        Controls the initialisation and :meth:`sample`.
    verbose : int, default=0
        Print the log-likelihood and time of each EM iteration when positive.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing proportions ``pi_h``.
    covariances_ : ndarray of shape (n_components, n_features, n_features)
        Component covariances in patch space (singular along the DC direction when
        ``remove_dc``).
    eigvals_ : ndarray of shape (n_components, n_dims)
        Eigenvalues of each covariance in the modelled subspace (``n_dims = n_features -
        n_channels`` with ``remove_dc``), ascending.
    eigvecs_ : ndarray of shape (n_components, n_features, n_dims)
        The matching eigenvectors as patch-space columns (orthogonal to the constant patch
        when ``remove_dc``); ``X @ eigvecs_[h]`` are the coefficients of DC-removed patches.
    n_features_in_ : int
    converged_ : bool
    n_iter_ : int
        EM iterations run by the last ``fit``.
    lower_bound_ : float
        Mean log-likelihood per patch of the training data at the last E-step.

    See Also
    --------
    sklearn.mixture.GaussianMixture : general mixtures (free means), the reference this
        estimator is benchmarked against.

    References
    ----------
    .. [1] D. Zoran and Y. Weiss, "From learning models of natural image patches to whole
       image restoration", ICCV 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from skgate import GMMPatchPrior
    >>> from skgate import sample_patches
    >>> rng = np.random.default_rng(0)
    >>> image = rng.random((64, 64))
    >>> X = sample_patches(image, 2000, patch_size=4, random_state=0)
    >>> prior = GMMPatchPrior(n_components=3, patch_size=4, random_state=0).fit(X)
    >>> prior.covariances_.shape
    (3, 16, 16)
    >>> prior.predict_proba(X[:2]).sum(axis=1).round(6).tolist()
    [1.0, 1.0]
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "patch_size": [Interval(Integral, 1, None, closed="left"), None],
        "n_channels": [Interval(Integral, 1, None, closed="left")],
        "remove_dc": ["boolean"],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "init_params": [StrOptions({"kmeans", "random"})],
        "warm_start": ["boolean"],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components=200,
        *,
        patch_size=8,
        n_channels=1,
        remove_dc=True,
        reg_covar=1e-6,
        max_iter=100,
        tol=1e-3,
        init_params="kmeans",
        warm_start=False,
        chunk_size=16384,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.patch_size = patch_size
        self.n_channels = n_channels
        self.remove_dc = remove_dc
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.tol = tol
        self.init_params = init_params
        self.warm_start = warm_start
        self.chunk_size = chunk_size
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting
    def _check_feature_count(self, n_features, what="X has"):
        C, p = self.n_channels, self.patch_size
        if p is not None and n_features != C * p**2:
            needs = (
                f"patch_size**2 = {p**2}" if C == 1 else f"n_channels * patch_size**2 = {C * p**2}"
            )
            channels = "" if C == 1 else f" and n_channels={C}"
            raise ValueError(
                f"{what} {n_features} features but patch_size={p}{channels} needs {needs}"
            )
        if n_features % C or (self.remove_dc and n_features // C < 2):
            least = " of at least 2 features each (remove_dc)" if self.remove_dc else ""
            raise ValueError(
                f"{what} {n_features} features, which n_channels={C} does not split into "
                f"equal channels{least}"
            )

    @property
    def _basis_shape(self):
        return {"remove_dc": self.remove_dc, "n_channels": self.n_channels}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the mixture to patch rows by EM.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Patch rows (e.g. from :func:`skgate.sample_patches`); float32 input is
            not copied to float64.
        y : None
            Ignored.

        Returns
        -------
        self : GMMPatchPrior
        """
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            ensure_min_samples=2,
            ensure_min_features=2 if self.remove_dc else 1,
        )
        check_finite_values(X, "X")  # EM's float32 products overflow beyond it
        n_samples, n_features = X.shape
        self._check_feature_count(n_features)
        if n_samples < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {n_samples}"
            )
        basis = dc_free_basis(n_features, **self._basis_shape)
        Y = (X @ basis.astype(X.dtype)).astype(np.float32, copy=False)
        rng = check_random_state(self.random_state)

        warm = self.warm_start and hasattr(self, "weights_")
        if warm and self.weights_.shape[0] != self.n_components:
            raise ValueError(
                "warm_start needs the same n_components as the previous fit: "
                f"{self.weights_.shape[0]} != {self.n_components}"
            )
        if warm:
            weights = self.weights_
            covs = basis.T @ self.covariances_ @ basis
        else:
            weights, covs = initial_mixture(
                Y, self.n_components, self.init_params, self.reg_covar, rng
            )

        self.converged_ = False
        previous = -np.inf
        lower_bound = -np.inf
        for n_iter in range(1, self.max_iter + 1):
            tic = time.perf_counter()
            lower_bound, counts, moments = e_step_statistics(Y, weights, covs, self.chunk_size)
            weights, covs = m_step(counts, moments, self.reg_covar)
            if self.verbose:
                print(
                    f"EM iteration {n_iter:3d}: mean log-likelihood {lower_bound:.5f} "
                    f"({time.perf_counter() - tic:.1f} s)",
                    flush=True,
                )
            if abs(lower_bound - previous) < self.tol:
                self.converged_ = True
                break
            previous = lower_bound
        if not self.converged_:
            warn(
                f"EM did not converge in max_iter={self.max_iter} iterations; "
                "increase max_iter or tol.",
                ConvergenceWarning,
            )
        self.n_iter_ = n_iter
        self.lower_bound_ = float(lower_bound)
        self._set_mixture(weights, covs, basis)
        return self

    @classmethod
    def from_covariances(cls, weights, covariances, *, space="patch", **params):
        """A fitted prior with given mixture weights and covariances, without EM.

        Parameters
        ----------
        weights : array_like of shape (n_components,)
            Non-negative mixture weights (normalised to sum to 1).
        covariances : array_like of shape (n_components, m, m)
            Symmetric positive-definite covariances: of patch rows (``space="patch"``,
            ``m = d``; with ``remove_dc`` their part along the constant patch is dropped) or
            in the DC-free coordinates of a Helmert basis (``space="dc_free"``,
            ``m = d - n_channels`` with ``remove_dc``).
        space : {"patch", "dc_free"}, default="patch"
        **params
            Constructor parameters (``patch_size``, ``n_channels``, ``remove_dc``, ...);
            ``n_components`` is taken from ``weights``.

        Returns
        -------
        prior : GMMPatchPrior
            Fitted (``n_iter_ = 0``), as if EM had converged on these parameters.

        Examples
        --------
        >>> import numpy as np
        >>> prior = GMMPatchPrior.from_covariances([0.5, 0.5], [np.eye(4), 2 * np.eye(4)],
        ...                                        patch_size=2)
        >>> prior.predict(np.array([[1.0, -1.0, 1.0, -1.0]])).shape
        (1,)
        """
        weights = np.asarray(weights, dtype=np.float64)
        covariances = np.asarray(covariances, dtype=np.float64)
        if weights.ndim != 1 or weights.size == 0:
            raise ValueError(f"weights must be a non-empty vector, got shape {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        K = weights.size
        if (
            covariances.ndim != 3
            or covariances.shape[0] != K
            or (covariances.shape[1] != covariances.shape[2])
        ):
            raise ValueError(
                f"covariances must have shape ({K}, m, m) for {K} weights, got {covariances.shape}"
            )
        if not np.all(np.isfinite(covariances)):
            raise ValueError("covariances contain NaN or infinity")
        if space not in ("patch", "dc_free"):
            raise ValueError(f"space must be 'patch' or 'dc_free', got {space!r}")
        prior = cls(**{**params, "n_components": K})
        prior._validate_params()
        m = covariances.shape[1]
        dc_dims = prior.n_channels if space == "dc_free" and prior.remove_dc else 0
        n_features = m + dc_dims
        prior._check_feature_count(n_features, what="covariances describe")
        basis = dc_free_basis(n_features, **prior._basis_shape)
        if space == "patch":
            covariances = basis.T @ covariances @ basis
        prior._set_mixture(weights / weights.sum(), covariances, basis)
        prior.n_features_in_ = n_features
        prior.n_iter_ = 0
        prior.converged_ = True
        prior.lower_bound_ = np.nan
        return prior

    def _set_mixture(self, weights, covs_subspace, basis):
        """Store the fitted mixture and its cached eigendecompositions (patch space)."""
        eigvals, eigvecs = eigh(covs_subspace)
        if not np.all(eigvals > 0):
            raise ValueError("a covariance is not positive definite; increase reg_covar")
        self.weights_ = np.asarray(weights, dtype=np.float64)
        self.eigvals_ = eigvals
        self.eigvecs_ = basis @ eigvecs
        self.covariances_ = scaled_gram(self.eigvecs_, eigvals)

    # ------------------------------------------------------------------ inference
    def _validate_X(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return check_finite_values(X, "X")  # float32 squares overflow beyond it

    @staticmethod
    def _check_noise_var(noise_var):
        if isinstance(noise_var, bool) or not isinstance(noise_var, Real):
            raise TypeError(f"noise_var must be a real number, got {type(noise_var).__name__}")
        if not np.isfinite(noise_var) or noise_var < 0:
            raise ValueError(f"noise_var must be finite and >= 0, got {noise_var}")
        return float(noise_var)

    def _estimate_weighted_log_prob(self, X, noise_var=0.0):
        """``log pi_h + log N(x - m; 0, C_h + noise_var I)`` for every patch and component.

        Computed in the dtype of ``X`` (float32 input stays float32) in blocks that bound the
        ``(n, K * d')`` coefficient array.
        """
        K, d, n_dims = self.eigvecs_.shape
        variances = self.eigvals_ + noise_var
        const = np.log(self.weights_) - 0.5 * (np.log(variances).sum(axis=1) + n_dims * LOG_2PI)
        # Whitened projections: the squared norm of x @ W_h is the Mahalanobis distance.
        whiten = self.eigvecs_ / np.sqrt(variances)[:, None, :]
        whiten = whiten.transpose(1, 0, 2).reshape(d, K * n_dims).astype(X.dtype)
        out = np.empty((X.shape[0], K), dtype=np.float64)
        block = max(1, _SCORE_BLOCK_ELEMENTS // (K * n_dims))
        for start in range(0, X.shape[0], block):
            coefs = (X[start : start + block] @ whiten).reshape(-1, K, n_dims)
            sq = np.einsum("nkj,nkj->nk", coefs, coefs)
            out[start : start + block] = const - 0.5 * sq
        return out

    def score_samples(self, X, noise_var=0.0):
        """Log-density of each patch (of its DC-removed part, in the modelled subspace).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Patches, flattened (``n_features = patch_size**2``, or the prior's dimension);
            their mean is removed.
        noise_var : float, default=0.0
            Score under the noisy model ``N(0, C_h + noise_var I)``, i.e. the density of a
            patch observed with white noise of that variance.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        """
        X = self._validate_X(X)
        noise_var = self._check_noise_var(noise_var)
        return logsumexp(self._estimate_weighted_log_prob(X, noise_var), axis=1)

    def score(self, X, y=None):
        """Mean log-density per patch.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Patches, flattened; their mean is removed.
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        float
            The mean of :meth:`score_samples`.
        """
        return float(self.score_samples(X).mean())

    def predict_proba(self, X, noise_var=0.0):
        """Posterior probability of each component for each patch.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Patches, flattened (``n_features = patch_size**2``, or the prior's dimension);
            their mean is removed.
        noise_var : float, default=0.0
            Posterior of a patch seen with white noise of this variance (components
            ``N(0, C_h + noise_var I)``); EPLL's gating at penalty ``beta`` uses ``1/beta``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_components)
        """
        X = self._validate_X(X)
        noise_var = self._check_noise_var(noise_var)
        log_prob = self._estimate_weighted_log_prob(X, noise_var)
        return np.exp(log_prob - logsumexp(log_prob, axis=1, keepdims=True))

    def predict(self, X, noise_var=0.0):
        """Most probable component of each patch.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Patches, flattened; their mean is removed.
        noise_var : float, default=0.0
            As in :meth:`predict_proba`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The component of largest posterior probability (EPLL's gating).
        """
        X = self._validate_X(X)
        noise_var = self._check_noise_var(noise_var)
        return self._estimate_weighted_log_prob(X, noise_var).argmax(axis=1)

    def sample(self, n_samples=1):
        """Draw zero-mean patches from the mixture.

        Parameters
        ----------
        n_samples : int, default=1
            How many patches.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The patches, flattened.
        labels : ndarray of shape (n_samples,)
            The component each sample was drawn from.
        """
        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        labels = np.repeat(np.arange(self.n_components), counts)
        white = rng.standard_normal((n_samples, self.eigvals_.shape[1]))
        white *= np.sqrt(self.eigvals_[labels])
        X = np.einsum("nj,ndj->nd", white, self.eigvecs_[labels])
        return X, labels

    # ------------------------------------------------------------------ files
