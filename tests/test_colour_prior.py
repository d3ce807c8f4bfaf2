"""Colour patches: the prior over them, their grids, one likelihood per channel, and the
restoration of RGB images with a colour prior."""

import numpy as np
import pytest
from scipy.ndimage import convolve
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr

from skgate import (
    Blur,
    ChannelStack,
    EPLLRestorer,
    GaussianNoise,
    GMMPatchPrior,
    Inpainting,
    adapt_prior,
    deblur_epll,
    denoise_epll,
    inpaint_epll,
    load_default_network,
    load_default_prior,
    sample_patches,
)
from skgate._contracts import trusted_likelihood
from skgate._linalg import dc_free_basis
from skgate._patches import PatchGrid
from skgate.models import load_prior, save_prior

P = 4  # small patches keep the colour prior cheap to fit


@pytest.fixture(scope="module")
def photos():
    return [data.astronaut() / 255.0, data.coffee() / 255.0, data.chelsea() / 255.0]


@pytest.fixture(scope="module")
def colour_prior(photos):
    X = sample_patches(photos, 6000, P, random_state=0, colour=True)
    return GMMPatchPrior(6, patch_size=P, n_channels=3, max_iter=15, tol=0.1, random_state=0).fit(X)


@pytest.fixture(scope="module")
def rocket():
    return data.rocket()[40:104, 100:180] / 255.0


def test_dc_free_basis_removes_each_channels_mean():
    basis = dc_free_basis(12, n_channels=3)
    assert basis.shape == (12, 9)
    np.testing.assert_allclose(basis.T @ basis, np.eye(9), atol=1e-12)
    constants = np.kron(np.eye(3), np.ones((1, 4)))  # one constant patch per channel
    np.testing.assert_allclose(constants @ basis, 0, atol=1e-12)


def test_colour_prior_models_each_channel_without_its_mean(colour_prior, photos):
    assert colour_prior.eigvecs_.shape == (6, 3 * P * P, 3 * P * P - 3)
    X = sample_patches(photos, 50, P, random_state=1, colour=True)
    # the same patches with another mean colour: same posteriors and density
    shifted = X + np.repeat([0.2, -0.1, 0.05], P * P)
    np.testing.assert_allclose(colour_prior.predict_proba(shifted), colour_prior.predict_proba(X))
    np.testing.assert_allclose(colour_prior.score_samples(shifted), colour_prior.score_samples(X))
    # whereas a grey prior over the same rows removes only the mean of all of them
    grey_rows = GMMPatchPrior(2, patch_size=None, max_iter=5, random_state=0).fit(X)
    assert not np.allclose(grey_rows.score_samples(shifted), grey_rows.score_samples(X))


def test_colour_prior_learns_the_correlation_between_channels(colour_prior, photos):
    X = sample_patches(photos, 3000, P, random_state=2, colour=True)
    # patches whose channels are exchanged are far less likely than the photographs' own
    swapped = X.reshape(-1, 3, P * P)[:, [2, 0, 1]].reshape(len(X), -1)
    independent = X.reshape(-1, 3, P * P).copy()
    independent[:, 1] = np.random.default_rng(0).permutation(independent[:, 1])
    own = colour_prior.score(X)
    assert own > colour_prior.score(independent.reshape(len(X), -1)) + 5
    assert abs(own - colour_prior.score(swapped)) < 0.25 * abs(own)


def test_colour_prior_checks_its_feature_count():
    X = np.random.default_rng(0).random((50, 16))
    with pytest.raises(ValueError, match="n_channels=3 need"):
        GMMPatchPrior(2, patch_size=P, n_channels=3).fit(X)
    with pytest.raises(ValueError, match="does not split"):
        GMMPatchPrior(2, patch_size=None, n_channels=3).fit(X[:, :10])
    with pytest.raises(ValueError, match="n_channels"):
        GMMPatchPrior(2, n_channels=0).fit(X)


