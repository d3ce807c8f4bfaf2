"""``GatingNetwork``: a small discriminative network that predicts a patch's GMM component.

Rosenbaum & Weiss (2015), eq. 6-7: with shared filters ``v_i`` (``n_filters`` of them) and
per-component weights ``w_hi`` and offsets ``c_h``,

    logit_h(x) = c_h - sum_i w_hi (v_i . x)^2,        q(h | x) = softmax_h(logit_h(x)),

i.e. an affine ``d' -> n_filters`` layer, an element-wise square and an affine
``n_filters -> K`` layer: about ``n_filters * (d' + K)`` multiply-adds per patch instead of the
``d'^2 K / 2`` of the exact posterior. It is trained by minimising the cross-entropy between
``q`` and the exact posterior ``p`` of a fitted :class:`~skgate.GMMPatchPrior` (the teacher;
the loss and its gradients are in ``skgate._gating_loss``).
"""

import time
from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._gating_loss import (
    loss_and_grad,
    loss_and_grad_heads,
    teacher_posterior,
    unflatten,
)
from ._prior import GMMPatchPrior
from ._tables import MixtureTables

__all__ = ["GatingNetwork"]


#: Largest noise variance a head is trained for (images in [0, 1]): noise of a hundred
#: times the image's range; beyond, the float32 training arithmetic overflows.
MAX_NOISE_VARIANCE = 1e4


