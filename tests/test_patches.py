import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.io import imsave

import skgate._aggregation as aggregation
from skgate._patches import (
    PatchGrid,
    aggregate_patches,
    extract_patches,
    patch_coverage,
    remove_dc,
)
from skgate._sampling import sample_patches


def naive_patches(image, p, rows, cols):
    return np.array([image[r : r + p, c : c + p].ravel() for r in rows for c in cols])


@pytest.mark.parametrize("shape,p,stride", [((10, 13), 3, 1), ((10, 13), 4, 3), ((8, 8), 8, 2)])
def test_extract_matches_naive_loop(shape, p, stride):
    image = np.random.default_rng(0).random(shape)
    grid = PatchGrid(shape, p, stride)
    expected = naive_patches(image, p, grid.rows, grid.cols)
    np.testing.assert_array_equal(extract_patches(image, p, stride), expected)


def test_stride_snaps_last_patch_to_border():
    grid = PatchGrid((11, 9), patch_size=4, stride=3)
    assert grid.rows.tolist() == [0, 3, 6, 7]
    assert grid.cols.tolist() == [0, 3, 5]


def test_offset_shifts_grid_and_keeps_borders():
    grid = PatchGrid((12, 12), patch_size=4, stride=3, offset=(1, 2))
    assert grid.rows.tolist() == [0, 1, 4, 7, 8]
    assert grid.cols.tolist() == [0, 2, 5, 8]


@given(
    height=st.integers(1, 20),
    width=st.integers(1, 20),
    p=st.integers(1, 6),
    stride=st.integers(1, 5),
    oy=st.integers(0, 4),
    ox=st.integers(0, 4),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=150, deadline=None)
def test_aggregation_is_adjoint_of_extraction(height, width, p, stride, oy, ox, seed):
    height, width = height + p - 1, width + p - 1
    stride = min(stride, p)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((height, width))
    grid = PatchGrid((height, width), p, stride, (oy, ox))
    Z = rng.standard_normal((grid.n_patches, p * p))
    Px = extract_patches(x, p, stride, (oy, ox))
    PtZ = aggregate_patches(Z, (height, width), p, stride, (oy, ox))
    assert np.isclose(np.vdot(Px, Z), np.vdot(x, PtZ), rtol=1e-10, atol=1e-10)
    # every pixel is covered, and coverage is P^T applied to ones
    coverage = patch_coverage((height, width), p, stride, (oy, ox))
    assert coverage.min() >= 1
    np.testing.assert_array_equal(
        coverage, aggregate_patches(np.ones_like(Z), (height, width), p, stride, (oy, ox))
    )


def test_average_of_own_patches_is_identity():
    image = np.random.default_rng(1).random((17, 23))
    for stride in (1, 2, 5):
        patches = extract_patches(image, 5, stride)
        back = aggregate_patches(patches, image.shape, 5, stride) / patch_coverage(
            image.shape, 5, stride
        )
        np.testing.assert_allclose(back, image, atol=1e-12)


def naive_aggregate(Z, shape, p, rows, cols, channels):
    out = np.zeros((*shape, *channels))
    blocks = Z.reshape(len(rows), len(cols), *channels, p, p)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            patch = np.moveaxis(blocks[i, j], 0, -1) if channels else blocks[i, j]
            out[r : r + p, c : c + p, ...] += patch
    return out


@given(
    height=st.integers(0, 30),
    width=st.integers(0, 30),
    stride=st.integers(1, 8),
    offset=st.tuples(st.integers(0, 7), st.integers(0, 7)),
    block=st.sampled_from([1, 5, 64, 8192]),
    scatter=st.sampled_from([0, 1024, 10**9]),
    channels=st.sampled_from([(), (3,)]),
)
@settings(max_examples=80, deadline=None)
def test_blocked_aggregation_equals_a_loop_over_patches(
    height, width, stride, offset, block, scatter, channels
):
    """Every block size (one grid row or more at a time, the last block short), stride,
    offset and channel count adds each patch where it lies, by strided adds (``scatter``
    0), by bincount (``scatter`` huge) or by the default's choice per block."""
    p = 8
    shape = (height + p, width + p)
    grid = PatchGrid(shape, p, stride, offset, n_channels=channels[0] if channels else 1)
    Z = np.random.default_rng(height * 31 + width).standard_normal(
        (grid.n_patches, grid.n_features)
    )
    expected = naive_aggregate(Z, shape, p, grid.rows, grid.cols, channels)
    saved = aggregation.AGGREGATION_BLOCK, aggregation.SCATTER_VALUES_PER_ADD
    aggregation.AGGREGATION_BLOCK, aggregation.SCATTER_VALUES_PER_ADD = block, scatter
    try:
        out = grid.aggregate_into(np.zeros(grid.array_shape), Z)
    finally:
        aggregation.AGGREGATION_BLOCK, aggregation.SCATTER_VALUES_PER_ADD = saved
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def test_chunked_extraction_and_aggregation_equal_whole():
    image = np.random.default_rng(2).random((30, 21))
    grid = PatchGrid(image.shape, 6, 2)
    chunks = grid.row_chunks(max_patches=25)
    assert len(chunks) > 1
    parts = [grid.extract(image, rows) for rows in chunks]
    whole = grid.extract(image)
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    out = np.zeros(image.shape)
    for rows, part in zip(chunks, parts, strict=True):
        grid.aggregate_into(out, part, rows)
    np.testing.assert_allclose(out, aggregate_patches(whole, image.shape, 6, 2))


