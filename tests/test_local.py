"""The local-statistics second stage (``second_stage``): its groups' Gaussians, its filters,
and the restoration through every route (likelihoods, gating, tiles, channels, progress)."""

import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr
from sklearn.base import clone

from skgate import (
    Blur,
    EPLLRestorer,
    ExactGating,
    GaussianNoise,
    LocalStatistics,
    deblur_epll,
    denoise_epll,
    gaussian_kernel,
    inpaint_epll,
    load_default_prior,
)
from skgate import _epll as epll
from skgate._local import BETA_FACTORS, LocalGroups
from skgate._patches import PatchGrid
from skgate._tables import MixtureTables

SIGMA = 0.1


@pytest.fixture(scope="module")
def photo():
    """A crop with texture and edges: the stage's gain shows on such images."""
    return data.camera()[60:188, 120:248] / 255.0


@pytest.fixture(scope="module")
def noisy(photo, noisy_version):
    return noisy_version(photo, SIGMA, seed=3)


@pytest.fixture(scope="module")
def groups(prior, photo):
    tables = MixtureTables(prior)
    grid = PatchGrid(photo.shape, 8, 1)
    stage = LocalStatistics(window=32, relevance=4.0)
    found = LocalGroups(photo, grid, ExactGating(tables), tables, 1e-3, stage, 5000)
    return found, tables, grid, stage


def test_settings_are_checked_with_the_argument_named():
    with pytest.raises(ValueError, match="window"):
        LocalStatistics(window=0)
    with pytest.raises(TypeError, match="window"):
        LocalStatistics(window=32.5)
    with pytest.raises(ValueError, match="relevance"):
        LocalStatistics(relevance=0.0)
    with pytest.raises(ValueError, match="relevance"):
        LocalStatistics(relevance=np.inf)
    with pytest.raises(TypeError, match="relevance"):
        LocalStatistics(relevance="16")
    image = np.zeros((32, 32))
    with pytest.raises(ValueError, match="second_stage"):
        denoise_epll(image, 0.1, second_stage="global")
    with pytest.raises(ValueError, match="second_stage"):
        denoise_epll(image, 0.1, second_stage={"window": 32})
    with pytest.raises(ValueError, match="window=4 is smaller than the 8x8"):
        denoise_epll(image, 0.1, second_stage=LocalStatistics(window=4))


