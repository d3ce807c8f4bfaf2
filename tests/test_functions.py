"""The scikit-image style functions: denoise_epll, deblur_epll, inpaint_epll."""

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio as psnr

from skgate import (
    Blur,
    EPLLRestorer,
    GaussianNoise,
    deblur_epll,
    denoise_epll,
    inpaint_epll,
)


@pytest.mark.parametrize("sigma", [0.05, 0.1, 0.2])
def test_denoising_improves_psnr_a_lot(clean, sigma, noisy_version):
    noisy = noisy_version(clean, sigma)
    denoised = denoise_epll(noisy, sigma)
    gain = psnr(clean, denoised, data_range=1) - psnr(clean, noisy, data_range=1)
    assert gain > 5


def test_stride_and_float32_and_input_untouched(clean, noisy_version):
    noisy = noisy_version(clean, 0.1).astype(np.float32)
    before = noisy.copy()
    full = denoise_epll(noisy, 0.1)
    strided = denoise_epll(noisy, 0.1, stride=3)
    np.testing.assert_array_equal(noisy, before)
    assert full.dtype == np.float32 and strided.dtype == np.float32
    assert strided.shape == noisy.shape
    # fewer patches cost some quality but not much
    assert psnr(clean, strided, data_range=1) > psnr(clean, full, data_range=1) - 1.0
    assert psnr(clean, strided, data_range=1) > psnr(clean, noisy, data_range=1) + 5


def test_uint8_input_is_converted_like_skimage(clean, noisy_version):
    noisy = np.clip(noisy_version(clean, 0.05) * 255, 0, 255).astype(np.uint8)
    out = denoise_epll(noisy, 0.05)
    assert out.dtype == np.float64
    assert psnr(clean, out, data_range=1) > psnr(clean, noisy / 255.0, data_range=1) + 3


def test_noise_free_image_with_tiny_sigma_is_nearly_unchanged(clean):
    out = denoise_epll(clean, 1e-3)
    assert psnr(clean, out, data_range=1) > 45


def test_deblurring_beats_the_blurred_image(clean):
    kernel = np.ones((5, 5)) / 25
    blurred = Blur(kernel, 0.01).forward(clean) + 0.01 * np.random.default_rng(1).standard_normal(
        clean.shape
    )
    out = deblur_epll(blurred, kernel, 0.01)
    assert psnr(clean, out, data_range=1) > psnr(clean, blurred, data_range=1) + 2


def test_inpainting_fills_missing_pixels(clean):
    mask = np.random.default_rng(2).random(clean.shape) > 0.5
    observed = np.where(mask, clean, 0.0)
    out = inpaint_epll(observed, ~mask)
    assert psnr(clean, out, data_range=1) > 25
    np.testing.assert_allclose(out[mask], clean[mask], atol=0.05)


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda c: EPLLRestorer().restore(c, "noise"), TypeError, "likelihood"),
        (lambda c: denoise_epll(c[:5, :5], 0.1), ValueError, "smaller"),
        (lambda c: denoise_epll(np.where(c > 0.5, np.nan, c), 0.1), ValueError, "NaN"),
        (lambda c: denoise_epll(c, 0.0), ValueError, "sigma"),
        (lambda c: denoise_epll(c, 0.1, betas=[1, -1]), ValueError, "betas"),
        (lambda c: denoise_epll(c, 0.1, lam=0), ValueError, "lam"),
        (lambda c: denoise_epll(c, 0.1, stride=0), ValueError, "stride"),
        (lambda c: denoise_epll(c, 0.1, gating="magic"), ValueError, "gating"),
        (lambda c: denoise_epll(np.stack([c, c], -1), 0.1), ValueError, "channel_axis"),
        (lambda c: denoise_epll(c, 0.1, channel_axis=-1), ValueError, "3-D"),
        (lambda c: denoise_epll(c.astype(complex), 0.1), TypeError, "real"),
        (lambda c: inpaint_epll(c, np.zeros((3, 3), bool)), ValueError, "mask shape"),
        (lambda c: deblur_epll(c, np.ones((80, 80)), 0.1), ValueError, "kernel"),
        (lambda c: EPLLRestorer(prior=3).restore(c, GaussianNoise(0.1)), TypeError, "prior"),
        (lambda c: EPLLRestorer(clip=(1, 0)).restore(c, GaussianNoise(0.1)), ValueError, "clip"),
        (
            lambda c: EPLLRestorer().restore(c, GaussianNoise(0.1), x0=np.zeros((9, 9))),
            ValueError,
            "x0",
        ),
    ],
)
def test_bad_input(clean, call, error, match):
    with pytest.raises(error, match=match):
        call(clean)


@pytest.mark.parametrize(
    "call",
    [
        lambda y: denoise_epll(y, 5.0, data_range=1),  # sigma far above the image's range
        lambda y: EPLLRestorer(tile_shape=8).restore(y, GaussianNoise(0.1)),  # tiny tiles
        lambda y: EPLLRestorer(n_jobs=10_000, tile_shape=32).restore(y, GaussianNoise(0.1)),
    ],
    ids=["sigma", "tile_shape", "n_jobs"],
)
def test_warnings_point_at_the_callers_line(clean, call):
    with pytest.warns(UserWarning) as record:
        call(clean)
    assert {w.filename for w in record} == {__file__}
