"""The input-validation matrix: every public entry point, bad and unusual input.

Each case either raises a clear ``TypeError``/``ValueError`` naming the argument, or returns a
documented result that the test checks. Inputs are never modified."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skgate import (
    EPLLRestorer,
    GatingNetwork,
    GaussianNoise,
    GMMPatchPrior,
    deblur_epll,
    denoise_epll,
    estimate_noise_sigma,
    extract_patches,
    inpaint_epll,
)

FAST = {"stride": 4, "betas": [100.0]}
IMAGE = np.random.default_rng(0).random((20, 20))


def _bad(name):
    image = IMAGE.copy()
    image[3, 4] = {"nan": np.nan, "inf": np.inf}[name]
    return image


BAD_CALLS = [
    # (description, call, exception, words the message must contain)
    ("NaN image", lambda: denoise_epll(_bad("nan"), 0.1, **FAST), ValueError, "image"),
    ("inf image", lambda: denoise_epll(_bad("inf"), 0.1, **FAST), ValueError, "image"),
    ("empty image", lambda: denoise_epll(np.zeros((0, 0)), 0.1), ValueError, "image"),
    ("1 pixel", lambda: denoise_epll(np.zeros((1, 1)), 0.1), ValueError, "smaller"),
    ("1 row", lambda: denoise_epll(np.zeros((1, 30)), 0.1), ValueError, "smaller"),
    ("smaller than a patch", lambda: denoise_epll(np.zeros((7, 30)), 0.1), ValueError, "8x8"),
    (
        "3-D without axis",
        lambda: denoise_epll(np.zeros((20, 20, 3)), 0.1),
        ValueError,
        "channel_axis",
    ),
    (
        "4-D with axis",
        lambda: denoise_epll(np.zeros((20, 20, 3, 2)), 0.1, channel_axis=-1),
        ValueError,
        "3-D",
    ),
    (
        "channel_axis out of range",
        lambda: denoise_epll(np.zeros((20, 20, 3)), 0.1, channel_axis=3),
        ValueError,
        "channel_axis",
    ),
    ("complex image", lambda: denoise_epll(IMAGE + 0j, 0.1), TypeError, "image"),
    ("object image", lambda: denoise_epll(IMAGE.astype(object), 0.1), TypeError, "image"),
    ("string sigma", lambda: denoise_epll(IMAGE, "0.1"), TypeError, "sigma"),
    ("zero sigma", lambda: denoise_epll(IMAGE, 0.0), ValueError, "sigma"),
    ("negative sigma", lambda: denoise_epll(IMAGE, -1.0), ValueError, "sigma"),
    ("NaN sigma", lambda: denoise_epll(IMAGE, np.nan), ValueError, "sigma"),
    ("stride 0", lambda: denoise_epll(IMAGE, 0.1, stride=0), ValueError, "stride"),
    ("stride > patch", lambda: denoise_epll(IMAGE, 0.1, stride=9), ValueError, "stride"),
    ("stride float", lambda: denoise_epll(IMAGE, 0.1, stride=2.5), TypeError, "stride"),
    ("unknown gating", lambda: denoise_epll(IMAGE, 0.1, gating="fast"), ValueError, "gating"),
    ("negative beta", lambda: denoise_epll(IMAGE, 0.1, betas=[-1.0]), ValueError, "betas"),
    ("no betas", lambda: denoise_epll(IMAGE, 0.1, betas=[]), ValueError, "betas"),
    ("lam 0", lambda: denoise_epll(IMAGE, 0.1, lam=0.0), ValueError, "lam"),
    ("prior not a prior", lambda: denoise_epll(IMAGE, 0.1, prior="x"), TypeError, "prior"),
    ("tile 0", lambda: denoise_epll(IMAGE, 0.1, tile_shape=0), ValueError, "tile_shape"),
    ("tile text", lambda: denoise_epll(IMAGE, 0.1, tile_shape="big"), TypeError, "tile_shape"),
    ("n_jobs 0", lambda: denoise_epll(IMAGE, 0.1, n_jobs=0), ValueError, "n_jobs"),
    ("n_jobs text", lambda: denoise_epll(IMAGE, 0.1, n_jobs="x"), ValueError, "n_jobs"),
    (
        "kernel negative sum",
        lambda: deblur_epll(IMAGE, -np.ones((3, 3)), 0.01),
        ValueError,
        "kernel",
    ),
    ("kernel zero sum", lambda: deblur_epll(IMAGE, [[1.0, -1.0]], 0.01), ValueError, "kernel"),
    ("kernel NaN", lambda: deblur_epll(IMAGE, np.full((3, 3), np.nan), 0.01), ValueError, "kernel"),
    ("kernel 1-D", lambda: deblur_epll(IMAGE, np.ones(3) / 3, 0.01), ValueError, "kernel"),
    ("kernel empty", lambda: deblur_epll(IMAGE, np.ones((0, 3)), 0.01), ValueError, "kernel"),
    (
        "kernel > image",
        lambda: deblur_epll(IMAGE, np.ones((30, 3)) / 90, 0.01),
        ValueError,
        "kernel",
    ),
    ("mask wrong shape", lambda: inpaint_epll(IMAGE, np.ones((10, 10), bool)), ValueError, "mask"),
    ("mask 0.5 values", lambda: inpaint_epll(IMAGE, np.full((20, 20), 0.5)), ValueError, "mask"),
    ("mask all missing", lambda: inpaint_epll(IMAGE, np.ones((20, 20), bool)), ValueError, "mask"),
    ("mask 3-D", lambda: inpaint_epll(IMAGE, np.ones((20, 20, 1), bool)), ValueError, "mask"),
    ("estimate NaN", lambda: estimate_noise_sigma(_bad("nan")), ValueError, "NaN"),
    ("estimate 3-D", lambda: estimate_noise_sigma(np.zeros((9, 9, 3))), ValueError, "channel_axis"),
    ("patches NaN", lambda: extract_patches(_bad("nan"), 8), ValueError, "image"),
    ("patch size 0", lambda: extract_patches(IMAGE, 0), ValueError, "patch_size"),
    ("prior NaN", lambda: GMMPatchPrior(2).fit(np.full((10, 4), np.nan)), ValueError, "NaN"),
    (
        "network bad levels",
        lambda: GatingNetwork(noise_levels=[-1]).fit(IMAGE),
        ValueError,
        "noise_levels",
    ),
    (
        "restorer bad likelihood",
        lambda: EPLLRestorer().restore(IMAGE, "noise"),
        TypeError,
        "likelihood",
    ),
    (
        "x0 wrong shape",
        lambda: EPLLRestorer().restore(IMAGE, GaussianNoise(0.1), x0=IMAGE[:10]),
        ValueError,
        "x0",
    ),
]


@pytest.mark.parametrize("case", BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_input_is_a_clear_error_naming_it(case):
    _, call, error, words = case
    with pytest.raises(error, match=words):
        call()


DTYPES = [np.bool_, np.uint8, np.uint16, np.int16, np.int64, np.float16, np.float32, np.float64]


@given(
    dtype=st.sampled_from(DTYPES),
    rows=st.integers(8, 24),
    cols=st.integers(8, 24),
    seed=st.integers(0, 2**16),
    layout=st.sampled_from(["C", "F", "strided", "readonly"]),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_real_dtype_and_layout_gives_a_finite_image_of_the_same_shape(
    dtype, rows, cols, seed, layout
):
    rng = np.random.default_rng(seed)
    base = rng.random((rows, cols))
    if dtype == np.bool_:
        image = base > 0.5
    elif np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        image = (base * min(info.max, 1000)).astype(dtype)
    else:
        image = base.astype(dtype)
    if layout == "F":
        image = np.asfortranarray(image)
    elif layout == "strided":
        image = np.repeat(np.repeat(image, 2, axis=0), 2, axis=1)[::2, ::2]
    elif layout == "readonly":
        image.setflags(write=False)
    before = image.copy()
    out = denoise_epll(image, 0.1, **FAST)
    np.testing.assert_array_equal(image, before)  # never modified
    assert out.shape == image.shape and np.all(np.isfinite(out))
    # skimage's float rules: float32 (and float16) stay float32, the rest become float64
    expected = np.float32 if dtype in (np.float16, np.float32) else np.float64
    assert out.dtype == expected


@given(
    image=hnp.arrays(
        np.float64,
        st.tuples(st.integers(8, 16), st.integers(8, 16)),
        elements=st.floats(-5, 5, allow_nan=False),
    ),
    sigma=st.sampled_from([1e-9, 1e-3, 0.1, 10.0, 1e6]),
)
@settings(max_examples=30, deadline=None)
def test_values_outside_unit_range_and_extreme_sigmas_are_handled(image, sigma):
    before = image.copy()
    out = denoise_epll(image, sigma, **FAST)
    np.testing.assert_array_equal(image, before)
    assert out.shape == image.shape and np.all(np.isfinite(out))
    # no clipping: the result lies within the input's range widened by the smoothing
    span = np.ptp(image) + 1e-6 * (1 + np.abs(image).max())  # float32 patch arithmetic
    assert out.min() >= image.min() - span and out.max() <= image.max() + span
    if sigma <= 1e-3:  # trusted data: nearly unchanged
        assert np.abs(out - image).max() <= 0.05 * span + 1e-6


def test_mask_and_kernel_are_not_modified():
    mask = np.random.default_rng(1).random((20, 20)) > 0.3
    kernel = np.ones((3, 3)) / 9
    mask_before, kernel_before, image_before = mask.copy(), kernel.copy(), IMAGE.copy()
    inpaint_epll(IMAGE, ~mask, **FAST)
    deblur_epll(IMAGE, kernel, 0.01, **FAST)
    np.testing.assert_array_equal(mask, mask_before)
    np.testing.assert_array_equal(kernel, kernel_before)
    np.testing.assert_array_equal(IMAGE, image_before)


def test_even_kernels_and_channel_last_colour_are_documented_results():
    even = deblur_epll(IMAGE, np.ones((2, 2)) / 4, 0.01, **FAST)
    assert even.shape == IMAGE.shape and np.all(np.isfinite(even))
    colour = np.stack([IMAGE, IMAGE.T, IMAGE[::-1]], axis=-1)
    mask = np.ones((20, 20), bool)
    mask[5:9, 5:9] = False
    filled = inpaint_epll(colour, ~mask, channel_axis=-1, **FAST)
    assert filled.shape == colour.shape
    np.testing.assert_allclose(filled[mask], colour[mask], atol=0.02)


def test_same_input_and_seed_give_bit_identical_results():
    noisy = IMAGE + 0.1 * np.random.default_rng(2).standard_normal(IMAGE.shape)
    a = denoise_epll(noisy, 0.1, stride=2)
    b = denoise_epll(noisy, 0.1, stride=2)
    np.testing.assert_array_equal(a, b)
    X = np.random.default_rng(3).standard_normal((300, 4))
    p1 = GMMPatchPrior(3, patch_size=None, random_state=7, max_iter=5).fit(X)
    p2 = GMMPatchPrior(3, patch_size=None, random_state=7, max_iter=5).fit(X)
    np.testing.assert_array_equal(p1.covariances_, p2.covariances_)


@pytest.fixture(scope="module")
def natural_images():
    from skimage import data

    return [
        data.camera() / 255.0,
        data.coins() / 255.0,
        data.moon() / 255.0,
        data.astronaut().mean(axis=2) / 255.0,
    ]


@given(
    which=st.integers(0, 3),
    top=st.integers(0, 250),
    left=st.integers(0, 250),
    sigma=st.floats(0.02, 0.3),
    seed=st.integers(0, 2**16),
    gating=st.sampled_from(["exact", "network"]),
)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_denoising_at_the_true_sigma_never_lowers_psnr(
    natural_images, which, top, left, sigma, seed, gating
):
    clean = natural_images[which][top : top + 40, left : left + 40]
    noisy = clean + sigma * np.random.default_rng(seed).standard_normal(clean.shape)
    restored = denoise_epll(noisy, sigma, stride=2, gating=gating)
    mse_noisy = np.mean((noisy - clean) ** 2)
    mse_restored = np.mean((restored - clean) ** 2)
    assert mse_restored < mse_noisy
    assert restored.shape == clean.shape and restored.dtype == np.float64
