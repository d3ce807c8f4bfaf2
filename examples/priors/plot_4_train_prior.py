"""
Training a prior on your own images
===================================

:class:`skgate.GMMPatchPrior` is a scikit-learn estimator: sample patches from your images
with :func:`skgate.sample_patches`, then ``fit``. The shipped prior used a million patches and
200 components (``scripts/train_default_models.py``); a small one trains quickly and already
denoises, though not as well. From the shell: ``skgate train-prior IMAGES -o prior.npz``.
"""

# %%
# Patches from three images
# -------------------------

import time

import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr

from skgate import GMMPatchPrior, denoise_epll, sample_patches

training = [data.camera() / 255.0, data.moon() / 255.0, data.coins() / 255.0]
patches = sample_patches(training, 10_000, 8, random_state=0)

# %%
# Fitting
# -------
# Expectation-maximisation from a k-means start; ``tol`` is on the mean log-likelihood per
# patch.

tic = time.perf_counter()
prior = GMMPatchPrior(n_components=10, max_iter=100, tol=1e-2, random_state=0).fit(
    patches
)
seconds = time.perf_counter() - tic
print(
    f"fitted {prior.n_components} components in {seconds:.1f} s, {prior.n_iter_} iterations"
)

# %%
# Denoising an image it has not seen
# ----------------------------------
# Against the shipped prior.

clean = data.astronaut()[100:228, 180:308].mean(axis=2) / 255.0
sigma = 0.1
noisy = clean + sigma * np.random.default_rng(1).standard_normal(clean.shape)
print(f"noisy: {psnr(clean, noisy, data_range=1):.2f} dB")
for name, p in (("own prior", prior), ("shipped prior", None)):
    restored = denoise_epll(noisy, sigma, prior=p, stride=2)
    print(f"{name}: {psnr(clean, restored, data_range=1):.2f} dB")

# %%
# The components of the prior just trained
# ----------------------------------------
# The leading eigenvector of each component, heaviest first: smooth ramps and edges, as in
# the shipped prior, learned from three images.

import matplotlib.pyplot as plt

order = np.argsort(prior.weights_)[::-1]
fig, axes = plt.subplots(1, len(order), figsize=(10, 1.6))
for ax, h in zip(axes, order, strict=True):
    ax.imshow(prior.eigvecs_[h][:, -1].reshape(8, 8), cmap="gray")
    ax.set_title(f"{prior.weights_[h]:.2f}", fontsize=8)
    ax.set_axis_off()
plt.show()
