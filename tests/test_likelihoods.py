import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from skgate import Blur, GaussianNoise, Inpainting, Likelihood
from skgate._patches import PatchGrid


def make_likelihood(kind, shape, rng):
    if kind == "noise":
        return GaussianNoise(0.05)
    if kind == "inpaint":
        mask = rng.random(shape) > 0.4
        mask.flat[0] = True
        return Inpainting(~mask, sigma=0.02)
    kh = int(rng.integers(1, min(shape[0], 7) + 1))
    kw = int(rng.integers(1, min(shape[1], 7) + 1))
    blur = Blur(rng.random((kh, kw)) + 0.01, sigma=0.03)
    if kind == "tile-blur":  # a tile's blur: data only where the kernel fits in the tile
        return blur.tile((slice(0, shape[0]), slice(0, shape[1])))
    return blur


kinds = st.sampled_from(["noise", "inpaint", "blur", "tile-blur"])
shapes = st.tuples(st.integers(8, 24), st.integers(8, 24))


@given(kind=kinds, shape=shapes, seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_adjointness(kind, shape, seed):
    rng = np.random.default_rng(seed)
    lik = make_likelihood(kind, shape, rng)
    x = rng.standard_normal(shape)
    r = rng.standard_normal(shape)
    assert np.isclose(np.vdot(lik.forward(x), r), np.vdot(x, lik.adjoint(r)), rtol=1e-9, atol=1e-9)


def image_step_objective(lik, x, y, patch_sum, coverage, lam, beta):
    # sum_i ||P_i x - z_i||^2 up to a constant in x
    return lam * lik.data_term(x, y) + beta / 2 * (
        np.sum(coverage * x * x) - 2 * np.vdot(x, patch_sum)
    )


@given(
    kind=kinds,
    shape=shapes,
    seed=st.integers(0, 2**32 - 1),
    stride=st.integers(1, 4),
    lam=st.floats(0.1, 1e4),
    beta=st.floats(0.1, 1e4),
)
@settings(max_examples=60, deadline=None)
# found by hypothesis in CI: a small blurred tile, where the FFT preconditioner ignores the
# valid-pixel mask and CG needs ~400 iterations
@example(kind="tile-blur", shape=(12, 22), seed=9452, stride=1, lam=65.0, beta=1.0)
def test_image_step_is_the_minimiser(kind, shape, seed, stride, lam, beta):
    rng = np.random.default_rng(seed)
    lik = make_likelihood(kind, shape, rng)
    y = rng.random(shape)
    coverage = PatchGrid(shape, 4, stride).coverage()
    patch_sum = rng.random(shape) * coverage
    y_before, sum_before = y.copy(), patch_sum.copy()
    x = lik.solve(y, patch_sum, coverage, lam, beta, x0=y)
    assert x.shape == shape and x.dtype == np.float64
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(patch_sum, sum_before)
    gradient = lam * lik.adjoint(lik.forward(x) - y) + beta * (coverage * x - patch_sum)
    scale = np.linalg.norm(lam * lik.adjoint(y)) + np.linalg.norm(beta * patch_sum)
    assert np.linalg.norm(gradient) <= 1e-5 * scale
    best = image_step_objective(lik, x, y, patch_sum, coverage, lam, beta)
    for _ in range(5):
        moved = x + 1e-3 * rng.standard_normal(shape)
        assert image_step_objective(
            lik, moved, y, patch_sum, coverage, lam, beta
        ) >= best - 1e-9 * abs(best)


@pytest.mark.parametrize("stride", [1, 3])
def test_delta_blur_and_full_mask_equal_denoising(stride):
    rng = np.random.default_rng(0)
    shape = (20, 17)
    y = rng.random(shape)
    coverage = PatchGrid(shape, 5, stride).coverage()
    patch_sum = rng.random(shape) * coverage
    expected = GaussianNoise(0.1).solve(y, patch_sum, coverage, 3.0, 7.0)
    delta = np.zeros((3, 3))
    delta[1, 1] = 1
    blur = Blur(delta, 0.1).solve(y, patch_sum, coverage, 3.0, 7.0, x0=y)
    full = Inpainting(np.zeros(shape, bool), 0.1).solve(y, patch_sum, coverage, 3.0, 7.0)
    np.testing.assert_allclose(blur, expected, rtol=1e-5)
    np.testing.assert_allclose(full, expected, rtol=1e-12)


def test_blur_uniform_coverage_uses_fft_inverse_exactly():
    rng = np.random.default_rng(1)
    lik = Blur(rng.random((5, 5)), 0.01)
    y = rng.random((16, 16))
    coverage = np.full((16, 16), 4.0)
    x = lik.solve(y, y, coverage, 2.0, 3.0)
    np.testing.assert_allclose(
        lik.normal_apply(x, coverage, 2.0, 3.0), lik.normal_rhs(y, y, 2.0, 3.0)
    )


def test_blur_matches_direct_periodic_convolution():
    from scipy import ndimage

    rng = np.random.default_rng(2)
    kernel = rng.random((3, 5))
    x = rng.random((12, 14))
    expected = ndimage.correlate(x, kernel[::-1, ::-1], mode="wrap")
    np.testing.assert_allclose(Blur(kernel, 0.1).forward(x), expected, atol=1e-12)


def test_inpainting_initial_estimate_keeps_observed_and_fills_holes():
    rng = np.random.default_rng(3)
    y = rng.random((30, 30))
    mask = np.zeros_like(y, bool)
    mask[::7, ::5] = True
    lik = Inpainting(~mask)
    x = lik.initial_estimate(np.where(mask, y, np.nan))
    assert np.all(np.isfinite(x))
    assert y[mask].min() - 1e-9 <= x.min() and x.max() <= y[mask].max() + 1e-9


def test_custom_likelihood_needs_only_forward_and_adjoint():
    class Scale(Likelihood):
        def forward(self, x):
            return 2 * np.asarray(x)

        def adjoint(self, r):
            return 2 * np.asarray(r)

    lik = Scale(0.1)
    y = np.random.default_rng(4).random((9, 9))
    coverage = np.ones((9, 9))
    x = lik.solve(y, y, coverage, 1.0, 1.0)
    np.testing.assert_allclose(x, (2 * y + y) / 5, rtol=1e-5)


@pytest.mark.parametrize(
    "make,error,match",
    [
        (lambda: GaussianNoise(0), ValueError, "sigma"),
        (lambda: GaussianNoise(-1.0), ValueError, "sigma"),
        (lambda: GaussianNoise(np.nan), ValueError, "sigma"),
        (lambda: GaussianNoise("a"), TypeError, "sigma"),
        (lambda: Blur(np.full((3, 3), np.nan), 0.1), ValueError, "kernel"),
        (lambda: Blur(np.zeros((3, 3)), 0.1), ValueError, "positive sum"),
        (lambda: Blur(-np.ones((3, 3)), 0.1), ValueError, "positive sum"),
        (lambda: Blur(np.ones(3), 0.1), ValueError, "2-D"),
        (lambda: Blur(np.ones((3, 3)), 0.1, boundary="zero"), ValueError, "boundary"),
        (lambda: Inpainting(np.ones((4, 4), bool)), ValueError, "every pixel as missing"),
        (lambda: Inpainting(np.full((4, 4), 0.5)), ValueError, "boolean"),
        (lambda: Inpainting(np.ones(4, bool)), ValueError, "2-D"),
    ],
)
def test_bad_parameters(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_shape_mismatches():
    with pytest.raises(ValueError, match="larger than the image"):
        Blur(np.ones((9, 9)), 0.1).check_observation(np.zeros((5, 20)))
    with pytest.raises(ValueError, match="does not match"):
        Inpainting(np.zeros((4, 4), bool)).check_observation(np.zeros((5, 5)))


def test_mask_is_copied():
    mask = np.zeros((4, 4), bool)
    lik = Inpainting(mask)
    mask[0, 0] = True
    assert not lik.mask[0, 0] and lik.observed[0, 0]


def test_tiles_of_likelihoods():
    rng = np.random.default_rng(0)
    mask = rng.random((20, 30)) > 0.5
    window = (slice(5, 15), slice(10, 30))
    tile = Inpainting(mask).tile(window)
    np.testing.assert_array_equal(tile.mask, mask[window])
    np.testing.assert_array_equal(tile.observed, ~mask[window])
    hole = Inpainting(mask).tile((slice(0, 0), slice(0, 0)))  # nothing observed is allowed
    assert hole.mask.size == 0
    noise = GaussianNoise(0.1)
    assert noise.tile(window) is noise and noise.tile_margin == 0
    blur = Blur(np.ones((3, 5)) / 15, 0.01)
    assert blur.tile_margin == 10
    x = rng.random((20, 30))
    inner = (slice(2, -2), slice(4, -4))  # where the whole kernel window lies in the tile
    np.testing.assert_allclose(blur.tile(window).forward(x)[inner], blur.forward(x)[inner])
    assert np.all(blur.tile(window).forward(x)[:2] == 0)


def test_both_spellings_of_one_inpainting_problem_give_the_same_image():
    """True = missing, as scikit-image's ``inpaint_biharmonic``: the function, the restorer
    with ``Inpainting`` and the command line's white-is-missing mask agree."""
    from skimage import data

    from skgate import EPLLRestorer, inpaint_epll

    clean = data.camera()[200:264, 200:264] / 255.0
    missing = np.random.default_rng(0).random(clean.shape) > 0.6
    damaged = np.where(missing, 0.0, clean)
    settings = {"stride": 3, "betas": [50.0, 200.0, 800.0]}
    by_function = inpaint_epll(damaged, missing, **settings)
    by_restorer = EPLLRestorer(**settings).restore(damaged, Inpainting(missing))
    np.testing.assert_allclose(by_function, by_restorer)
    np.testing.assert_allclose(by_function[~missing], clean[~missing], atol=0.02)
    # the other polarity restores the wrong pixels: a mistake that shows
    assert (
        np.abs(inpaint_epll(damaged, ~missing, **settings) - clean).mean()
        > 5 * np.abs(by_function - clean).mean()
    )
