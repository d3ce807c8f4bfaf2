"""Gating strategies: exact, pluggable, network, network+exact and flat-tail."""

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio as psnr

from skgate import (
    EPLLRestorer,
    ExactGating,
    Gating,
    GaussianNoise,
    denoise_epll,
    load_default_prior,
)
from skgate._patches import extract_patches
from skgate._shipped import tables_of
from skgate._tables import MixtureTables


def test_exact_gating_matches_prior_posterior(prior, clean, noisy_version):
    patches = extract_patches(noisy_version(clean, 0.1), 8, stride=2)
    tables = MixtureTables(prior)
    labels = ExactGating(tables).assign(patches.astype(np.float32), 0.01)
    expected = prior.predict(patches, noise_var=0.01)
    assert np.mean(labels == expected) > 0.99
    # a patch's mean does not move its component
    brighter = ExactGating(tables).assign((patches + 0.3).astype(np.float32), 0.01)
    assert np.mean(brighter == labels) > 0.99


def test_gating_is_pluggable(prior, clean, noisy_version):
    noisy = noisy_version(clean, 0.1)

    class Recorded(Gating):
        def __init__(self, tables):
            self.exact = ExactGating(tables)
            self.calls = 0

        def assign(self, patches, noise_var):
            self.calls += 1
            return self.exact.assign(patches, noise_var)

    class Constant(Gating):
        def assign(self, patches, noise_var):
            return np.zeros(len(patches), dtype=int)

    recorded = Recorded(MixtureTables(prior))
    via_plugin = EPLLRestorer(prior, gating=recorded, scales=1).restore(noisy, GaussianNoise(0.1))
    exact = EPLLRestorer(prior, scales=1).restore(noisy, GaussianNoise(0.1))
    np.testing.assert_allclose(via_plugin, exact)
    assert recorded.calls == len(GaussianNoise(0.1).default_betas())
    crude = EPLLRestorer(prior, gating=Constant()).restore(noisy, GaussianNoise(0.1))
    assert psnr(clean, crude, data_range=1) < psnr(clean, exact, data_range=1) - 0.5


def test_shipped_network_gating_restores_close_to_exact(clean, noisy_version):
    from skgate import load_default_network

    network = load_default_network()
    assert network.filters_.shape == (100, 64) and network.weights_.shape[1] == 200
    noisy = noisy_version(clean, 0.1, seed=3)
    # on noisy patches the network picks the exact posterior's component most of the time
    patches = extract_patches(noisy, 8, stride=1)
    prior = load_default_prior()
    agreement = np.mean(network.predict(patches, 0.01) == prior.predict(patches, noise_var=0.01))
    assert agreement > 0.6
    exact = denoise_epll(noisy, 0.1, stride=2, gating="exact")
    fast = denoise_epll(noisy, 0.1, stride=2, gating="network")
    strided = denoise_epll(noisy, 0.1, stride=3, gating=network)
    noisy_psnr = psnr(clean, noisy, data_range=1)
    for restored in (fast, strided):
        assert psnr(clean, restored, data_range=1) > noisy_psnr + 5
        # the network gives up at most a dB or so against the exact posterior here
        assert psnr(clean, restored, data_range=1) > psnr(clean, exact, data_range=1) - 1.5
    # the network's best candidates re-scored by the exact posterior come closer to exact
    # (on the validation photographs they close 40-60 % of the gap: doc/validation.rst)
    rescored = denoise_epll(noisy, 0.1, stride=2, gating="network+exact")
    gap_network = psnr(clean, exact, data_range=1) - psnr(clean, fast, data_range=1)
    gap_rescored = psnr(clean, exact, data_range=1) - psnr(clean, rescored, data_range=1)
    assert gap_rescored < max(0.02, 0.75 * gap_network)


def test_flat_tail_gating_is_exact_with_every_eigenvector_but_one(prior, clean):
    from skgate._gating import ExactGating, FlatTailGating

    tables = tables_of(prior)
    noisy = clean + 0.1 * np.random.default_rng(7).standard_normal(clean.shape)
    patches = extract_patches(noisy, 8, stride=2, dtype=np.float32)
    n_dims = tables.eigvals.shape[1]
    for noise_var in (0.01, 0.0005):
        exact = ExactGating(tables).assign(patches, noise_var)
        # a tail of one eigenvalue is that eigenvalue: the approximation is exact
        full = FlatTailGating(tables, rank=n_dims - 1).assign(patches, noise_var)
        assert np.mean(full == exact) > 0.999
        # fewer eigenvectors agree less, and more rank agrees more
        agreement = [
            np.mean(FlatTailGating(tables, rank=r).assign(patches, noise_var) == exact)
            for r in (4, 16)
        ]
        assert agreement[0] < agreement[1] < 1
    with pytest.raises(ValueError, match="rank"):
        FlatTailGating(tables, rank=n_dims)


def test_flat_tail_gating_by_name_restores_well(clean):
    noisy = clean + 0.1 * np.random.default_rng(8).standard_normal(clean.shape)
    exact = denoise_epll(noisy, 0.1, scales=1)
    flat = denoise_epll(noisy, 0.1, scales=1, gating="flat-tail")
    assert psnr(clean, flat, data_range=1) > psnr(clean, exact, data_range=1) - 0.5
    assert psnr(clean, flat, data_range=1) > psnr(clean, noisy, data_range=1) + 5
