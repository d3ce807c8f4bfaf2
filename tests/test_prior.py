import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning

from skgate import GMMPatchPrior
from skgate._prior import dc_free_basis

P = 4
_RNG = np.random.default_rng(0)
D = P * P


def make_mixture_data(n=20000, seed=0):
    """Patches from a known zero-mean two-component mixture in the DC-free subspace, plus
    a random DC per patch (which the prior must ignore)."""
    rng = np.random.default_rng(seed)
    basis = dc_free_basis(D)
    d = D - 1
    a = rng.standard_normal((d, d))
    cov_smooth = 0.05 * (a @ a.T) / d + 1e-3 * np.eye(d)
    cov_flat = 1e-3 * np.eye(d)
    labels = (rng.random(n) < 0.3).astype(int)
    Y = np.where(
        labels[:, None] == 1,
        rng.multivariate_normal(np.zeros(d), cov_smooth, n),
        rng.multivariate_normal(np.zeros(d), cov_flat, n),
    )
    X = Y @ basis.T + rng.random((n, 1))
    return X, labels, (0.7, 0.3), (cov_flat, cov_smooth)


@pytest.fixture(scope="module")
def fitted():
    X, labels, weights, covs = make_mixture_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        prior = GMMPatchPrior(n_components=2, patch_size=P, random_state=0).fit(X)
    return prior, X, labels, weights, covs


def test_recovers_known_mixture(fitted):
    prior, X, labels, weights, covs = fitted
    order = np.argsort(prior.covariances_.trace(axis1=1, axis2=2))
    np.testing.assert_allclose(prior.weights_[order], weights, atol=0.02)
    basis = dc_free_basis(D)
    for h, cov in zip(order, covs, strict=True):
        fitted_cov = basis.T @ prior.covariances_[h] @ basis
        assert np.linalg.norm(fitted_cov - cov) / np.linalg.norm(cov) < 0.1
    agreement = np.mean((prior.predict(X) == order[1]) == (labels == 1))
    assert agreement > 0.97


def test_covariances_live_in_dc_free_subspace(fitted):
    prior = fitted[0]
    ones = np.ones(D)
    np.testing.assert_allclose(prior.covariances_ @ ones, 0, atol=1e-10)
    np.testing.assert_allclose(prior.eigvecs_.transpose(0, 2, 1) @ ones, 0, atol=1e-10)
    assert prior.eigvals_.shape == (2, D - 1) and np.all(prior.eigvals_ > 0)


@pytest.mark.parametrize("noise_var", [0.0, 0.01])
def test_scores_match_direct_gaussian_density(fitted, noise_var):
    prior, X = fitted[:2]
    X = X[:200]
    basis = dc_free_basis(D)
    Y = X @ basis
    per_component = np.stack(
        [
            np.log(w)
            + multivariate_normal(
                np.zeros(D - 1), basis.T @ c @ basis + noise_var * np.eye(D - 1)
            ).logpdf(Y)
            for w, c in zip(prior.weights_, prior.covariances_, strict=True)
        ],
        axis=1,
    )
    expected = np.logaddexp.reduce(per_component, axis=1)
    np.testing.assert_allclose(prior.score_samples(X, noise_var=noise_var), expected, rtol=1e-9)
    posterior = np.exp(per_component - expected[:, None])
    np.testing.assert_allclose(prior.predict_proba(X, noise_var=noise_var), posterior, atol=1e-9)
    assert prior.score(X) == pytest.approx(prior.score_samples(X).mean())


def test_noise_var_flattens_the_posterior(fitted):
    prior, X = fitted[:2]
    clean = prior.predict_proba(X[:500]).max(axis=1).mean()
    noisy = prior.predict_proba(X[:500], noise_var=1.0).max(axis=1).mean()
    assert noisy < clean


def test_dc_does_not_change_scores(fitted):
    prior, X = fitted[:2]
    np.testing.assert_allclose(prior.score_samples(X[:50] + 3.0), prior.score_samples(X[:50]))


def test_float32_input_agrees_with_float64(fitted):
    prior, X = fitted[:2]
    s64 = prior.score_samples(X)
    s32 = prior.score_samples(X.astype(np.float32))
    np.testing.assert_allclose(s32, s64, rtol=1e-4, atol=1e-3)
    assert np.mean(prior.predict(X.astype(np.float32)) == prior.predict(X)) > 0.999


def test_fit_is_deterministic_and_em_increases_likelihood():
    X = make_mixture_data(n=3000, seed=1)[0]
    bounds = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for max_iter in (1, 2, 4, 8):
            prior = GMMPatchPrior(3, patch_size=P, max_iter=max_iter, tol=0, random_state=3)
            bounds.append(prior.fit(X).lower_bound_)
        again = GMMPatchPrior(3, patch_size=P, max_iter=8, tol=0, random_state=3).fit(X)
    assert np.all(np.diff(bounds) > -1e-6)
    np.testing.assert_array_equal(again.covariances_, prior.covariances_)