def test_every_group_is_one_label_in_one_window(groups):
    found, tables, grid, stage = groups
    rows, cols = np.meshgrid(grid.rows // stage.window, grid.cols // stage.window, indexing="ij")
    windows = (rows * (cols.max() + 1) + cols).ravel()
    for g in range(found.n_groups):
        members = found.groups == g
        assert len(np.unique(windows[members])) == 1
    # A group's patches all have its component's label, and no two groups share both.
    pairs = {(w, h) for w, h in zip(windows, found.components[found.groups], strict=True)}
    assert len(pairs) == found.n_groups


def test_a_groups_gaussian_is_its_patches_statistics_shrunk_towards_its_component(groups):
    found, tables, grid, stage = groups
    coords = tables.to_subspace(grid.extract(_photo_of(grid, found), dtype=np.float32))
    coords = coords.astype(np.float64)
    counts = np.bincount(found.groups)
    for g in [int(np.argmax(counts)), int(np.argmin(counts))]:
        members = coords[found.groups == g]
        mean = members.mean(axis=0)
        centred = members - mean
        h = found.components[g]
        learned = (tables.eigvecs[h] * tables.eigvals[h]) @ tables.eigvecs[h].T
        expected = (centred.T @ centred + stage.relevance * learned) / (
            len(members) + stage.relevance
        )
        vectors = tables.basis.T @ found.projections[g].astype(np.float64)
        covariance = (vectors * found.eigvals[g]) @ vectors.T
        np.testing.assert_allclose(covariance, expected, atol=2e-5 * np.abs(expected).max())
        np.testing.assert_allclose(tables.basis.T @ found.centres[g], mean, atol=1e-5)


def _photo_of(grid, found):
    """The image the module fixture grouped (the same crop as ``photo``)."""
    return data.camera()[60:188, 120:248] / 255.0


def test_estimates_are_the_groups_wiener_filters_with_the_mean_passing_through(groups):
    found, tables, grid, _ = groups
    rng = np.random.default_rng(1)
    rows = slice(3, 5)
    patches = grid.extract(_photo_of(grid, found), rows, dtype=np.float32)
    patches = patches + rng.normal(0, 0.05, patches.shape).astype(np.float32)
    before = patches.copy()
    noise_var = 0.01
    out = found.estimate(patches, rows, found.shrinkage(noise_var))
    np.testing.assert_array_equal(patches, before)  # its input is left alone
    groups_here = found.groups[found._where(rows)]
    basis = tables.basis
    for i in rng.choice(len(patches), 5, replace=False):
        g = groups_here[i]
        vectors = basis.T @ found.projections[g].astype(np.float64)
        covariance = (vectors * found.eigvals[g]) @ vectors.T
        wiener = covariance @ np.linalg.inv(covariance + noise_var * np.eye(len(covariance)))
        mean = basis.T @ found.centres[g]
        z = basis.T @ patches[i].astype(np.float64)
        dc = patches[i] - basis @ z
        expected = dc + basis @ (mean + wiener @ (z - mean))
        np.testing.assert_allclose(out[i], expected, atol=1e-4)


def test_the_stage_restores_a_photograph_better(photo, noisy):
    before = noisy.copy()
    first = denoise_epll(noisy, SIGMA)
    second = denoise_epll(noisy, SIGMA, second_stage="local")
    np.testing.assert_array_equal(noisy, before)
    assert psnr(photo, second, data_range=1) > psnr(photo, first, data_range=1) + 0.05
    # "local" is the default LocalStatistics
    same = denoise_epll(noisy, SIGMA, second_stage=LocalStatistics())
    np.testing.assert_array_equal(same, second)


def test_the_gating_network_chooses_the_labels_as_well(photo, noisy):
    first = denoise_epll(noisy, SIGMA, gating="network")
    second = denoise_epll(noisy, SIGMA, gating="network", second_stage="local")
    assert psnr(photo, second, data_range=1) > psnr(photo, first, data_range=1) + 0.05


def test_a_users_gating_labels_are_checked_in_the_stage_too(prior, noisy):
    tables = MixtureTables(prior)

    class BrokenOnEveryPatch(ExactGating):
        """Exact on the first pass's stride-8 grid, out of range on the stage's stride 1."""

        calls = 0

        def assign(self, patches, noise_var):
            labels = super().assign(patches, noise_var)
            if len(patches) > 1000:  # the stage's grid: every patch of the image
                BrokenOnEveryPatch.calls += 1
                return np.full(len(patches), tables.n_components)
            return labels

    restorer = EPLLRestorer(
        gating=BrokenOnEveryPatch(tables), stride=8, scales=1, second_stage="local"
    )
    with pytest.raises(ValueError, match="label"):
        restorer.restore(noisy, GaussianNoise(SIGMA))
    assert BrokenOnEveryPatch.calls == 1


def test_every_likelihood_runs_the_stage(photo, noisy_version):
    kernel = gaussian_kernel(1.2)
    blurred = noisy_version(Blur(kernel, 0.01).forward(photo), 0.01, seed=4)
    first = deblur_epll(blurred, kernel, 0.01)
    second = deblur_epll(blurred, kernel, 0.01, second_stage="local")
    assert second.shape == photo.shape and np.all(np.isfinite(second))
    assert np.abs(second - first).max() > 1e-3  # the stage changed the image
    assert psnr(photo, second, data_range=1) > psnr(photo, blurred, data_range=1) + 1

    missing = np.random.default_rng(5).random(photo.shape) < 0.4
    observed = np.where(missing, 0.0, photo)
    first = inpaint_epll(observed, missing)
    filled = inpaint_epll(observed, missing, second_stage="local")
    assert np.all(np.isfinite(filled)) and np.abs(filled - first).max() > 1e-3
    # the known pixels stay (the likelihood's image step), the missing ones are filled
    assert np.abs(filled - photo)[~missing].max() < 0.05
    assert psnr(photo, filled, data_range=1) > 25


def test_tiles_and_big_images_restore_as_one_piece(photo, noisy, monkeypatch):
    whole = denoise_epll(noisy, SIGMA, second_stage="local")
    tiled = denoise_epll(noisy, SIGMA, second_stage="local", tile_shape=72, n_jobs=2)
    assert abs(psnr(photo, tiled, data_range=1) - psnr(photo, whole, data_range=1)) < 0.15
    # An image too large for the groups' memory budget is refined in tiles of its own.
    settings = EPLLRestorer(second_stage="local")._settings_for(GaussianNoise(SIGMA))
    assert settings._stage_layout(photo.shape, GaussianNoise(SIGMA), 8) is None
    monkeypatch.setattr(epll, "_STAGE_MEMORY", 64 * 3 * 8 * 64**2)  # one window per tile
    layout = settings._stage_layout(photo.shape, GaussianNoise(SIGMA), 8)
    assert layout is not None and len(layout) == 4
    pieces = denoise_epll(noisy, SIGMA, second_stage=LocalStatistics(window=64))
    assert abs(psnr(photo, pieces, data_range=1) - psnr(photo, whole, data_range=1)) < 0.15


def test_progress_counts_the_stage_and_the_callback_numbers_its_iterations(noisy):
    counts, iterations = [], []
    restorer = EPLLRestorer(second_stage="local")
    restorer.restore(
        noisy,
        GaussianNoise(SIGMA),
        progress=lambda done, total: counts.append((done, total)),
        callback=lambda iteration, beta, x: iterations.append((iteration, beta)),
    )
    assert counts == [(k, 9) for k in range(1, 10)]
    assert [i for i, _ in iterations] == list(range(9))
    betas = np.array([b for _, b in iterations])
    assert np.all(np.diff(betas[:5]) > 0)  # the schedule, then the stage's around its last
    np.testing.assert_allclose(betas[5:], betas[4] * np.array(BETA_FACTORS))
    tiled = []
    EPLLRestorer(second_stage="local", tile_shape=72, n_jobs=1).restore(
        noisy, GaussianNoise(SIGMA), progress=lambda done, total: tiled.append((done, total))
    )
    totals = {total for _, total in tiled}
    assert len(totals) == 1 and [d for d, _ in tiled] == list(range(1, len(tiled) + 1))


def test_colour_images_run_the_stage_on_each_route(noisy_version):
    photo = data.astronaut()[100:164, 180:244] / 255.0
    noisy = noisy_version(photo, SIGMA, seed=6)
    first = denoise_epll(noisy, SIGMA, channel_axis=-1)
    second = denoise_epll(noisy, SIGMA, channel_axis=-1, second_stage="local")
    assert second.shape == photo.shape
    assert psnr(photo, second, data_range=1) > psnr(photo, first, data_range=1)
    colour = load_default_prior(colour=True)
    patches = denoise_epll(noisy, SIGMA, channel_axis=-1, prior=colour, second_stage="local")
    assert patches.shape == photo.shape and np.all(np.isfinite(patches))


def test_the_restorer_keeps_the_stage_as_a_parameter():
    restorer = EPLLRestorer(second_stage=LocalStatistics(window=48))
    assert clone(restorer).get_params()["second_stage"] == LocalStatistics(window=48)
    assert EPLLRestorer().get_params()["second_stage"] is None
