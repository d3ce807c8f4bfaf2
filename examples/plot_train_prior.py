"""
Training a prior on your own images
===================================

:class:`skgate.GMMPatchPrior` is a scikit-learn estimator: sample patches from your images
with :func:`skgate.sample_patches` and ``fit``. The shipped prior used a million patches and
200 components (``scripts/train_default_models.py``); a small one trains in seconds and
already denoises, though not as well. (From the shell: ``skgate train-prior IMAGES -o
prior.npz``.)
"""

import time

import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr

from skgate import GMMPatchPrior, denoise_epll, sample_patches

training = [data.camera() / 255.0, data.moon() / 255.0, data.coins() / 255.0]
patches = sample_patches(training, 30_000, 8, random_state=0)
tic = time.perf_counter()
prior = GMMPatchPrior(n_components=20, max_iter=30, random_state=0).fit(patches)
print(f"fitted 20 components in {time.perf_counter() - tic:.1f} s, {prior.n_iter_} iterations")

clean = data.astronaut()[100:228, 180:308].mean(axis=2) / 255.0  # not seen in training
sigma = 0.1
noisy = clean + sigma * np.random.default_rng(1).standard_normal(clean.shape)
for name, p in (("own 20-component prior", prior), ("shipped 200-component prior", None)):
    restored = denoise_epll(noisy, sigma, prior=p, stride=2)
    print(f"{name}: {psnr(clean, restored, data_range=1):.2f} dB")
print(f"noisy: {psnr(clean, noisy, data_range=1):.2f} dB")