@pytest.mark.parametrize("init_params", ["kmeans", "random"])
def test_init_params_both_fit(init_params):
    X = make_mixture_data(n=3000, seed=2)[0]
    prior = GMMPatchPrior(2, patch_size=P, init_params=init_params, random_state=0).fit(X)
    assert prior.converged_ and prior.n_iter_ >= 1


def test_warm_start_continues_from_previous_fit():
    X = make_mixture_data(n=4000, seed=3)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        prior = GMMPatchPrior(2, patch_size=P, max_iter=2, tol=0, random_state=0).fit(X)
        first = prior.lower_bound_
        prior.set_params(warm_start=True).fit(X)
    assert prior.lower_bound_ >= first - 1e-6
    with pytest.raises(ValueError, match="n_components"):
        prior.set_params(n_components=3).fit(X)


def test_sample_draws_zero_mean_patches_with_component_covariances(fitted):
    prior = fitted[0]
    samples, labels = prior.sample(40000)
    assert samples.shape == (40000, D) and labels.shape == (40000,)
    np.testing.assert_allclose(samples.mean(axis=1), 0, atol=1e-12)
    for h in range(2):
        emp = np.cov(samples[labels == h].T, bias=True)
        cov = prior.covariances_[h]
        assert np.linalg.norm(emp - cov) / np.linalg.norm(cov) < 0.1
    np.testing.assert_allclose(np.bincount(labels) / 40000, prior.weights_, atol=0.01)


def test_remove_dc_false_models_raw_rows():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 3)) * [1.0, 2.0, 0.5]
    prior = GMMPatchPrior(1, patch_size=None, remove_dc=False).fit(X)
    np.testing.assert_allclose(np.diag(prior.covariances_[0]), [1.0, 4.0, 0.25], rtol=0.1)


def _fit(X, **params):
    return GMMPatchPrior(**{"n_components": 2, "patch_size": P, **params}).fit(X)


@pytest.mark.parametrize(
    "X,params,error,match",
    [
        (np.zeros((10, 15)), {}, ValueError, "patch_size"),
        (np.full((10, 16), np.nan), {}, ValueError, "NaN"),
        (np.ones((10, 16)) * np.inf, {}, ValueError, "infinity"),
        (_RNG.random((1, 16)), {"n_components": 1}, ValueError, "minimum of 2"),
        (_RNG.random((5, 16)), {"n_components": 6}, ValueError, "n_samples >= n_components"),
        (_RNG.random((50, 16)), {"reg_covar": -1.0}, ValueError, "reg_covar"),
        (_RNG.random((50, 16)), {"init_params": "magic"}, ValueError, "init_params"),
        (_RNG.random((50, 16)), {"n_components": 0}, ValueError, "n_components"),
    ],
)
def test_bad_fit_input_raises_clear_error(X, params, error, match):
    with pytest.raises(error, match=match):
        _fit(X, **params)


def test_bad_inference_input(fitted):
    prior, X = fitted[:2]
    with pytest.raises(ValueError, match="noise_var"):
        prior.predict_proba(X[:3], noise_var=-1.0)
    with pytest.raises(TypeError, match="noise_var"):
        prior.score_samples(X[:3], noise_var="loud")
    with pytest.raises(ValueError, match="features"):
        prior.predict(X[:3, :9])
    with pytest.raises(ValueError, match="n_samples"):
        prior.sample(0)


def test_input_never_modified(fitted):
    prior, X = fitted[:2]
    X = X[:100].copy()
    before = X.copy()
    prior.predict_proba(X, noise_var=0.1)
    GMMPatchPrior(2, patch_size=P, max_iter=3, random_state=0).fit(X)
    np.testing.assert_array_equal(X, before)


def test_from_covariances_rebuilds_a_fitted_prior_and_checks_its_input():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 16)) * np.linspace(0.2, 2, 16)
    fitted = GMMPatchPrior(3, patch_size=4, max_iter=5, random_state=0).fit(X)
    params = fitted.get_params()
    for space, covariances in [
        ("patch", fitted.covariances_),
        ("dc_free", dc_free_basis(16).T @ fitted.covariances_ @ dc_free_basis(16)),
    ]:
        rebuilt = GMMPatchPrior.from_covariances(
            fitted.weights_, covariances, space=space, **params
        )
        np.testing.assert_allclose(rebuilt.score_samples(X), fitted.score_samples(X), rtol=1e-8)
        assert rebuilt.n_features_in_ == 16 and rebuilt.n_iter_ == 0
    with pytest.raises(ValueError, match="shape"):
        GMMPatchPrior.from_covariances(fitted.weights_, fitted.covariances_[:2], patch_size=4)
    with pytest.raises(ValueError, match="patch_size"):
        GMMPatchPrior.from_covariances(fitted.weights_, fitted.covariances_, patch_size=3)
    with pytest.raises(ValueError, match="positive definite"):
        GMMPatchPrior.from_covariances(fitted.weights_, -fitted.covariances_, patch_size=4)
    with pytest.raises(ValueError, match="weights"):
        GMMPatchPrior.from_covariances([np.nan, 1, 1], fitted.covariances_, patch_size=4)
