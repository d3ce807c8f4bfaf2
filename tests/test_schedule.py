import numpy as np
import pytest

from skgate import GaussianNoise


@pytest.mark.parametrize(
    ("sigma255", "ratio"), [(5, 2.0), (15, 2.0), (25, 2.0), (50, 2.5), (75, 3.0), (150, 3.0)]
)
def test_denoising_schedule_takes_bigger_steps_for_more_noise(sigma255, ratio):
    sigma = sigma255 / 255
    betas = GaussianNoise(sigma).default_betas()
    assert betas.shape == (7,)
    assert betas[0] == pytest.approx(1 / sigma**2)
    np.testing.assert_allclose(betas[1:] / betas[:-1], ratio)
