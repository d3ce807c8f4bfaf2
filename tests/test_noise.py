"""estimate_noise_sigma."""

import numpy as np
import pytest
from skimage import data


@pytest.mark.parametrize("sigma", [0.01, 0.05, 0.2])
def test_noise_estimate_recovers_white_noise_level(sigma):
    from skgate import estimate_noise_sigma

    rng = np.random.default_rng(3)
    flat = 0.5 + sigma * rng.standard_normal((128, 96))
    assert estimate_noise_sigma(flat) == pytest.approx(sigma, rel=0.05)
    image = data.camera() / 255.0 + sigma * rng.standard_normal((512, 512))
    estimate = estimate_noise_sigma(image)
    # textures read as noise: a small overestimate, never an underestimate beyond sampling
    assert 0.95 * sigma < estimate < sigma + 0.006


def test_noise_estimate_agrees_with_skimage_when_pywavelets_is_installed():
    pytest.importorskip("pywt", reason="skimage's estimate_sigma needs PyWavelets")
    from skimage.restoration import estimate_sigma

    from skgate import estimate_noise_sigma

    image = data.camera() / 255.0 + 0.05 * np.random.default_rng(4).standard_normal((512, 512))
    assert estimate_noise_sigma(image) == pytest.approx(estimate_sigma(image), rel=0.02)


def test_noise_estimate_needs_a_few_pixels():
    from skgate import estimate_noise_sigma

    with pytest.raises(ValueError, match="at least 4 pixels"):
        estimate_noise_sigma(np.zeros((3, 40)))