def test_colour_prior_file_round_trip_and_checks(colour_prior, tmp_path):
    path = tmp_path / "colour.npz"
    save_prior(colour_prior, path)
    loaded = load_prior(path)
    assert loaded.n_channels == 3 and loaded.patch_size == P
    np.testing.assert_allclose(loaded.covariances_, colour_prior.covariances_, atol=1e-6)
    # a file whose covariances have variance along one channel's constant is not skgate's
    arrays = dict(np.load(path, allow_pickle=False))
    upper = arrays["covariances_upper"].astype(np.float64)
    d = 3 * P * P
    rows, cols = np.triu_indices(d)
    constant = np.zeros(d)
    constant[P * P : 2 * P * P] = 1.0  # the green channel's DC
    leak = np.outer(constant, constant)[rows, cols]
    arrays["covariances_upper"] = (upper + leak).astype(np.float32)
    np.savez(tmp_path / "leaky.npz", **arrays)
    with pytest.raises(ValueError, match="DC direction"):
        load_prior(tmp_path / "leaky.npz")
    # a version-1 file (before colour priors) has no n_channels: a grey prior
    grey = GMMPatchPrior.from_covariances([1.0], [np.eye(P * P)], patch_size=P)
    save_prior(grey, tmp_path / "grey.npz")
    arrays = dict(np.load(tmp_path / "grey.npz", allow_pickle=False))
    del arrays["n_channels"]
    arrays["format_version"] = np.array(1)
    np.savez(tmp_path / "v1.npz", **arrays)
    assert load_prior(tmp_path / "v1.npz").n_channels == 1


def test_sample_patches_colour_layout_and_symmetries():
    image = np.random.default_rng(0).random((6, 7, 3))
    patches = sample_patches(image, 200, 3, random_state=0, colour=True)
    assert patches.shape == (200, 27)
    windows = {
        tuple(image[r : r + 3, c : c + 3].transpose(2, 0, 1).ravel())
        for r in range(4)
        for c in range(5)
    }
    assert {tuple(row) for row in patches} <= windows  # channel-major rows of windows
    # channels that are functions of the red one keep that relation only if every channel of
    # a patch gets the same symmetry
    red = np.random.default_rng(1).random((6, 7))
    related = np.stack([red, red + 10.0, 2.0 * red], axis=-1)
    augmented = sample_patches(related, 200, 3, random_state=0, colour=True, augment=True)
    r, g, b = augmented.reshape(200, 3, 9).transpose(1, 0, 2)
    np.testing.assert_allclose(g, r + 10.0)
    np.testing.assert_allclose(b, 2.0 * r)
    plain = sample_patches(related, 200, 3, random_state=0, colour=True)
    assert not np.allclose(augmented, plain)  # the symmetries did move patches
    with pytest.raises(ValueError, match="colour"):
        sample_patches(np.zeros((8, 8)), 5, 3, colour=True)


@pytest.mark.parametrize("stride", [1, 3])
def test_colour_patch_grid_is_the_channels_side_by_side_and_adjoint(stride):
    rng = np.random.default_rng(0)
    image = rng.random((13, 17, 3))
    grid = PatchGrid((13, 17), 4, stride, (1, 2), n_channels=3)
    grey = PatchGrid((13, 17), 4, stride, (1, 2))
    patches = grid.extract(image)
    expected = np.concatenate([grey.extract(image[..., c]) for c in range(3)], axis=1)
    np.testing.assert_array_equal(patches, expected)
    Z = rng.random(patches.shape)
    out = grid.aggregate_into(np.zeros(grid.array_shape), Z)
    assert np.isclose(np.vdot(patches, Z), np.vdot(image, out))


def test_channel_stack_solves_each_channel_with_its_likelihood(rocket):
    mask = np.zeros(rocket.shape[:2], dtype=bool)
    mask[::3] = True
    channels = [GaussianNoise(0.05), Inpainting(mask, sigma=0.05), Blur(np.ones((3, 3)) / 9, 0.05)]
    stack = ChannelStack(channels)
    assert trusted_likelihood(stack) and stack.tile_margin == channels[2].tile_margin
    y = stack.check_observation(rocket)
    patch_sum = np.random.default_rng(0).random(rocket.shape)
    weight = np.full(rocket.shape, 16.0)
    solved = stack.solve(y, patch_sum, weight, 1.0, 50.0, x0=rocket)
    for c, likelihood in enumerate(channels):
        one = likelihood.solve(
            y[..., c], patch_sum[..., c], weight[..., c], 1.0, 50.0, x0=rocket[..., c]
        )
        np.testing.assert_allclose(solved[..., c], one)
    with pytest.raises(ValueError, match="one noise level"):
        ChannelStack([GaussianNoise(0.1), GaussianNoise(0.2)])
    with pytest.raises(ValueError, match=r"\(M, N, 3\)"):
        stack.check_observation(rocket[..., :2])


@pytest.fixture(scope="module")
def restorer(colour_prior):
    return EPLLRestorer(colour_prior, stride=2, scales=1)


