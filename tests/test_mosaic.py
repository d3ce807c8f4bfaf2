"""Demosaicing: Bayer masks, the mosaic degradation and ``demosaic_epll``."""

import numpy as np
import pytest
from scipy.ndimage import convolve
from skimage import data

from skgate import BayerMosaic, EPLLRestorer, bayer_mask, demosaic_epll, load_default_prior
from skgate._contracts import trusted_likelihood
from skgate._defaults import defaults_for


def cpsnr(clean, estimate, border=4):
    inner = (slice(border, -border),) * 2
    return 10 * np.log10(1 / np.mean((np.clip(estimate, 0, 1)[inner] - clean[inner]) ** 2))


def bilinear(raw, missing):
    """The textbook bilinear demosaicing, as the baseline."""
    green = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]]) / 4
    red_blue = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 4
    kernels = [red_blue, green, red_blue]
    sampled = np.where(missing, 0.0, raw[..., None])
    return np.stack(
        [convolve(sampled[..., c], kernels[c], mode="mirror") for c in range(3)], axis=-1
    )


@pytest.fixture(scope="module")
def crop():
    return data.astronaut()[180:244, 200:264] / 255.0


@pytest.mark.parametrize("pattern", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_bayer_mask_records_one_colour_per_pixel(pattern):
    observed = ~bayer_mask((6, 8), pattern)
    np.testing.assert_array_equal(observed.sum(axis=-1), 1)
    assert observed[..., 1].mean() == 0.5  # green at half of the sites
    assert observed[..., 0].mean() == observed[..., 2].mean() == 0.25
    for site, colour in enumerate(pattern):
        r, c = divmod(site, 2)
        assert observed[r, c, "RGB".index(colour)]
        assert observed[r + 2, c + 4, "RGB".index(colour)]  # the cell repeats


def test_bayer_mask_checks_its_arguments():
    with pytest.raises(ValueError, match="pattern must be one of"):
        bayer_mask((4, 4), "RGBG")
    with pytest.raises(ValueError, match="shape"):
        bayer_mask((1, 4))
    with pytest.raises(ValueError, match="shape"):
        bayer_mask("big")
    assert bayer_mask((4, 4), "rggb").shape == (4, 4, 3)  # any case


def test_mosaic_raw_and_observation(crop):
    mosaic = BayerMosaic(crop.shape[:2], "GRBG", sigma=0.01)
    assert trusted_likelihood(mosaic) and mosaic.sigma == 0.01
    raw = mosaic.raw(crop)
    assert raw.shape == crop.shape[:2]
    np.testing.assert_array_equal(raw[0, 1], crop[0, 1, 0])  # GRBG: red at (0, 1)
    y = mosaic.observation(raw)
    np.testing.assert_array_equal(np.isnan(y), mosaic.missing)
    np.testing.assert_array_equal(y[~mosaic.missing], crop[~mosaic.missing])
    # the forward operator keeps each channel at its sites
    np.testing.assert_array_equal(mosaic.forward(crop)[~mosaic.missing], crop[~mosaic.missing])
    tile = mosaic.tile((slice(2, 10), slice(0, 6)))
    assert type(tile) is BayerMosaic
    np.testing.assert_array_equal(tile.missing, mosaic.missing[2:10, :6])
    assert mosaic.with_sigma(0.02).default_betas()[0] == mosaic.default_betas()[0]
    assert defaults_for(mosaic) == {"stride": 3, "scales": 1}
    with pytest.raises(ValueError, match="shape"):
        mosaic.raw(crop[:10])
    with pytest.raises(ValueError, match="raw must have shape"):
        mosaic.observation(raw[:10])


@pytest.mark.parametrize("pattern", ["RGGB", "GBRG"])
def test_demosaic_epll_beats_bilinear(crop, pattern):
    mosaic = BayerMosaic(crop.shape[:2], pattern)
    raw = mosaic.raw(crop)
    restored = demosaic_epll(raw, pattern)
    assert restored.shape == crop.shape
    baseline = cpsnr(crop, bilinear(raw, mosaic.missing))
    assert cpsnr(crop, restored) > baseline + 2
    # the recorded values stay (noise-free mosaic)
    np.testing.assert_allclose(restored[~mosaic.missing], crop[~mosaic.missing], atol=0.01)
    # integers as scikit-image converts them; float32 stays float32
    as_uint8 = demosaic_epll(np.round(raw * 255).astype(np.uint8), pattern)
    assert abs(cpsnr(crop, as_uint8) - cpsnr(crop, restored)) < 0.5
    assert demosaic_epll(raw.astype(np.float32), pattern).dtype == np.float32


def test_demosaic_with_the_colour_network(crop):
    mosaic = BayerMosaic(crop.shape[:2])
    raw = mosaic.raw(crop)
    exact = demosaic_epll(raw, gating="exact")
    network = demosaic_epll(raw)  # the default
    np.testing.assert_array_equal(network, demosaic_epll(raw, gating="network"))
    assert not np.array_equal(network, exact)  # the network gated, not the exact posterior
    assert cpsnr(crop, network) > cpsnr(crop, bilinear(raw, mosaic.missing)) + 2
    assert cpsnr(crop, network) > cpsnr(crop, exact) - 0.5
    rescored = demosaic_epll(raw, gating="network+exact")
    assert cpsnr(crop, rescored) > cpsnr(crop, exact) - 0.3


def test_noisy_demosaicing_weighs_the_data_term_more():
    crop = data.chelsea()[100:164, 100:164] / 255.0  # fur: texture the prior could smooth
    sigma = 10 / 255
    mosaic = BayerMosaic(crop.shape[:2], sigma=sigma)
    inpainting = mosaic.likelihoods[0]
    assert mosaic.default_lam(8) == 4 * inpainting.default_lam(8) == 4 * 64 / sigma**2
    noisy = mosaic.raw(crop) + sigma * np.random.default_rng(0).standard_normal(crop.shape[:2])
    restored = demosaic_epll(noisy, sigma=sigma)
    # the weight of the other likelihoods lets the prior smooth the texture away
    # (on validation photographs: about 2 dB less at this noise, here 2.7)
    smoothed = demosaic_epll(noisy, sigma=sigma, lam=64 / sigma**2)
    assert cpsnr(crop, restored) > cpsnr(crop, smoothed) + 1


@pytest.mark.filterwarnings("ignore:tile_shape")
def test_demosaic_through_the_restorer_and_in_tiles(crop):
    mosaic = BayerMosaic(crop.shape[:2])
    y = mosaic.observation(mosaic.raw(crop))
    prior = load_default_prior(colour=True)
    whole = EPLLRestorer(prior, gating="network").restore(y, mosaic, channel_axis=-1)
    # demosaic_epll gates with the colour network by default, the restorer exactly
    np.testing.assert_allclose(whole, demosaic_epll(mosaic.raw(crop)), atol=1e-6)
    tiled = EPLLRestorer(prior, gating="network", tile_shape=32, tile_margin=8, n_jobs=2).restore(
        y, mosaic, channel_axis=-1
    )
    assert not np.array_equal(tiled, whole)  # restored in tiles indeed
    assert abs(cpsnr(crop, tiled) - cpsnr(crop, whole)) < 0.2


def test_demosaic_epll_needs_a_colour_prior_and_a_mosaic(crop):
    raw = BayerMosaic(crop.shape[:2]).raw(crop)
    with pytest.raises(ValueError, match="colour prior"):
        demosaic_epll(raw, prior=load_default_prior())
    with pytest.raises(ValueError, match="2-D mosaic"):
        demosaic_epll(crop)
    with pytest.raises(ValueError, match="pattern"):
        demosaic_epll(raw, "RGB")
