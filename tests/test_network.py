import numpy as np
import pytest
from scipy.optimize import check_grad

from skgate import GMMPatchPrior, sample_patches
from skgate._gating import NetworkGating
from skgate._gating_loss import loss_and_grad
from skgate._network import GatingNetwork
from skgate._tables import MixtureTables


@pytest.fixture(scope="module")
def teacher_and_patches():
    from skimage import data

    X = sample_patches([data.camera(), data.moon()], 6000, 4, random_state=0)
    prior = GMMPatchPrior(6, patch_size=4, random_state=0).fit(X)
    return prior, X


def test_analytic_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    n, d, F, K = 40, 5, 4, 3
    coords = rng.standard_normal((n, d))
    teacher = rng.dirichlet(np.ones(K), size=n)
    shapes = [(F, d), (K, F), (K,)]
    theta = rng.standard_normal(F * d + K * F + K) * 0.3

    def f(t):
        return loss_and_grad(t, shapes, coords, teacher)[0]

    def g(t):
        return loss_and_grad(t, shapes, coords, teacher)[1]

    assert check_grad(f, g, theta) < 1e-6 * max(1.0, np.linalg.norm(g(theta)))


def test_network_learns_the_teacher(teacher_and_patches):
    prior, X = teacher_and_patches
    net = GatingNetwork(
        prior, n_filters=20, batch_size=3000, n_batches=4, random_state=0, noise_levels=[0.0, 0.01]
    )
    net.fit(X)
    assert net.filters_.shape == (20, 16) and net.weights_.shape == (2, 6, 20)
    np.testing.assert_allclose(net.filters_.sum(axis=1), 0, atol=1e-10)  # DC-blind
    assert net.loss_curve_[-1] < net.loss_curve_[0] or net.loss_curve_[0] < 0.3
    held_out = X[-1000:]
    assert net.score(held_out) > 0.8
    proba = net.predict_proba(held_out)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert net.cross_entropy(held_out) < np.log(6)
    noisy = held_out + 0.1 * np.random.default_rng(1).standard_normal(held_out.shape)
    assert net.level_index(0.011) == 1 and net.level_index(1e-5) == 0
    assert net.score(noisy, noise_var=0.01) > 0.7
    # the noisy head is better on noisy patches than the clean head would be
    exact = prior.predict(noisy, noise_var=0.01)
    assert np.mean(net.predict(noisy, noise_var=0.01) == exact) > np.mean(
        net.predict(noisy, noise_var=0.0) == exact
    )


def test_network_gating_strategy_agrees_with_predict(teacher_and_patches):
    prior, X = teacher_and_patches
    net = GatingNetwork(prior, n_filters=10, batch_size=2000, n_batches=1, random_state=0).fit(X)
    tables = MixtureTables(prior)
    patches = X[:500].astype(np.float32)
    labels = NetworkGating(net, tables).assign(patches, 0.0)
    assert np.mean(labels == net.predict(X[:500])) > 0.99
    # a patch's mean does not move its component
    shifted = NetworkGating(net, tables).assign(patches + np.float32(0.3), 0.0)
    assert np.mean(shifted == labels) > 0.99


def test_rescoring_the_networks_top_k_with_the_exact_posterior(teacher_and_patches):
    from skgate._gating import ExactGating

    prior, X = teacher_and_patches
    net = GatingNetwork(prior, n_filters=3, batch_size=2000, n_batches=1, random_state=0).fit(X)
    tables = MixtureTables(prior)
    rng = np.random.default_rng(2)
    patches = (X[:800] + 0.05 * rng.standard_normal((800, 16))).astype(np.float32)
    coords = tables.to_subspace(patches)
    candidates = rng.integers(0, 6, size=(800, 3))
    full = tables.log_posterior(coords, 0.0025)
    np.testing.assert_allclose(
        tables.log_posterior_of(patches, candidates, 0.0025),
        np.take_along_axis(full, candidates, axis=1),
        rtol=1e-4,
        atol=1e-2,
    )
    exact = ExactGating(tables).assign(patches, 0.0025)
    agreement = [
        np.mean(NetworkGating(net, tables, top_k=k).assign(patches, 0.0025) == exact)
        for k in (1, 2, 6)
    ]
    # a weak network (3 filters) improves as the exact posterior gets more candidates;
    # with every component as a candidate it is exact gating
    assert agreement[0] < agreement[1] < agreement[2] == 1.0
    np.testing.assert_array_equal(
        NetworkGating(net, tables, top_k=1).assign(patches, 0.0025),
        NetworkGating(net, tables).assign(patches, 0.0025),
    )
    for bad in (0, 7, 2.5, "3"):
        with pytest.raises(ValueError, match="top_k"):
            NetworkGating(net, tables, top_k=bad)