def test_colour_prior_denoises_rgb_images(restorer, rocket, noisy_version):
    noisy = noisy_version(rocket, 0.1)
    out = restorer.restore(noisy, GaussianNoise(0.1), channel_axis=-1)
    assert out.shape == noisy.shape
    assert psnr(rocket, out, data_range=1) > psnr(rocket, noisy, data_range=1) + 6
    # channels first give the same image
    first = restorer.restore(np.moveaxis(noisy, -1, 0), GaussianNoise(0.1), channel_axis=0)
    np.testing.assert_allclose(np.moveaxis(first, 0, -1), out)
    # tiles restore the same image up to their seams
    tiled = restorer.set_params(tile_shape=32).restore(noisy, GaussianNoise(0.1), channel_axis=-1)
    restorer.set_params(tile_shape=None)
    assert abs(psnr(rocket, tiled, data_range=1) - psnr(rocket, out, data_range=1)) < 0.1
    # the three scales and adaptation work on colour patches too
    both = EPLLRestorer(restorer.prior, stride=2, scales=3, adapt=1)
    fused = both.restore(noisy, GaussianNoise(0.1), channel_axis=-1)
    assert psnr(rocket, fused, data_range=1) > psnr(rocket, noisy, data_range=1) + 6


def test_colour_prior_inpaints_and_deblurs(restorer, rocket):
    rng = np.random.default_rng(1)
    missing = rng.random(rocket.shape[:2]) < 0.5
    observed = np.where(missing[..., None], np.nan, rocket)
    filled = restorer.restore(observed, Inpainting(missing), channel_axis=-1)
    assert np.all(np.isfinite(filled))
    assert np.abs(filled - rocket)[missing].mean() < 0.03
    kernel = np.ones((5, 5)) / 25
    blurred = np.stack([convolve(rocket[..., c], kernel, mode="wrap") for c in range(3)], -1)
    blurred += 0.01 * rng.standard_normal(blurred.shape)
    sharp = restorer.restore(blurred, Blur(kernel, 0.01), channel_axis=-1)
    assert psnr(rocket, sharp, data_range=1) > psnr(rocket, blurred, data_range=1) + 1.5


def test_colour_prior_needs_three_channels(restorer, rocket):
    with pytest.raises(ValueError, match="3 channels"):
        restorer.restore(rocket[..., 0], GaussianNoise(0.1))
    with pytest.raises(ValueError, match="3 channels"):
        restorer.restore(rocket[..., :2], GaussianNoise(0.1), channel_axis=-1)


def test_colour_prior_runs_on_dask_arrays(restorer, rocket, noisy_version):
    da = pytest.importorskip("dask.array")
    noisy = noisy_version(rocket, 0.1)
    lazy = restorer.restore(
        da.from_array(noisy, chunks=(64, 80, 3)), GaussianNoise(0.1), channel_axis=-1
    )
    np.testing.assert_allclose(
        lazy.compute(), restorer.restore(noisy, GaussianNoise(0.1), channel_axis=-1)
    )


def test_grey_prior_keeps_restoring_colour_channel_by_channel(
    prior, rocket, noisy_version, monkeypatch
):
    noisy = noisy_version(rocket, 0.1)
    explicit = denoise_epll(noisy, 0.1, channel_axis=-1, prior=prior, stride=4, scales=1)
    monkeypatch.setattr("skgate._colour.COLOUR_PRIOR_BY_DEFAULT", False)
    per_channel = denoise_epll(noisy, 0.1, channel_axis=-1, stride=4, scales=1)
    np.testing.assert_array_equal(explicit, per_channel)


def test_adapt_prior_to_a_colour_image(colour_prior, rocket):
    adapted = adapt_prior(colour_prior, rocket, stride=2)
    assert adapted.n_channels == 3
    patches = PatchGrid(rocket.shape[:2], P, 2, n_channels=3).extract(rocket)
    assert adapted.score(patches) > colour_prior.score(patches)
    with pytest.raises(ValueError, match=r"\(M, N, 3\)"):
        adapt_prior(colour_prior, rocket[..., 0])


def _kernels_per_channel():
    box5 = np.ones((5, 5)) / 25
    box3 = np.pad(np.ones((3, 3)) / 9, 1)
    delta = np.pad([[1.0]], 2)
    return np.stack([box5, box3, delta], axis=-1)


