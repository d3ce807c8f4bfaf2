"""``GatingNetwork``: a small discriminative network that predicts a patch's GMM component.

Rosenbaum & Weiss (2015), eq. 6-7: with shared filters ``v_i`` (``n_filters`` of them) and
per-component weights ``w_hi`` and offsets ``c_h``,

    logit_h(x) = c_h - sum_i w_hi (v_i . x)^2,        q(h | x) = softmax_h(logit_h(x)),

i.e. an affine ``d' -> n_filters`` layer, an element-wise square and an affine
``n_filters -> K`` layer: about ``n_filters * (d' + K)`` multiply-adds per patch instead of the
``d'^2 K / 2`` of the exact posterior. It is trained by minimising the cross-entropy between
``q`` and the exact posterior ``p`` of a fitted :class:`~skgate.GMMPatchPrior` (the teacher):

    L = -1/N sum_n sum_h p_nh log q_nh.

With ``g = (q - p) / N`` and ``r = V x``: ``dL/dc = sum_n g``, ``dL/dW = -g^T r^2`` and
``dL/dV = -2 ((g W) * r)^T x``.
"""

import time
from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .gating import Gating
from .prior import GMMPatchPrior, MixtureTables

__all__ = ["GatingNetwork", "NetworkGating"]


def _forward(params, coords):
    """Filter responses ``r`` and logits of the network for ``(n, d')`` coordinates."""
    V, W, c = params
    responses = coords @ V.T
    logits = c - (responses * responses) @ W.T
    return responses, logits


def _loss_and_grad(theta, shapes, coords, teacher):
    """Cross-entropy against ``teacher`` posteriors and its gradient, flattened for scipy."""
    params = _unflatten(theta, shapes)
    V, W, _ = params
    responses, logits = _forward(params, coords)
    log_q = log_softmax(logits, axis=1)
    n = coords.shape[0]
    loss = -np.sum(teacher * log_q) / n
    g = (np.exp(log_q) - teacher) / n
    grad_c = g.sum(axis=0)
    grad_W = -g.T @ (responses * responses)
    grad_V = -2.0 * ((g @ W) * responses).T @ coords
    return loss, np.concatenate([grad_V.ravel(), grad_W.ravel(), grad_c.ravel()])


def _unflatten(theta, shapes):
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(theta[start : start + size].reshape(shape))
        start += size
    return out


