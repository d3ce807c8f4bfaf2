import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr

import skgate._multiscale as multiscale
from skgate import EPLLRestorer, GaussianNoise, Inpainting, denoise_epll
from skgate._multiscale import FUSION_WEIGHTS, downsample, fuse, fusion_weight, upsample


@given(rows=st.integers(2, 40), cols=st.integers(2, 40), value=st.floats(-2, 2))
@settings(max_examples=30, deadline=None)
def test_a_constant_image_stays_constant_through_the_scales(rows, cols, value):
    image = np.full((rows, cols), value)
    coarse = downsample(image)
    assert coarse.shape == (rows // 2, cols // 2)
    np.testing.assert_allclose(coarse, value, atol=1e-12)
    np.testing.assert_allclose(upsample(coarse, image.shape), value, atol=1e-12)


def test_downsampling_averages_blocks_and_halves_white_noise():
    image = np.arange(20.0).reshape(4, 5)
    np.testing.assert_allclose(downsample(image), [[3.0, 5.0], [13.0, 15.0]])
    noise = np.random.default_rng(0).standard_normal((400, 400))
    assert abs(downsample(noise).std() - 0.5) < 0.01


def test_upsample_refuses_a_shape_it_cannot_reach():
    with pytest.raises(ValueError, match="upsample"):
        upsample(np.zeros((4, 4)), (10, 8))


def test_fusion_replaces_the_coarse_scale_by_the_given_weight():
    rng = np.random.default_rng(1)
    fine = rng.random((17, 22))
    np.testing.assert_array_equal(fuse(fine, rng.random((8, 11)), 0.0), fine)
    # a coarse restoration equal to the fine one's own coarse scale changes nothing
    np.testing.assert_allclose(fuse(fine, downsample(fine), 0.7), fine, atol=1e-12)
    # with weight one the result's coarse scale moves to the coarse restoration's (up to the
    # bilinear interpolation, which does not reproduce 2x2 averages exactly)
    coarse = np.full((8, 11), 0.5)
    moved = downsample(fuse(fine, coarse, 1.0)) - downsample(fine)
    assert np.corrcoef(moved.ravel(), (coarse - downsample(fine)).ravel())[0, 1] > 0.9


def test_fusion_weight_follows_its_anchors():
    for sigma255, weight in FUSION_WEIGHTS:
        assert fusion_weight(sigma255 / 255) == pytest.approx(weight)
    lowest, highest = FUSION_WEIGHTS[0], FUSION_WEIGHTS[-1]
    assert fusion_weight(1 / 255) == pytest.approx(lowest[1])
    assert fusion_weight(200 / 255) == pytest.approx(highest[1])
    between = fusion_weight(np.sqrt(FUSION_WEIGHTS[0][0] * FUSION_WEIGHTS[1][0]) / 255)
    assert between == pytest.approx((FUSION_WEIGHTS[0][1] + FUSION_WEIGHTS[1][1]) / 2)


@pytest.fixture(scope="module")
def noisy_and_clean():
    clean = data.camera()[100:196, 120:216] / 255.0
    noisy = clean + 0.2 * np.random.default_rng(3).standard_normal(clean.shape)
    return noisy, clean


def test_scales_restore_the_averaged_image_and_fuse_it(noisy_and_clean):
    noisy, clean = noisy_and_clean
    one = EPLLRestorer(stride=3, scales=1).restore(noisy, GaussianNoise(0.2))
    two = EPLLRestorer(stride=3, scales=2).restore(noisy, GaussianNoise(0.2))
    # no weight: the single-scale restoration, bit for bit
    unweighted = EPLLRestorer(stride=3, scales=2, fusion_weight=0.0).restore(
        noisy, GaussianNoise(0.2)
    )
    np.testing.assert_array_equal(unweighted, one)
    coarse = EPLLRestorer(stride=3, scales=1).restore(downsample(noisy), GaussianNoise(0.1))
    np.testing.assert_allclose(two, fuse(one, coarse, fusion_weight(0.2)), atol=1e-12)
    assert psnr(clean, two, data_range=1) > psnr(clean, noisy, data_range=1) + 8


def test_scales_stop_where_a_coarser_image_would_not_hold_a_patch():
    noisy = np.random.default_rng(0).random((20, 30))
    three = EPLLRestorer(stride=2, scales=3).restore(noisy, GaussianNoise(0.1))
    two = EPLLRestorer(stride=2, scales=2).restore(noisy, GaussianNoise(0.1))
    # 20 x 30 -> 10 x 15 -> (5 x 7 is smaller than a patch): three scales are two
    np.testing.assert_array_equal(three, two)
    small = np.random.default_rng(0).random((12, 12))
    np.testing.assert_array_equal(
        EPLLRestorer(stride=2, scales=2).restore(small, GaussianNoise(0.1)),
        EPLLRestorer(stride=2).restore(small, GaussianNoise(0.1)),
    )


def test_scales_need_a_likelihood_with_a_coarse_version(noisy_and_clean):
    noisy, _ = noisy_and_clean
    mask = np.ones(noisy.shape, dtype=bool)
    with pytest.raises(ValueError, match="scales=2.*Inpainting"):
        EPLLRestorer(scales=2).restore(noisy, Inpainting(~mask))
    for bad in ({"scales": 0}, {"fusion_weight": 1.5}, {"fusion_weight": -0.1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            EPLLRestorer(**bad).restore(noisy, GaussianNoise(0.1))


def test_scales_work_in_tiles_and_in_colour(noisy_and_clean):
    noisy, _ = noisy_and_clean
    whole = EPLLRestorer(stride=3, scales=2).restore(noisy, GaussianNoise(0.2))
    tiled = EPLLRestorer(stride=3, scales=2, tile_shape=48, n_jobs=2).restore(
        noisy, GaussianNoise(0.2)
    )
    assert np.abs(tiled - whole).max() < 0.05
    colour = np.stack([noisy, noisy[::-1], noisy[:, ::-1]], axis=-1)
    restored = denoise_epll(colour, 0.2, scales=2, channel_axis=-1)
    assert restored.shape == colour.shape
    assert np.all(np.isfinite(restored))


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(2, 40),
    cols=st.integers(2, 12),
    odd=st.tuples(st.integers(0, 1), st.integers(0, 1)),
    strip=st.integers(1, 9),
    channels=st.sampled_from([(), (3,)]),
)
def test_fuse_in_place_in_strips_equals_the_whole(rows, cols, odd, strip, channels):
    """The in-place fusion, a few rows at a time, is the fusion of the whole image, at every
    strip height and at odd sizes (whose last row repeats), and it writes into ``fine``."""
    rng = np.random.default_rng(rows * 100 + cols)
    shape = (2 * rows + odd[0], 2 * cols + odd[1], *channels)
    fine = rng.random(shape)
    coarse = rng.random((rows, cols, *channels))
    expected = fuse(fine, coarse, 0.4)
    target, saved = fine.copy(), multiscale.FUSE_ROWS
    multiscale.FUSE_ROWS = strip
    try:
        fused = fuse(target, coarse, 0.4, overwrite_fine=True)
    finally:
        multiscale.FUSE_ROWS = saved
    assert fused is target
    np.testing.assert_allclose(fused, expected, rtol=0, atol=1e-12)


def test_fuse_leaves_fine_alone_unless_told():
    fine = np.random.default_rng(0).random((10, 12))
    before = fine.copy()
    fuse(fine, np.zeros((5, 6)), 0.5)
    np.testing.assert_array_equal(fine, before)


def test_in_place_fusion_needs_no_image_sized_temporary():
    """The restorer's fusion of its own image allocates a few strips, not the three images'
    worth of temporaries that the whole upsampled correction took (the peak of large
    restorations)."""
    rng = np.random.default_rng(0)
    fine = rng.random((4096, 512))  # many strips of 256 rows
    coarse = rng.random((2048, 256))
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fuse(fine, coarse, 0.5, overwrite_fine=True)
        _, in_place = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        fuse(fine, coarse, 0.5)
        _, copying = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the quarter-sized average and correction, and a strip's temporaries
    assert in_place < 0.75 * fine.nbytes
    assert copying > 3 * fine.nbytes


def test_fusion_leaves_the_iterates_a_callback_kept(noisy_and_clean):
    """A callback that keeps the arrays it is given (not copies) finds them unchanged after
    the restoration: the fine scale's last iterate is fused into a new image then."""
    noisy, _ = noisy_and_clean
    kept, copies = [], []

    def keep(iteration, beta, x):
        kept.append(x)
        copies.append(x.copy())

    restored = EPLLRestorer(stride=3, scales=2).restore(noisy, GaussianNoise(0.2), callback=keep)
    for x, copy in zip(kept, copies, strict=True):
        np.testing.assert_array_equal(x, copy)
    assert not np.shares_memory(restored, kept[-1])