def test_a_mask_per_channel_with_the_grey_prior_restores_each_channel_alone(prior, rocket):
    missing = np.random.default_rng(2).random(rocket.shape) < 0.4
    observed = np.where(missing, np.nan, rocket)
    betas = [50.0, 500.0, 5000.0]
    filled = inpaint_epll(observed, missing, channel_axis=-1, prior=prior, betas=betas)
    for c in range(3):
        alone = inpaint_epll(observed[..., c], missing[..., c], prior=prior, betas=betas)
        np.testing.assert_allclose(filled[..., c], alone, atol=1e-6)
    with pytest.raises(ValueError, match="pass channel_axis"):
        inpaint_epll(observed[..., 0], missing)


def test_a_kernel_per_channel(prior, colour_prior, rocket):
    kernels = _kernels_per_channel()
    stack = ChannelStack([Blur(kernels[..., c], 0.01) for c in range(3)])
    blurred = stack.forward(rocket) + 0.01 * np.random.default_rng(3).standard_normal(rocket.shape)
    for which in (prior, colour_prior):
        sharp = deblur_epll(blurred, kernels, 0.01, channel_axis=-1, prior=which)
        assert psnr(rocket, sharp, data_range=1) > psnr(rocket, blurred, data_range=1) + 1
    # with the grey prior each channel is deblurred alone, with its own kernel
    sharp = deblur_epll(blurred, kernels, 0.01, channel_axis=-1, prior=prior)
    alone = deblur_epll(blurred[..., 0], kernels[..., 0], 0.01, prior=prior)
    np.testing.assert_allclose(sharp[..., 0], alone, atol=1e-6)
    # channels first: the kernels are stacked on the same axis as the image's channels
    first = deblur_epll(
        np.moveaxis(blurred, -1, 0),
        np.moveaxis(kernels, -1, 0),
        0.01,
        channel_axis=0,
        prior=prior,
    )
    np.testing.assert_allclose(np.moveaxis(first, 0, -1), sharp, atol=1e-6)
    with pytest.raises(ValueError, match="pass channel_axis"):
        deblur_epll(blurred[..., 0], kernels, 0.01)


def test_the_shipped_colour_prior_as_the_default_when_switched_on(
    prior, rocket, noisy_version, monkeypatch
):
    noisy = noisy_version(rocket[:40, :40], 0.1)
    options = {"stride": 4, "scales": 1, "betas": [100.0, 400.0]}
    colour = load_default_prior(colour=True)
    monkeypatch.setattr("skgate._colour.COLOUR_PRIOR_BY_DEFAULT", True)
    default = denoise_epll(noisy, 0.1, channel_axis=-1, **options)
    np.testing.assert_array_equal(
        default, denoise_epll(noisy, 0.1, channel_axis=-1, prior=colour, **options)
    )
    # the shipped colour network gates the colour prior's patches
    network = denoise_epll(noisy, 0.1, channel_axis=-1, gating="network", **options)
    colour_network = load_default_network(colour=True)
    np.testing.assert_array_equal(
        network,
        denoise_epll(noisy, 0.1, channel_axis=-1, gating=colour_network, prior=colour, **options),
    )
    # two channels keep the grey prior
    two = denoise_epll(noisy[..., :2], 0.1, channel_axis=-1, **options)
    np.testing.assert_array_equal(
        two, denoise_epll(noisy[..., :2], 0.1, channel_axis=-1, prior=prior, **options)
    )


def test_the_shipped_colour_network_gates_like_the_colour_prior(photos):
    network = load_default_network(colour=True)
    colour = load_default_prior(colour=True)
    assert network.filters_.shape == (100, 192)
    assert network.prior_.n_channels == 3 and network.prior_.n_components == 200
    # the file alone attaches the shipped colour prior, as the grey network's does the grey one
    from skgate.models import default_colour_network_path, load_network

    assert load_network(default_colour_network_path()).prior_.n_channels == 3
    # on noisy colour patches it picks the exact posterior's component most of the time
    # (0.71 measured; chance is 1/200)
    clean = sample_patches(photos, 2000, 8, random_state=4, colour=True)
    noisy = clean + 0.1 * np.random.default_rng(5).standard_normal(clean.shape)
    exact = colour.predict(noisy, noise_var=0.01)
    agreement = np.mean(network.predict(noisy, noise_var=0.01) == exact)
    assert agreement > 0.5
    # named, with the colour prior: the same network gates
    noisy_image = photos[0][:40, :40] + 0.1 * np.random.default_rng(6).standard_normal((40, 40, 3))
    options = dict(sigma=0.1, channel_axis=-1, prior=colour, stride=4, scales=1)
    named = denoise_epll(noisy_image, gating="network", **options)
    np.testing.assert_array_equal(named, denoise_epll(noisy_image, gating=network, **options))