class GatingNetwork(BaseEstimator):
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
    noise_levels : sequence of float, default=(0.0,)
        Noise variances the network answers for. The filters are trained jointly with an
        output layer at ``filter_noise``; every level gets its own output layer ``(W, c)``
        trained, with the filters fixed, against the teacher's posterior under
        ``N(0, C_h + level I)`` on patches with that much noise added (the level equal to
        ``filter_noise`` keeps the layer trained with the filters). At prediction the level
        nearest (in log scale) to the requested ``noise_var`` answers; between two levels their
        output layers are interpolated (:meth:`head`).
    filter_noise : float or None, default=None
        Noise variance of the patches the filters are trained on; ``None`` takes the lowest
        of ``noise_levels``. Filters trained on noisy patches gate noisy patches much
        better: the shipped network's filters are trained at sigma 25 (``(25/255)^2``), which
        made its EPLL gating better than with filters trained on clean patches (measured in
        :doc:`/benchmarks`).
    batch_size : int, default=100000
        Patches per minibatch. Each minibatch is fitted for ``max_iter`` iterations with
        about 26,000 parameters (100 filters, 200 components), so small batches overfit (the
        training script, ``scripts/train_default_models.py``, records what was measured).
    n_batches : int or None, default=None
        Minibatches for the filters, drawn from ``X``; ``None`` makes one pass
        (``ceil(n_samples / batch_size)``). Each further level uses ``max(1, n_batches // 10)``,
        warm-started from the head of the level below it.
    max_iter : int, default=60
        L-BFGS iterations per minibatch.
    init : {"pca", "random"}, default="pca"
        Initial filters: the leading principal directions of the patches, or random.
    warm_start : bool, default=False
        Continue from the fitted filters and output layers (same teacher, same number of
        filters) instead of starting afresh, e.g. a first pass on small minibatches and a
        second on large ones; the teacher is the fitted ``prior_``.
    random_state : int, RandomState instance or None, default=None
        The initial filters (``init="random"``), the minibatches and the noise added to them.
    verbose : int, default=0
        Print each minibatch's loss and time (1) while fitting.

    Attributes
    ----------
    filters_ : ndarray of shape (n_filters, n_features)
        The filters ``v_i`` in patch space (orthogonal to the constant patch when the teacher
        removes the DC, so the network ignores the patch mean).
    weights_ : ndarray of shape (n_levels, n_components, n_filters)
        ``w_hi`` per noise level.
    offsets_ : ndarray of shape (n_levels, n_components)
        ``c_h`` per noise level.
    noise_levels_ : ndarray of shape (n_levels,)
        The sorted noise variances.
    classes_ : ndarray of shape (n_components,)
    prior_ : GMMPatchPrior
        The teacher used.
    loss_curve_ : list of float
        Cross-entropy on each filter-training minibatch after its optimisation.
    n_features_in_ : int

    See Also
    --------
    skgate.GMMPatchPrior
    skgate.load_default_network
    skgate.EPLLRestorer

    References
    ----------
    .. [1] M. Rosenbaum and Y. Weiss, "The Return of the Gating Network: Combining Generative
       Models and Discriminative Training in Natural Image Priors", NIPS 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from skgate import GatingNetwork
    >>> X = np.random.default_rng(0).standard_normal((500, 6)) * [1, 1, 1, 3, 3, 3]
    >>> net = GatingNetwork(n_filters=4, n_components=2, random_state=0).fit(X)
    >>> net.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        "prior": [GMMPatchPrior, None],
        "n_filters": [Interval(Integral, 1, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "noise_levels": ["array-like"],
        "filter_noise": [Interval(Real, 0, None, closed="left"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_batches": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"pca", "random"})],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        prior=None,
        *,
        n_filters=100,
        n_components=3,
        noise_levels=(0.0,),
        filter_noise=None,
        batch_size=100_000,
        n_batches=None,
        max_iter=60,
        init="pca",
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.prior = prior
        self.n_filters = n_filters
        self.n_components = n_components
        self.noise_levels = noise_levels
        self.filter_noise = filter_noise
        self.batch_size = batch_size
        self.n_batches = n_batches
        self.max_iter = max_iter
        self.init = init
        self.warm_start = warm_start
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
            # Filters beyond the dimension repeat; perturb them so they can diverge.
            extra = (np.arange(self.n_filters) >= len(vt))[:, None]
            V = V + 0.1 * extra * rng.standard_normal(V.shape)
        else:
            V = rng.standard_normal((self.n_filters, n_dims))
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        # Responses of a typical patch of order one keep the first L-BFGS steps sensible.
        scale = np.sqrt(np.mean(np.sum(coords * coords, axis=1))) + 1e-12
        return V / scale

    def _check_levels(self):
        try:
            levels = np.unique(np.asarray(self.noise_levels, dtype=np.float64).ravel())
        except (TypeError, ValueError):
            levels = np.array([np.nan])
        if (
            levels.size == 0
            or not np.all(np.isfinite(levels))
            or np.any(levels < 0)
            or np.any(levels > MAX_NOISE_VARIANCE)
        ):
            raise ValueError(
                "noise_levels must be a non-empty sequence of noise variances in "
                f"[0, {MAX_NOISE_VARIANCE:g}] (images in [0, 1]), got {self.noise_levels!r}"
            )
        return levels

    def _minibatches(self, coords, n_batches, level, rng):
        n = coords.shape[0]
        for _ in range(n_batches):
            if self.batch_size >= n:
                batch = coords
            else:
                batch = coords[rng.choice(n, self.batch_size, replace=False)]
            if level > 0:
                batch = batch + np.sqrt(level) * rng.standard_normal(batch.shape)
            yield batch

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the network against the teacher's posteriors on clean patch rows ``X``.

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
        levels = self._check_levels()
        rng = check_random_state(self.random_state)
        warm = self.warm_start and hasattr(self, "filters_")
        teacher = self.prior_ if warm else self._teacher(X, rng)
        if warm and (
            self.filters_.shape != (self.n_filters, X.shape[1])
            or teacher.n_features_in_ != X.shape[1]
        ):
            raise ValueError(
                "warm_start needs the same number of filters and features as the fitted network"
            )
        tables = MixtureTables(teacher)
        # float32 throughout: training runs its GEMMs in single precision anyway
        coords = (X @ tables.basis).astype(np.float32)
        K = teacher.n_components
        n_batches = self.n_batches or int(np.ceil(coords.shape[0] / self.batch_size))

        filter_level = levels[0] if self.filter_noise is None else float(self.filter_noise)
        if warm:
            V = self.filters_ @ tables.basis
            W, c = self._fitted_head(filter_level) or (self.weights_[0], self.offsets_[0])
        else:
            V = self._initial_filters(coords, rng)
            W = np.zeros((K, self.n_filters))
            c = np.log(teacher.weights_)
        shapes = [V.shape, W.shape, c.shape]
        theta = np.concatenate([V.ravel(), W.ravel(), c.ravel()])
        self.loss_curve_ = []
        for i, batch in enumerate(self._minibatches(coords, n_batches, filter_level, rng)):
            tic = time.perf_counter()
            target = teacher_posterior(tables, batch, filter_level)
            result = self._lbfgs(loss_and_grad, theta, (shapes, batch.astype(np.float32), target))
            theta = result.x
            self.loss_curve_.append(float(result.fun))
            self._report(f"filters, minibatch {i + 1}/{n_batches}", result.fun, tic)
        V, W, c = unflatten(theta, shapes)

        heads_W, heads_c = [], []
        head_shapes = [W.shape, c.shape]
        V32 = V.astype(np.float32)
        previous = None
        for level in levels:
            if level == filter_level:
                heads_W.append(W)
                heads_c.append(c)
                continue
            # The filters' own head is a poor start at another noise level (huge losses);
            # the prior's weights are a safe one for this convex problem, and the head of
            # the next lower noise level a closer one once there is one.
            fitted = self._fitted_head(level) if warm else None
            if fitted is not None:
                theta = np.concatenate([fitted[0].ravel(), fitted[1]])
            elif previous is None:
                theta = np.concatenate([np.zeros(W.size), np.log(teacher.weights_)])
            else:
                theta = previous
            batches = max(1, n_batches // 10)
            for i, batch in enumerate(self._minibatches(coords, batches, level, rng)):
                tic = time.perf_counter()
                target = teacher_posterior(tables, batch, level)
                responses = batch.astype(np.float32) @ V32.T
                result = self._lbfgs(
                    loss_and_grad_heads, theta, (head_shapes, responses * responses, target)
                )
                theta = result.x
                self._report(f"noise level {level:.3g}, minibatch {i + 1}", result.fun, tic)
            head_W, head_c = unflatten(theta, head_shapes)
            heads_W.append(head_W)
            heads_c.append(head_c)
            previous = theta

        self.prior_ = teacher
        self.filters_ = V @ tables.basis.T
        self.weights_ = np.stack(heads_W)
        self.offsets_ = np.stack(heads_c)
        self.noise_levels_ = levels
        self.classes_ = np.arange(K)
        return self

    def fit_heads(self, X, noise_var, *, min_rows=1000):
        """Refit the output layers, filters fixed, on patches seen at known noise levels.

        Meant for patches taken from real EPLL runs (:func:`skgate.epll_patches`):
        there the gating sees restored, not freshly noised, patches, and output layers fitted
        to them gate better (measured in the docs' benchmark pages).

        Each row trains the output layer of the trained level nearest to its noise variance
        (in log scale), against the teacher's posterior at that row's own noise variance;
        each layer starts from its current value (a convex problem, L-BFGS for ``max_iter``
        iterations). Levels with fewer than ``min_rows`` rows are left as they are.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Patch rows.
        noise_var : array_like of shape (n_samples,)
            The noise variance each row was gated at (``1/beta``).
        min_rows : int, default=1000
            Fewest rows a level needs to be refitted.

        Returns
        -------
        self : GatingNetwork
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        noise_var = np.asarray(noise_var, dtype=np.float64).ravel()
        if noise_var.shape != (X.shape[0],):
            raise ValueError(
                f"noise_var must hold one variance per row of X ({X.shape[0]}), "
                f"got shape {noise_var.shape}"
            )
        if not np.all(np.isfinite(noise_var)) or np.any(noise_var < 0):
            raise ValueError("noise_var must be finite and >= 0")
        tables = MixtureTables(self.prior_)
        coords = (X @ tables.basis).astype(np.float32)
        filters = (self.filters_ @ tables.basis).astype(np.float32)
        features = coords @ filters.T
        np.square(features, out=features)
        targets = np.empty((coords.shape[0], tables.n_components), dtype=np.float32)
        nearest = np.empty(coords.shape[0], dtype=np.intp)
        for var in np.unique(noise_var):
            rows = noise_var == var
            targets[rows] = teacher_posterior(tables, coords[rows], var)
            nearest[rows] = self.level_index(float(var))
        weights, offsets = self.weights_.copy(), self.offsets_.copy()
        shapes = [weights.shape[1:], offsets.shape[1:]]
        for level in range(len(self.noise_levels_)):
            rows = nearest == level
            if rows.sum() < min_rows:
                continue
            tic = time.perf_counter()
            result = self._lbfgs(
                loss_and_grad_heads,
                np.concatenate([weights[level].ravel(), offsets[level]]),
                (shapes, features[rows], targets[rows]),
            )
            weights[level], offsets[level] = unflatten(result.x, shapes)
            level_name = f"head {self.noise_levels_[level]:.3g}, {rows.sum()} rows"
            self._report(level_name, result.fun, tic)
        self.weights_, self.offsets_ = weights, offsets
        return self

    def _lbfgs(self, loss_and_grad, theta, args):
        """One minibatch's optimisation: ``max_iter`` L-BFGS iterations from ``theta``."""
        return minimize(
            loss_and_grad,
            theta,
            args=args,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter},
        )

    def _fitted_head(self, level):
        """The fitted ``(W, c)`` of noise level ``level``, or None if it was not trained."""
        matches = np.flatnonzero(self.noise_levels_ == level)
        if matches.size == 0:
            return None
        return self.weights_[matches[0]].copy(), self.offsets_[matches[0]].copy()

    def _report(self, what, loss, tic):
        if self.verbose:
            print(
                f"{what}: cross-entropy {loss:.4f} ({time.perf_counter() - tic:.1f} s)",
                flush=True,
            )

    def _log_levels(self, noise_var):
        """Trained levels and ``noise_var`` on a log scale, floored at a quarter of the smallest
        positive level so that a clean level 0 sits just below every noisy one."""
        check_is_fitted(self)
        if (
            isinstance(noise_var, bool)
            or not isinstance(noise_var, Real)
            or not (np.isfinite(noise_var) and noise_var >= 0)
        ):
            raise ValueError(f"noise_var must be finite and >= 0, got {noise_var!r}")
        levels = self.noise_levels_
        positive = levels[levels > 0]
        floor = positive.min() / 4 if positive.size else 1.0
        return np.log(levels + floor), float(np.log(noise_var + floor))

    def level_index(self, noise_var):
        """The trained noise level nearest to a noise variance (in log scale).

        Parameters
        ----------
        noise_var : float
            A noise variance (``1/beta`` in EPLL).

        Returns
        -------
        int
            Its index in ``noise_levels_``.
        """
        log_levels, log_var = self._log_levels(noise_var)
        return int(np.argmin(np.abs(log_levels - log_var)))

    def head(self, noise_var):
        """The output layer for a noise variance.

        Between two trained levels, linear interpolation of theirs in log noise (the logits
        are linear in ``W`` and ``c``, so this interpolates the logits at no extra cost; it
        denoises patches better than the nearest level's layer alone, as measured in the
        docs' benchmark pages); outside them, the nearest level's.

        Parameters
        ----------
        noise_var : float
            A noise variance (``1/beta`` in EPLL).

        Returns
        -------
        W : ndarray of shape (n_components, n_filters)
            The weights ``w_hi``.
        c : ndarray of shape (n_components,)
            The offsets ``c_h``.
        """
        log_levels, log_var = self._log_levels(noise_var)
        upper = int(np.searchsorted(log_levels, log_var))
        if upper == 0 or upper == len(log_levels):
            nearest = min(upper, len(log_levels) - 1)
            return self.weights_[nearest], self.offsets_[nearest]
        t = (log_var - log_levels[upper - 1]) / (log_levels[upper] - log_levels[upper - 1])
        W = (1 - t) * self.weights_[upper - 1] + t * self.weights_[upper]
        c = (1 - t) * self.offsets_[upper - 1] + t * self.offsets_[upper]
        return W, c

    def decision_function(self, X, noise_var=0.0):
        """The network's logits for each component.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Patch rows (the network ignores their mean when the teacher removes the DC).
        noise_var : float, default=0.0
            Variance of the noise the patches are seen with (:meth:`head`).

        Returns
        -------
        logits : ndarray of shape (n_samples, n_components)
            ``c_h - sum_i w_hi (v_i @ x)^2``.
        """
        W, c = self.head(noise_var)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        responses = X @ self.filters_.T.astype(X.dtype)
        return c - (responses * responses) @ W.T

    def predict_proba(self, X, noise_var=0.0):
        """The network's posterior over components (softmax of the logits).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Patch rows (the network ignores their mean when the teacher removes the DC).
        noise_var : float, default=0.0
            Variance of the noise the patches are seen with (:meth:`head`).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_components)
            Rows summing to 1.
        """
        return softmax(self.decision_function(X, noise_var), axis=1)

    def predict(self, X, noise_var=0.0):
        """Most probable component of each patch (the network's gating).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Patch rows (the network ignores their mean when the teacher removes the DC).
        noise_var : float, default=0.0
            Variance of the noise the patches are seen with (:meth:`head`).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The argmax of the logits.
        """
        return np.argmax(self.decision_function(X, noise_var), axis=1)

    def score(self, X, y=None, noise_var=0.0):
        """Agreement with the teacher's exact gating.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Patch rows.
        y : None
            Ignored (scikit-learn's signature).
        noise_var : float, default=0.0
            Variance of the noise the patches are seen with.

        Returns
        -------
        float
            Fraction of patches whose predicted component is the teacher's exact argmax.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        exact = self.prior_.predict(X, noise_var=noise_var)
        return float(np.mean(self.predict(X, noise_var) == exact))

    def cross_entropy(self, X, noise_var=0.0):
        """Mean cross-entropy between the teacher's posterior and the network's (the
        training loss).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Patch rows (the network ignores their mean when the teacher removes the DC).
        noise_var : float, default=0.0
            Variance of the noise the patches are seen with (:meth:`head`).

        Returns
        -------
        float
            ``-mean_n sum_h p(h | x_n) log q(h | x_n)``, in nats.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        teacher = self.prior_.predict_proba(X, noise_var=noise_var)
        log_q = log_softmax(self.decision_function(X, noise_var), axis=1)
        return float(-np.mean(np.sum(teacher * log_q, axis=1)))
