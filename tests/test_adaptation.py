import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr

from skgate import EPLLRestorer, GaussianNoise, adapt_prior, load_default_prior
from skgate._patches import extract_patches
from skgate._tables import MixtureTables


@pytest.fixture(scope="module")
def prior():
    return load_default_prior()


@pytest.fixture(scope="module")
def stripes():
    """Barbara-like texture: oblique stripes, which the learned prior knows only in general."""
    rows, cols = np.mgrid[0:96, 0:96]
    return 0.5 + 0.3 * np.sin(0.9 * rows + 0.5 * cols)


def test_adapted_prior_explains_the_image_better_and_leaves_the_prior_alone(prior, stripes):
    before = prior.covariances_.copy()
    adapted = adapt_prior(prior, stripes)
    np.testing.assert_array_equal(prior.covariances_, before)
    patches = extract_patches(stripes, 8, stride=3)
    assert adapted.score_samples(patches).mean() > prior.score_samples(patches).mean() + 5
    # the same mixture otherwise: weights, shapes, a valid (positive-definite) prior
    np.testing.assert_array_equal(adapted.weights_, prior.weights_)
    assert adapted.covariances_.shape == prior.covariances_.shape
    assert np.all(adapted.eigvals_ > 0)


def test_only_the_components_the_image_uses_move(prior, stripes):
    tables = MixtureTables(prior)
    coords = tables.to_subspace(extract_patches(stripes, 8, stride=1))
    used = np.unique(np.argmax(tables.log_posterior(coords, 0.0), axis=1))
    unused = np.setdiff1d(np.arange(prior.n_components), used)
    adapted = adapt_prior(prior, stripes)
    np.testing.assert_allclose(adapted.covariances_[unused], prior.covariances_[unused], atol=1e-5)
    moved = np.abs(adapted.covariances_[used] - prior.covariances_[used]).max(axis=(1, 2))
    assert np.all(moved > 1e-4)


def test_strength_pulls_towards_the_learned_prior(prior, stripes):
    gaps = [
        np.abs(adapt_prior(prior, stripes, strength=s).covariances_ - prior.covariances_).max()
        for s in (1.0, 100.0, 1e6)
    ]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3


def test_adaptation_restores_textures_better(stripes):
    sigma = 0.1
    noisy = stripes + sigma * np.random.default_rng(0).standard_normal(stripes.shape)
    plain = EPLLRestorer(stride=2).restore(noisy, GaussianNoise(sigma))
    adapted = EPLLRestorer(stride=2, adapt=1).restore(noisy, GaussianNoise(sigma))
    assert psnr(stripes, adapted, data_range=1) > psnr(stripes, plain, data_range=1) + 0.5


@pytest.mark.parametrize("gating", ["exact", "network"])
def test_adaptation_does_not_hurt_a_natural_image(gating):
    # 128 pixels: on a 96-pixel crop (a sixth of the patches per component) the adapted
    # covariances are noisy enough to cost the network 0.07 dB; on the validation
    # photographs it is even (doc/validation.rst).
    clean = data.camera()[64:192, 64:192] / 255.0
    sigma = 25 / 255
    noisy = clean + sigma * np.random.default_rng(1).standard_normal(clean.shape)
    plain = EPLLRestorer(stride=3, gating=gating).restore(noisy, GaussianNoise(sigma))
    adapted = EPLLRestorer(stride=3, gating=gating, adapt=1).restore(noisy, GaussianNoise(sigma))
    assert psnr(clean, adapted) > psnr(clean, plain) - 0.05


def test_adaptation_passes_are_counted_in_progress_and_callback(stripes):
    seen, steps = [], []
    EPLLRestorer(stride=4, betas=[100.0, 400.0], adapt=2).restore(
        stripes,
        GaussianNoise(0.05),
        callback=lambda i, beta, x: seen.append((i, beta)),
        progress=lambda done, total: steps.append((done, total)),
    )
    assert [i for i, _ in seen] == list(range(6))
    assert [beta for _, beta in seen] == [100.0, 400.0] * 3
    assert steps == [(k, 6) for k in range(1, 7)]


def test_tiles_adapt_on_their_own(stripes):
    noisy = stripes + 0.1 * np.random.default_rng(2).standard_normal(stripes.shape)
    restorer = EPLLRestorer(stride=3, adapt=1, tile_shape=48, n_jobs=2)
    tiled = restorer.restore(noisy, GaussianNoise(0.1))
    assert psnr(stripes, tiled, data_range=1) > psnr(stripes, noisy, data_range=1) + 8


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"strength": 0.0}, ValueError, "strength"),
        ({"strength": -1.0}, ValueError, "strength"),
        ({"strength": "10"}, TypeError, "strength"),
        ({"noise_var": np.nan}, ValueError, "noise_var"),
        ({"stride": 0}, ValueError, "stride"),
        ({"stride": 9}, ValueError, "stride"),
    ],
)
def test_bad_adaptation_arguments(prior, stripes, kwargs, error, match):
    with pytest.raises(error, match=match):
        adapt_prior(prior, stripes, **kwargs)


def test_bad_images_and_priors(prior, stripes):
    with pytest.raises(ValueError, match="smaller"):
        adapt_prior(prior, stripes[:5, :5])
    with pytest.raises(ValueError, match="NaN"):
        adapt_prior(prior, np.where(stripes > 0.7, np.nan, stripes))
    with pytest.raises(TypeError, match="prior"):
        adapt_prior("prior", stripes)
    with pytest.raises(ValueError, match="adapt"):
        EPLLRestorer(adapt=-1).restore(stripes, GaussianNoise(0.1))
    with pytest.raises(TypeError, match="adapt"):
        EPLLRestorer(adapt=1.5).restore(stripes, GaussianNoise(0.1))
    with pytest.raises(ValueError, match="adapt_strength"):
        EPLLRestorer(adapt=1, adapt_strength=0).restore(stripes, GaussianNoise(0.1))
    with pytest.raises(TypeError, match="adapt_strength"):
        EPLLRestorer(adapt=1, adapt_strength="strong").restore(stripes, GaussianNoise(0.1))
