"""Colour and other multi-channel images."""

import hypothesis.strategies as st
import numpy as np
from hypothesis import given
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


@given(st.floats(0.25, 8.0))
def test_opponent_transform_keeps_white_noise_white_at_any_chroma_scale(scale):
    from skgate._colour import opponent_transform

    transform = opponent_transform(scale)
    gram = transform @ transform.T
    # orthogonal rows: white RGB noise stays independent across the opponent channels
    np.testing.assert_allclose(gram, np.diag(np.diag(gram)), atol=1e-12)
    np.testing.assert_allclose(transform[0], [1 / 3] * 3)  # luminance: the channels' mean
    np.testing.assert_allclose(transform[1:], scale * opponent_transform(1.0)[1:])


def test_chroma_scale_changes_only_the_chroma_of_the_restoration(monkeypatch):
    from skgate import _colour

    rng = np.random.default_rng(3)
    colour = data.astronaut()[120:160, 200:240] / 255.0
    noisy = colour + 0.1 * rng.standard_normal(colour.shape)
    unit = _colour.opponent_transform(1.0)
    restored = {}
    for scale in (1.0, 3.0):
        monkeypatch.setattr(_colour, "CHROMA_SCALE", scale)
        restored[scale] = denoise_epll(noisy, 0.1, stride=4, channel_axis=-1) @ unit.T
    # the luminance channel is restored on its own, whatever the chroma's scale
    np.testing.assert_allclose(restored[1.0][..., 0], restored[3.0][..., 0], atol=1e-6)
    assert np.abs(restored[1.0][..., 1:] - restored[3.0][..., 1:]).max() > 1e-3
    # a chroma channel at scale 3 is the grey restoration of 3 x that channel, divided by 3
    chroma = noisy @ unit[1]
    expected = denoise_epll(3 * chroma, 0.3 * np.linalg.norm(unit[1]), stride=4) / 3
    np.testing.assert_allclose(restored[3.0][..., 1], expected, atol=1e-5)
