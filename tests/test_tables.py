"""MixtureTables: the Wiener filters against the float64 formula."""

import numpy as np

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