def test_dtype_and_input_not_modified():
    image = np.random.default_rng(3).random((9, 9))
    copy = image.copy()
    patches = extract_patches(image, 3, dtype=np.float32)
    assert patches.dtype == np.float32
    patches[:] = 0
    np.testing.assert_array_equal(image, copy)


def test_integer_image_converted_like_skimage():
    image = np.full((8, 8), 255, dtype=np.uint8)
    np.testing.assert_allclose(extract_patches(image, 4), 1.0)


def test_remove_dc_splits_rows_into_zero_mean_rows_and_means():
    X = np.random.default_rng(4).random((5, 16))
    centred, means = remove_dc(X)
    np.testing.assert_allclose(centred.mean(axis=1), 0, atol=1e-15)
    np.testing.assert_allclose(centred + means, X)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: extract_patches(np.zeros((4, 4)), 5), "smaller than the patch"),
        (lambda: extract_patches(np.zeros((4, 4, 4)), 2), "2-D"),
        (lambda: extract_patches(np.full((4, 4), np.nan), 2), "NaN"),
        (lambda: extract_patches(np.zeros((4, 4)), 0), "patch_size"),
        (lambda: extract_patches(np.zeros((4, 4)), 2, stride=0), "stride"),
        (lambda: extract_patches(np.zeros((4, 4)), 2, stride=3), "stride"),
        (lambda: extract_patches(np.zeros((4, 4)), 2.5), "patch_size"),
        (lambda: extract_patches(np.zeros((4, 4)), 2, dtype=int), "dtype"),
        (lambda: aggregate_patches(np.zeros((3, 4)), (4, 4), 2), "patches must have shape"),
        (lambda: sample_patches([], 3), "empty"),
        (lambda: sample_patches(np.zeros((4, 4)), 3, patch_size=8), "smaller"),
        (lambda: sample_patches(np.zeros((9, 9)), 0), "n_patches"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_sample_patches_reproducible_and_from_files(tmp_path):
    rng = np.random.default_rng(5)
    grey = (rng.random((20, 30)) * 255).astype(np.uint8)
    colour = (rng.random((25, 18, 3)) * 255).astype(np.uint8)
    imsave(tmp_path / "grey.png", grey)
    imsave(tmp_path / "colour.png", colour)
    files = [tmp_path / "grey.png", str(tmp_path / "colour.png")]
    a = sample_patches(files, 500, patch_size=4, random_state=7)
    b = sample_patches(files, 500, patch_size=4, random_state=7)
    c = sample_patches(files, 500, patch_size=4, random_state=8)
    assert a.shape == (500, 16)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert 0 <= a.min() and a.max() <= 1
    # every sampled patch is a real patch of one of the two images
    grey_patches = {tuple(r) for r in extract_patches(grey, 4).round(9)}
    assert any(tuple(r) in grey_patches for r in a.round(9))


def test_sample_patches_spread_in_proportion_to_positions():
    small = np.zeros((12, 12))
    big = np.ones((60, 60))
    patches = sample_patches([small, big], 4000, patch_size=4, random_state=0)
    fraction_big = patches[:, 0].mean()
    expected = 57 * 57 / (57 * 57 + 9 * 9)
    assert abs(fraction_big - expected) < 0.02


def test_sample_patches_augment_draws_every_symmetry():
    from skgate import sample_patches

    ramp = np.tile(np.arange(32.0), (32, 1))  # increases to the right only
    plain = sample_patches(ramp, 400, 4, random_state=0)
    augmented = sample_patches(ramp, 400, 4, random_state=0, augment=True)
    squares = augmented.reshape(-1, 4, 4)
    # the four directions of increase appear, and each patch is a symmetry of a ramp patch
    directions = {
        "right": np.all(np.diff(squares, axis=2) == 1, axis=(1, 2)),
        "left": np.all(np.diff(squares, axis=2) == -1, axis=(1, 2)),
        "down": np.all(np.diff(squares, axis=1) == 1, axis=(1, 2)),
        "up": np.all(np.diff(squares, axis=1) == -1, axis=(1, 2)),
    }
    assert all(found.sum() > 50 for found in directions.values())
    assert np.all(sum(directions.values()) == 1)
    assert np.all(np.diff(plain.reshape(-1, 4, 4), axis=2) == 1)
    np.testing.assert_array_equal(
        augmented, sample_patches(ramp, 400, 4, random_state=0, augment=True)
    )


@pytest.mark.parametrize("stride", [1, 2, 3, 4])
def test_shifted_offsets_stay_inside_the_stride_and_move(stride):
    from skgate._patches import shifted_offset

    offsets = [shifted_offset(stride, i) for i in range(2 * stride)]
    assert all(0 <= r < stride and 0 <= c < stride for r, c in offsets)
    if stride == 1:
        assert set(offsets) == {(0, 0)}
    else:
        assert len(set(offsets)) == stride  # every iteration within a cycle uses a new grid
