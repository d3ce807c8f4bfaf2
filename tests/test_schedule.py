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
    # stride (and scales) come from the one table the restorer reads
    assert defaults["stride"] is None
    assert defaults["gating"] == "exact"
    assert defaults["adapt"] == 0
    assert defaults["betas"] is None and defaults["lam"] is None
    if function is denoise_epll:
        assert defaults["scales"] is None
        assert defaults["fusion_weight"] is None
    else:
        # multi-scale needs a coarse version of the degradation: Gaussian noise only
        assert "scales" not in defaults


def test_the_defaults_table_per_likelihood():
    from skgate import Likelihood
    from skgate._defaults import defaults_for

    missing = np.zeros((16, 16), dtype=bool)
    assert defaults_for(GaussianNoise(0.1)) == {"stride": 3, "scales": 3}
    assert defaults_for(Blur(np.ones((3, 3)) / 9, 0.01)) == {"stride": 3, "scales": 1}
    assert defaults_for(Inpainting(missing)) == {"stride": 3, "scales": 1}

    class Mine(GaussianNoise):
        pass

    class Other(Likelihood):
        def forward(self, x):
            return x

        def adjoint(self, r):
            return r

    assert defaults_for(Mine(0.1)) == {"stride": 3, "scales": 3}
    assert defaults_for(Other(0.1)) == {"stride": 3, "scales": 1}
    with pytest.raises(TypeError, match="Likelihood"):
        defaults_for("noise")


def test_the_restorer_and_the_functions_give_one_image():
    from skimage import data

    clean = data.camera()[100:164, 100:164] / 255.0
    noisy = clean + 0.1 * np.random.default_rng(0).standard_normal(clean.shape)
    np.testing.assert_array_equal(
        EPLLRestorer().restore(noisy, GaussianNoise(0.1)), denoise_epll(noisy, 0.1)
    )
    kernel = np.ones((3, 3)) / 9
    blurred = Blur(kernel, 0.01).forward(clean)
    np.testing.assert_array_equal(
        EPLLRestorer().restore(blurred, Blur(kernel, 0.01)), deblur_epll(blurred, kernel, 0.01)
    )
    missing = np.random.default_rng(1).random(clean.shape) > 0.7
    np.testing.assert_array_equal(
        EPLLRestorer().restore(clean, Inpainting(missing)), inpaint_epll(clean, missing)
    )


def test_fusion_weights_per_noise_level():
    from skgate._multiscale import FUSION_WEIGHTS

    assert FUSION_WEIGHTS == ((15.0, 0.25), (25.0, 0.375), (50.0, 0.5), (75.0, 0.75))


def test_restorer_defaults():
    restorer = EPLLRestorer()
    assert restorer.stride is None  # the table's, for the likelihood it restores
    assert restorer.gating == "exact"
    assert restorer.adapt == 0
    assert restorer.adapt_strength == 10
    assert restorer.scales is None


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
    from skgate._gating import RESCORED_CANDIDATES, make_gating
    from skgate._shipped import default_network, default_prior, tables_of

    assert RESCORED_CANDIDATES == 2
    gating = make_gating("network+exact", tables_of(default_prior()), default_network)
    assert gating.top_k == 2


def test_the_user_guide_shows_the_defaults_table():
    import re
    from pathlib import Path

    from skgate._defaults import DEFAULTS

    page = (Path(__file__).parents[1] / "doc" / "user_guide.rst").read_text()
    table = page.split(".. the defaults table")[1].split("The knobs")[0]
    rows = re.findall(r"^``(\w+)``\s+(\d+)\s+(\d+)", table, flags=re.M)
    assert rows == [
        (kind.__name__, str(stride), str(scales)) for kind, stride, scales, _ in DEFAULTS
    ]


def test_colour_route_defaults():
    from skgate import _colour

    # doc/validation.rst, "Chroma scale" (chroma_scale_bsds20_*, chroma_scale_mcmaster18_*)
    assert _colour.CHROMA_SCALE == 4.0
    # doc/validation.rst, "Colour patches": three channels take the grey prior per channel
    assert _colour.COLOUR_PRIOR_BY_DEFAULT is False
