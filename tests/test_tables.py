"""MixtureTables: the Wiener filters against the float64 formula."""

import numpy as np

from skgate._linalg import grouped_matmul
from skgate._patches import extract_patches
from skgate._tables import MixtureTables


def test_wiener_filter_matches_float64_formula(prior, clean):
    patches = extract_patches(clean, 8, stride=4)
    tables = MixtureTables(prior)
    coords = tables.to_subspace(patches)
    labels = np.random.default_rng(0).integers(0, prior.n_components, len(coords))
    filtered = tables.from_subspace(tables.wiener(coords, labels, 0.004))
    for i in range(0, len(coords), 37):
        U, s = prior.eigvecs_[labels[i]], prior.eigvals_[labels[i]]
        expected = U @ ((s / (s + 0.004)) * (U.T @ patches[i]))
        np.testing.assert_allclose(filtered[i], expected, atol=2e-5)
    # straight from patch rows to patch rows, the patch mean passing through unchanged
    rows = tables.wiener_patches(patches.astype(np.float32), labels, 0.004)
    assert rows.dtype == np.float32
    np.testing.assert_allclose(rows, filtered + patches.mean(axis=1, keepdims=True), atol=2e-5)


def test_grouped_matmul_in_the_callers_buffers_equals_the_copying_path():
    """With ``overwrite_rows`` the sorted rows and their products use ``out`` and ``rows``
    (no allocation) and give the same result; ``out`` overlapping ``rows`` falls back to
    the copying path, still right."""
    rng = np.random.default_rng(1)
    rows = rng.standard_normal((500, 6)).astype(np.float32)
    labels = rng.integers(0, 7, 500)
    labels[labels == 3] = 4  # a label with no rows
    matrices = rng.standard_normal((7, 6, 6)).astype(np.float32)
    expected = np.einsum("nd,nde->ne", rows, matrices[labels])
    kept = rows.copy()
    copying = grouped_matmul(rows, labels, matrices)
    np.testing.assert_array_equal(rows, kept)  # the input is left alone by default
    np.testing.assert_allclose(copying, expected, rtol=1e-5, atol=1e-5)
    out, scratch = np.empty_like(rows), rows.copy()
    result = grouped_matmul(scratch, labels, matrices, out=out, overwrite_rows=True)
    assert result is out
    np.testing.assert_array_equal(result, copying)
    aliased = rows.copy()
    result = grouped_matmul(aliased, labels, matrices, out=aliased, overwrite_rows=True)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)
