"""Images in any units restore as if in [0, 1] (skgate._units): scale and offset
equivariance, data_range, the noise estimate's relative floor, integer images."""

import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr

from skgate import (
    EPLLRestorer,
    GaussianNoise,
    deblur_epll,
    denoise_epll,
    estimate_noise_sigma,
    gaussian_kernel,
    inpaint_epll,
)
from skgate._units import infer_units

FAST = {"stride": 3, "betas": [100.0, 400.0, 1600.0], "scales": 1}


def fast_for(scale, **changes):
    """FAST for an image in units ``scale`` times those of [0, 1]: the penalties are in the
    image's units (on squared differences of its values)."""
    betas = np.asarray(FAST["betas"]) / scale**2
    return {**FAST, "betas": betas, **changes}


CLEAN = data.camera()[100:164, 100:164] / 255.0
NOISY = CLEAN + 0.1 * np.random.default_rng(0).standard_normal(CLEAN.shape)


@pytest.fixture(scope="module")
def unit_result():
    return denoise_epll(NOISY, 0.1, **FAST)


@pytest.mark.parametrize(
    ("scale", "offset"), [(255, 0), (1e4, 0), (1e-8, 0), (1e-3, 0), (1, 1e5), (255, -3e3)]
)
def test_denoising_is_equivariant_to_scale_and_offset(scale, offset, unit_result):
    restored = denoise_epll(NOISY * scale + offset, 0.1 * scale, **fast_for(scale))
    back = (restored - offset) / scale
    # as good as at unit scale (the issue: 255x gave 18.3 dB, worse than the noisy input)
    assert psnr(CLEAN, back, data_range=1) > psnr(CLEAN, unit_result, data_range=1) - 0.1
    assert np.abs(back - unit_result).max() < 0.1


def test_out_of_range_scales_restore_identically():
    a = denoise_epll(NOISY * 255, 25.5, **fast_for(255))
    b = denoise_epll(NOISY * 1e-6, 1e-7, **fast_for(1e-6))
    np.testing.assert_allclose(a / 255, b / 1e-6, atol=1e-5)


def test_offset_far_from_zero_loses_nothing(unit_result):
    restored = denoise_epll(NOISY + 1e5, 0.1, **FAST)
    np.testing.assert_allclose(restored - 1e5, unit_result, atol=1e-4)


def test_a_constant_image_far_from_zero_comes_back_constant():
    image = np.full((40, 40), 1e6)
    restored = denoise_epll(image, 1.0, **FAST)
    np.testing.assert_allclose(restored, 1e6, atol=1e-6)


def test_images_in_unit_range_keep_their_units():
    assert infer_units(NOISY, 0.1, 1.0).is_identity
    dark = CLEAN * 0.05  # a dark [0, 1] image: still the prior's units
    assert infer_units(dark, 0.01, 1.0).is_identity
    assert not infer_units(NOISY * 1e-3, 1e-4, 1.0).is_identity
    assert infer_units(NOISY * 255, 25.5, 1.0).scale > 100


def test_data_range_given_is_used(unit_result):
    restored = denoise_epll(NOISY * 255, 25.5, data_range=255, **fast_for(255))
    np.testing.assert_allclose(restored / 255, unit_result, atol=1e-6)
    with pytest.raises(ValueError, match="data_range"):
        denoise_epll(NOISY, 0.1, data_range=-1, **FAST)
    with pytest.raises(ValueError, match="data_range"):
        denoise_epll(NOISY, 0.1, data_range=True, **FAST)


def test_restorer_restore_is_equivariant_and_its_callback_sees_user_units(unit_result):
    seen = []
    restorer = EPLLRestorer(**fast_for(255))
    restored = restorer.restore(
        NOISY * 255, GaussianNoise(25.5), callback=lambda i, b, x: seen.append(x.max())
    )
    assert psnr(CLEAN, restored / 255, data_range=1) > 27
    assert seen and min(seen) > 100  # the callback's x is in the image's units


def test_clip_is_in_the_images_units_and_applies_after_fusion():
    restorer = EPLLRestorer(stride=3, scales=3, clip=(0.4, 0.6))
    out = restorer.restore(NOISY, GaussianNoise(0.1))
    assert out.min() >= 0.4 and out.max() <= 0.6
    restorer = EPLLRestorer(stride=3, scales=2, clip=(100.0, 150.0))
    out = restorer.restore(NOISY * 255, GaussianNoise(25.5))
    assert out.min() >= 100.0 and out.max() <= 150.0


def test_deblur_and_inpaint_are_equivariant():
    fast = {k: v for k, v in FAST.items() if k != "scales"}
    scaled_fast = {k: v for k, v in fast_for(1e3).items() if k != "scales"}
    tiny_fast = {k: v for k, v in fast_for(1e-6).items() if k != "scales"}
    kernel = gaussian_kernel(1.0)
    blurred = deblur_epll(NOISY, kernel, 0.1, **fast)
    scaled = deblur_epll(NOISY * 1e3 + 7e4, kernel, 100.0, **scaled_fast)
    assert np.abs((scaled - 7e4) / 1e3 - blurred).max() < 0.1
    mask = np.random.default_rng(1).random(CLEAN.shape) > 0.5
    filled = inpaint_epll(np.where(mask, CLEAN, 0), ~mask, **fast)
    filled_scaled = inpaint_epll(
        np.where(mask, CLEAN * 1e-6 + 5, 0), ~mask, sigma=1e-9, **tiny_fast
    )
    assert np.abs((filled_scaled - 5) / 1e-6 - filled).max() < 0.1


def test_nan_in_missing_pixels_is_ignored():
    fast = {k: v for k, v in FAST.items() if k != "scales"}
    mask = np.random.default_rng(1).random(CLEAN.shape) > 0.5
    with_nan = np.where(mask, CLEAN, np.nan)
    filled = inpaint_epll(with_nan, ~mask, **fast)
    assert np.all(np.isfinite(filled))
    np.testing.assert_allclose(filled, inpaint_epll(np.where(mask, CLEAN, 0), ~mask, **fast))
    colour = np.stack([with_nan] * 3, axis=-1)
    assert np.all(np.isfinite(inpaint_epll(colour, ~mask, channel_axis=-1, **fast)))
    with pytest.raises(ValueError, match="image"):  # NaN where observed stays an error
        inpaint_epll(np.where(mask, np.nan, 0), ~mask, **fast)


@pytest.mark.parametrize("scale", [1e-3, 1e-8, 255])
def test_the_noise_estimate_scales_with_the_image(scale):
    assert estimate_noise_sigma(NOISY * scale) / scale == pytest.approx(
        estimate_noise_sigma(NOISY), rel=1e-6
    )
    # a noise-free image: the floor is relative to the image's range
    assert estimate_noise_sigma(CLEAN * 0 + scale) <= 1e-3 * max(scale, 1)


def test_an_int32_image_holding_grey_levels_restores_well():
    noisy = np.clip(np.round(NOISY * 255), 0, 255).astype(np.int32)
    top = 255 / np.iinfo(np.int32).max  # float units of int32: about 1e-7
    restored = denoise_epll(noisy, **fast_for(top))
    assert restored.max() < 1e-6
    assert psnr(CLEAN, restored / top, data_range=1) > psnr(CLEAN, NOISY, data_range=1) + 5


def test_a_longdouble_image_gives_float64():
    assert denoise_epll(NOISY.astype(np.longdouble), 0.1, **FAST).dtype == np.float64


def test_sigma_far_below_the_data_range_is_refused():
    with pytest.raises(ValueError, match="sigma"):
        denoise_epll(NOISY, 1e-14, **FAST)