def test_network_save_load_roundtrip_and_validation(teacher_and_patches, tmp_path):
    from skgate.models import ModelFileError, load_network, save_network

    prior, X = teacher_and_patches
    net = GatingNetwork(prior, n_filters=8, batch_size=2000, n_batches=1, random_state=0)
    net.set_params(noise_levels=[0.0, 0.01]).fit(X)
    save_network(net, tmp_path / "net.npz")
    loaded = load_network(tmp_path / "net.npz", prior=prior)
    np.testing.assert_allclose(
        loaded.decision_function(X[:100]), net.decision_function(X[:100]), rtol=1e-4, atol=1e-4
    )
    assert loaded.score(X[:500]) == pytest.approx(net.score(X[:500]), abs=0.01)
    with np.load(tmp_path / "net.npz") as archive:
        arrays = {k: archive[k] for k in archive.files}
    bad = dict(arrays, weights=arrays["weights"][:, :, :3])
    np.savez(tmp_path / "bad.npz", **bad)
    with pytest.raises(ModelFileError, match="disagree"):
        load_network(tmp_path / "bad.npz", prior=prior)
    bad = dict(arrays, noise_levels=arrays["noise_levels"][::-1].copy())
    np.savez(tmp_path / "bad.npz", **bad)
    with pytest.raises(ModelFileError, match="increasing"):
        load_network(tmp_path / "bad.npz", prior=prior)
    bad = dict(arrays, format=np.array("skgate.GMMPatchPrior"))
    np.savez(tmp_path / "bad.npz", **bad)
    with pytest.raises(ModelFileError, match="GatingNetwork"):
        load_network(tmp_path / "bad.npz", prior=prior)
    with pytest.raises(ValueError, match="components"):
        load_network(tmp_path / "net.npz", prior=GMMPatchPrior(2, patch_size=4).fit(X[:500]))


def test_warm_start_continues_from_the_fitted_network(teacher_and_patches):
    prior, X = teacher_and_patches
    options = dict(n_filters=10, batch_size=2000, n_batches=2, max_iter=15, random_state=0)
    net = GatingNetwork(prior, noise_levels=[0.0, 0.01], **options).fit(X)
    first = net.cross_entropy(X[-1000:])
    filters = net.filters_.copy()
    net.set_params(warm_start=True, n_batches=2).fit(X)
    assert net.cross_entropy(X[-1000:]) < first  # it went on, not back to the start
    assert not np.array_equal(net.filters_, filters)
    cold = GatingNetwork(prior, noise_levels=[0.0, 0.01], **options).fit(X)
    np.testing.assert_array_equal(cold.filters_, filters)  # reproducible from the seed
    with pytest.raises(ValueError, match="warm_start"):
        net.set_params(n_filters=5).fit(X)


def test_heads_are_interpolated_between_trained_levels(teacher_and_patches):
    prior, X = teacher_and_patches
    net = GatingNetwork(
        prior,
        n_filters=6,
        batch_size=2000,
        n_batches=1,
        max_iter=10,
        random_state=0,
        noise_levels=[0.0, 0.01, 0.04],
    ).fit(X)
    for index, level in enumerate([0.0, 0.01, 0.04]):
        W, c = net.head(level)
        np.testing.assert_allclose(W, net.weights_[index])
        np.testing.assert_allclose(c, net.offsets_[index])
    # between 0.01 and 0.04, in log scale floored at a quarter of the smallest level
    floor = 0.01 / 4
    t = np.log((0.02 + floor) / (0.01 + floor)) / np.log((0.04 + floor) / (0.01 + floor))
    W, c = net.head(0.02)
    np.testing.assert_allclose(W, (1 - t) * net.weights_[1] + t * net.weights_[2])
    np.testing.assert_allclose(net.head(1.0)[0], net.weights_[2])  # beyond: the last level
    logits = net.decision_function(X[:5], noise_var=0.02)
    expected = (1 - t) * net.decision_function(X[:5], 0.01) + t * net.decision_function(X[:5], 0.04)
    np.testing.assert_allclose(logits, expected, rtol=1e-6, atol=1e-6)


