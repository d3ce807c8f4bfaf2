"""Colour and other multi-channel images."""

import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr

from skgate import (
    denoise_epll,
)


def test_two_channels_restored_independently(clean, noisy_version):
    rgb = np.stack([clean, clean[::-1]], axis=0)
    noisy = noisy_version(rgb, 0.1)
    out = denoise_epll(noisy, 0.1, channel_axis=0, stride=4)
    assert out.shape == noisy.shape
    np.testing.assert_allclose(out[1], denoise_epll(noisy[1], 0.1, stride=4))


def test_colour_restoration_keeps_grey_grey_and_denoises_colour():
    from skgate import estimate_noise_sigma

    rng = np.random.default_rng(0)
    grey = data.camera()[200:248, 200:248] / 255.0
    noisy = grey + 0.08 * rng.standard_normal(grey.shape)
    stacked = np.stack([noisy] * 3, axis=0)  # channels first
    out = denoise_epll(stacked, 0.08, stride=2, channel_axis=0)
    assert out.shape == stacked.shape
    # the chroma channels of a grey image are zero, so the channels stay equal
    np.testing.assert_allclose(out[0], out[1], atol=1e-6)
    np.testing.assert_allclose(out[0], out[2], atol=1e-6)
    colour = data.astronaut()[100:148, 180:228] / 255.0
    noisy = colour + 0.08 * rng.standard_normal(colour.shape)
    restored = denoise_epll(noisy, 0.08, stride=2, channel_axis=-1)
    assert psnr(colour, restored, data_range=1) > psnr(colour, noisy, data_range=1) + 4
    sigma = estimate_noise_sigma(noisy, channel_axis=-1)
    assert 0.07 < sigma < 0.1
    assert estimate_noise_sigma(np.zeros((16, 16))) == 1e-4
    # sigma=None estimates the noise level
    auto = denoise_epll(noisy[..., 0], stride=2)
    assert (
        psnr(colour[..., 0], auto, data_range=1)
        > psnr(colour[..., 0], noisy[..., 0], data_range=1) + 3
    )
