"""Fixtures shared by the test files: the shipped prior, a small clean crop, noise."""

import numpy as np
import pytest
from skimage import data

from skgate import load_default_prior


@pytest.fixture(scope="module")
def prior():
    return load_default_prior()


@pytest.fixture(scope="module")
def clean():
    return data.camera()[160:224, 192:256] / 255.0


@pytest.fixture(scope="session")
def noisy_version():
    """``noisy_version(clean, sigma, seed=0)``: ``clean`` plus white Gaussian noise."""

    def add_noise(clean, sigma, seed=0):
        return clean + sigma * np.random.default_rng(seed).standard_normal(clean.shape)

    return add_noise