def test_fit_heads_on_epll_patches_lowers_their_cross_entropy(teacher_and_patches):
    from skimage import data

    from skgate._train import epll_patches

    prior, X = teacher_and_patches
    levels = [0.0, 0.002, 0.008, 0.03]
    # seeded: on a set this small a few unseeded starts (about 1 in 100) overfit the
    # heads, giving a handful of high-contrast held-out patches extreme logits
    net = GatingNetwork(
        prior,
        n_filters=8,
        batch_size=3000,
        n_batches=2,
        max_iter=20,
        noise_levels=levels,
        random_state=0,
    ).fit(X)
    images = [data.camera()[:64, :64], data.moon()[:64, :64]]
    patches, noise_var = epll_patches(images, prior, sigmas=(0.1,), per_step=300, stride=2)
    assert patches.shape[1] == 16 and patches.shape[0] == noise_var.shape[0]
    np.testing.assert_allclose(patches.sum(axis=1), 0, atol=1e-5)  # DC removed
    beta_0 = 1 / 0.1**2  # the schedule starts at 1 / sigma^2 and doubles
    assert np.isclose(noise_var.max(), 1 / beta_0)
    # the same call is reproducible
    again, _ = epll_patches(images, prior, sigmas=(0.1,), per_step=300, stride=2)
    np.testing.assert_array_equal(patches, again)

    train = np.arange(len(patches)) % 2 == 0
    test = ~train

    def held_out_cross_entropy(network):
        total = 0.0
        for var in np.unique(noise_var[test]):
            rows = test & (noise_var == var)
            total += rows.sum() * network.cross_entropy(patches[rows], var)
        return total / test.sum()

    before = held_out_cross_entropy(net)
    filters, noisiest_head = net.filters_.copy(), net.weights_[3].copy()
    net.fit_heads(patches[train], noise_var[train], min_rows=50)
    assert held_out_cross_entropy(net) < before
    np.testing.assert_array_equal(net.filters_, filters)  # filters fixed
    # no row is nearer to 0.03 than to 0.008 (the largest 1/beta is 0.01): that level is kept
    np.testing.assert_array_equal(net.weights_[3], noisiest_head)
    with pytest.raises(ValueError, match="one variance per row"):
        net.fit_heads(patches[:10], noise_var[:9])
    with pytest.raises(ValueError, match="finite"):
        net.fit_heads(patches[:2], [np.nan, 0.01])


def test_filters_trained_on_noisy_patches(teacher_and_patches):
    prior, X = teacher_and_patches
    params = dict(n_filters=6, batch_size=2000, n_batches=2, max_iter=20, random_state=0)
    levels = [0.0, 0.001, 0.01]
    default = GatingNetwork(prior, noise_levels=levels, **params).fit(X)
    # filter_noise at the lowest level is what the default does
    lowest = GatingNetwork(prior, noise_levels=levels, filter_noise=0.0, **params).fit(X)
    np.testing.assert_array_equal(default.filters_, lowest.filters_)
    np.testing.assert_array_equal(default.weights_, lowest.weights_)
    noisy = GatingNetwork(prior, noise_levels=levels, filter_noise=0.01, **params).fit(X)
    assert noisy.weights_.shape == default.weights_.shape
    assert not np.allclose(noisy.filters_, default.filters_)
    # its output layer at 0.01 is the one trained with the filters; trained at one level only,
    # the same filters and layer come out
    alone = GatingNetwork(prior, noise_levels=[0.01], **params).fit(X)
    np.testing.assert_allclose(noisy.filters_, alone.filters_)
    np.testing.assert_allclose(noisy.weights_[2], alone.weights_[0])
    # on noisy patches, filters trained on noisy patches agree better with exact gating
    rng = np.random.default_rng(5)
    test = X[-1500:] + 0.1 * rng.standard_normal(X[-1500:].shape)
    assert noisy.score(test, noise_var=0.01) > default.score(test, noise_var=0.01)
    with pytest.raises(ValueError, match="filter_noise"):
        GatingNetwork(prior, filter_noise=-1.0).fit(X)