class GatingNetwork(ClassifierMixin, BaseEstimator):
    """Discriminatively trained gating network for a Gaussian-mixture patch prior.

    Parameters
    ----------
    prior : GMMPatchPrior or None, default=None
        The teacher. ``None`` fits a small ``GMMPatchPrior`` (``n_components``,
        ``patch_size=None``) on ``X`` first, so that the estimator also works on its own.
    n_filters : int, default=100
        Number of shared filters ``v_i``.
    n_components : int, default=3
        Components of the teacher fitted when ``prior`` is None (ignored otherwise).
    noise_var : float, default=0.0
        Train against the teacher's posterior for patches seen with white noise of this
        variance (the teacher sees ``N(0, C_h + noise_var I)``; the network sees the clean
        patch plus noise of this variance drawn with ``random_state``).
    batch_size : int, default=10000
        Patches per minibatch.
    n_batches : int or None, default=None
        Minibatches drawn with replacement from ``X``; ``None`` makes one pass
        (``ceil(n_samples / batch_size)``).
    max_iter : int, default=100
        L-BFGS iterations per minibatch.
    init : {"pca", "random"}, default="pca"
        Initial filters: the leading principal directions of the patches (``"pca"``), or
        random unit vectors.
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0

    Attributes
    ----------
    filters_ : ndarray of shape (n_filters, n_features)
        The filters ``v_i`` in patch space (orthogonal to the constant patch when the teacher
        removes the DC).
    weights_ : ndarray of shape (n_components, n_filters)
        ``w_hi``.
    offsets_ : ndarray of shape (n_components,)
        ``c_h``.
    classes_ : ndarray of shape (n_components,)
        Component indices ``0 .. K-1``.
    prior_ : GMMPatchPrior
        The teacher used.
    loss_curve_ : list of float
        Cross-entropy on each minibatch after its optimisation.
    n_features_in_ : int

    References
    ----------
    .. [1] M. Rosenbaum and Y. Weiss, "The Return of the Gating Network: Combining Generative
       Models and Discriminative Training in Natural Image Priors", NIPS 2015.
    """

    _parameter_constraints: dict = {
        "prior": [GMMPatchPrior, None],
        "n_filters": [Interval(Integral, 1, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "noise_var": [Interval(Real, 0.0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_batches": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"pca", "random"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        prior=None,
        *,
        n_filters=100,
        n_components=3,
        noise_var=0.0,
        batch_size=10000,
        n_batches=None,
        max_iter=100,
        init="pca",
        random_state=None,
        verbose=0,
    ):
        self.prior = prior
        self.n_filters = n_filters
        self.n_components = n_components
        self.noise_var = noise_var
        self.batch_size = batch_size
        self.n_batches = n_batches
        self.max_iter = max_iter
        self.init = init
        self.random_state = random_state
        self.verbose = verbose

    def _teacher(self, X, rng):
        if self.prior is not None:
            check_is_fitted(self.prior)
            if self.prior.n_features_in_ != X.shape[1]:
                raise ValueError(
                    f"X has {X.shape[1]} features, the prior {self.prior.n_features_in_}"
                )
            return self.prior
        return GMMPatchPrior(
            self.n_components, patch_size=None, random_state=rng.randint(2**31 - 1)
        ).fit(X)

    def _initial_filters(self, coords, rng):
        n_dims = coords.shape[1]
        if self.init == "pca":
            _, _, vt = np.linalg.svd(coords[: min(len(coords), 20000)], full_matrices=False)
            V = vt[np.arange(self.n_filters) % len(vt)]
            # Filters beyond the dimension are repeats; perturb them so they can diverge.
            V = V + 0.1 * (np.arange(self.n_filters) >= len(vt))[:, None] * rng.standard_normal(
                V.shape
            )
        else:
            V = rng.standard_normal((self.n_filters, n_dims))
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        # Scale so that responses of a typical patch are of order one.
        scale = np.sqrt(np.mean(np.sum(coords * coords, axis=1))) + 1e-12
        return V / scale

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the network against the teacher's posteriors on patch rows ``X``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Clean patch rows.
        y : None
            Ignored (the targets are the teacher's posteriors).

        Returns
        -------
        self : GatingNetwork
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        rng = check_random_state(self.random_state)
        teacher = self._teacher(X, rng)
        tables = MixtureTables(teacher)
        coords = (X @ tables.basis).astype(np.float64)
        K = teacher.n_components
        n_dims = coords.shape[1]

        V = self._initial_filters(coords, rng)
        W = np.zeros((K, self.n_filters))
        c = np.log(teacher.weights_)
        shapes = [V.shape, W.shape, c.shape]
        theta = np.concatenate([V.ravel(), W.ravel(), c.ravel()])

        n = coords.shape[0]
        n_batches = self.n_batches or int(np.ceil(n / self.batch_size))
        self.loss_curve_ = []
        for batch in range(n_batches):
            tic = time.perf_counter()
            if n_batches == 1 and self.batch_size >= n:
                rows = np.arange(n)
            else:
                rows = rng.choice(n, min(self.batch_size, n), replace=False)
            batch_coords = coords[rows]
            if self.noise_var > 0:
                batch_coords = batch_coords + np.sqrt(self.noise_var) * rng.standard_normal(
                    batch_coords.shape
                )
            target = self._teacher_posterior(teacher, tables, batch_coords)
            result = minimize(
                _loss_and_grad,
                theta,
                args=(shapes, batch_coords, target),
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": self.max_iter},
            )
            theta = result.x
            self.loss_curve_.append(float(result.fun))
            if self.verbose:
                print(
                    f"minibatch {batch + 1}/{n_batches}: cross-entropy {result.fun:.4f} "
                    f"({time.perf_counter() - tic:.1f} s)",
                    flush=True,
                )
        V, W, c = _unflatten(theta, shapes)
        self.prior_ = teacher
        self.filters_ = V @ tables.basis.T
        self.weights_ = W
        self.offsets_ = c
        self.classes_ = np.arange(K)
        self.n_dims_ = n_dims
        return self

    def _teacher_posterior(self, teacher, tables, coords):
        log_post = tables.log_posterior(coords.astype(np.float32), self.noise_var)
        return softmax(log_post.astype(np.float64), axis=1)

    def decision_function(self, X):
        """Logits ``c_h - sum_i w_hi (v_i . x)^2`` of each component."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        responses = X @ self.filters_.T.astype(X.dtype)
        return self.offsets_ - (responses * responses) @ self.weights_.T

    def predict_proba(self, X):
        """The network's posterior over components (softmax of the logits)."""
        return softmax(self.decision_function(X), axis=1)

    def predict(self, X):
        """Most probable component of each patch."""
        return np.argmax(self.decision_function(X), axis=1)

    def score(self, X, y=None):
        """Fraction of patches whose predicted component equals the teacher's exact argmax."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        exact = self.prior_.predict(X, noise_var=self.noise_var)
        return float(np.mean(self.predict(X) == exact))

    def cross_entropy(self, X):
        """Mean cross-entropy between the teacher's posterior and the network's on ``X``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        teacher = self.prior_.predict_proba(X, noise_var=self.noise_var)
        log_q = log_softmax(self.decision_function(X), axis=1)
        return float(-np.mean(np.sum(teacher * log_q, axis=1)))


class NetworkGating(Gating):
    """Gating strategy backed by a fitted :class:`GatingNetwork` (float32 GEMMs)."""

    def __init__(self, network, tables):
        check_is_fitted(network)
        basis = tables.basis
        self.filters = (network.filters_ @ basis).astype(np.float32)
        self.weights_t = np.ascontiguousarray(network.weights_.T, dtype=np.float32)
        self.offsets = network.offsets_.astype(np.float32)

    def assign(self, coords, noise_var):
        responses = coords @ self.filters.T
        np.square(responses, out=responses)
        return np.argmax(self.offsets - responses @ self.weights_t, axis=1)
