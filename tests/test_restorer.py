"""EPLLRestorer: callbacks, a user's own prior and its cached tables."""

import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr

from skgate import (
    EPLLRestorer,
    GaussianNoise,
    GMMPatchPrior,
)
from skgate._patches import extract_patches
from skgate._shipped import tables_of


def test_callback_sees_every_iteration(clean, noisy_version):
    seen = []
    EPLLRestorer(betas=[10.0, 100.0, 1000.0], stride=4).restore(
        noisy_version(clean, 0.1), GaussianNoise(0.1), callback=lambda k, b, x: seen.append((k, b))
    )
    assert seen == [(0, 10.0), (1, 100.0), (2, 1000.0)]


def test_restorer_with_own_small_prior():
    rng = np.random.default_rng(0)
    image = data.camera()[::4, ::4] / 255.0
    X = extract_patches(image, 4, stride=1)
    small = GMMPatchPrior(5, patch_size=4, max_iter=20, random_state=0).fit(X)
    noisy = image + 0.05 * rng.standard_normal(image.shape)
    out = EPLLRestorer(small).restore(noisy, GaussianNoise(0.05))
    assert psnr(image, out, data_range=1) > psnr(image, noisy, data_range=1) + 2

    # Its tables are built once for every call (and tile), and again only after a refit.
    tables = tables_of(small)
    EPLLRestorer(small, tile_shape=16).restore(noisy, GaussianNoise(0.05))
    assert tables_of(small) is tables and len(tables._filters) > 0
    small.fit(X[::2])
    assert tables_of(small) is not tables
