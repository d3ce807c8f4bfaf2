"""The defaults skgate picks for its user, pinned: each was chosen on the validation set
(doc/validation.rst), so a refactor must not move one silently. Change a number here only
together with the validation table that chose it."""

import inspect

import numpy as np
import pytest

from skgate import (
    Blur,
    EPLLRestorer,
    GaussianNoise,
    Inpainting,
    deblur_epll,
    denoise_epll,
    inpaint_epll,
    load_default_network,
)

SIGMAS = [s / 255 for s in (5, 10, 15, 25, 50, 75, 100)]


@pytest.mark.parametrize("sigma", SIGMAS)
def test_denoising_schedule_is_zoran_and_weiss(sigma):
    betas = GaussianNoise(sigma).default_betas()
    np.testing.assert_allclose(betas * sigma**2, [1, 4, 8, 16, 32])
    assert GaussianNoise(sigma).default_lam(8) == pytest.approx(64 / sigma**2)


def test_deblurring_and_inpainting_schedules():
    blur = Blur(np.ones((3, 3)) / 9, sigma=0.01)
    np.testing.assert_allclose(blur.default_betas(), 5 * 4.0 ** np.arange(6))
    missing = np.zeros((16, 16), dtype=bool)
    np.testing.assert_allclose(Inpainting(missing).default_betas(), 50 * 1.25 ** np.arange(29))


@pytest.mark.parametrize("function", [denoise_epll, deblur_epll, inpaint_epll])
def test_function_defaults(function):
    defaults = {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    assert defaults["stride"] == 3
    assert defaults["gating"] == "exact"
    assert defaults["adapt"] == 0
    assert defaults["betas"] is None and defaults["lam"] is None
    if function is denoise_epll:
        assert defaults["scales"] == 3
        assert defaults["fusion_weight"] is None
    else:
        # multi-scale needs a coarse version of the degradation: Gaussian noise only
        assert "scales" not in defaults


def test_fusion_weights_per_noise_level():
    from skgate.multiscale import FUSION_WEIGHTS

    assert FUSION_WEIGHTS == ((15.0, 0.25), (25.0, 0.375), (50.0, 0.5), (75.0, 0.75))


def test_restorer_defaults():
    restorer = EPLLRestorer()
    assert restorer.stride == 1
    assert restorer.gating == "exact"
    assert restorer.adapt == 0
    assert restorer.adapt_strength == 10
    assert restorer.scales == 1


@pytest.mark.parametrize("sigma", [s / 255 for s in (15, 20, 25, 35, 50, 75, 100)])
def test_network_output_layers_cover_the_default_schedule(sigma):
    """Every noise level 1/beta that the default schedule gates at, for sigma from 15/255 (the
    lowest validated) to 100/255, lies between two trained output layers at most a factor 2
    apart (the network interpolates between them in log noise); below the lowest noisy level
    the clean layer (0) is the other end."""
    levels = load_default_network().noise_levels_
    positive = levels[levels > 0]
    assert levels.min() == 0
    assert np.all(positive[1:] / positive[:-1] <= 2.0 + 1e-9)
    for noise_var in 1 / GaussianNoise(sigma).default_betas():
        assert positive.min() <= noise_var <= positive.max()


def test_network_plus_exact_rescores_two_candidates():
    from skgate.gating import RESCORED_CANDIDATES, make_gating
    from skgate.shipped import default_network, default_prior, tables_of

    assert RESCORED_CANDIDATES == 2
    gating = make_gating("network+exact", tables_of(default_prior()), default_network)
    assert gating.top_k == 2
