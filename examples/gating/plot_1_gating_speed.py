"""
Exact gating against the gating network
=======================================

Most of EPLL's time goes into *gating*: finding each patch's most probable mixture
component. The exact posterior costs about ``d^2 K / 2`` multiply-adds per patch (d = 63
dimensions, K = 200 components). The gating network of Rosenbaum & Weiss replaces it with
``n_filters * (d + K)`` (26,300 for 100 filters), about 15 times fewer.
``gating="network+exact"`` sits in between: the network proposes its 2 best components and
the exact posterior picks among them. A patch stride of 3 cuts every variant's work by about
9, and because the patch grid shifts from one iteration to the next it costs little quality.
This example times them on one image; :doc:`/benchmarks` has the measured table on 200
photographs.
"""

# %%
# A noisy image and five settings
# -----------------------------------

import time

import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr

from skgate import EPLLRestorer, GaussianNoise

clean = data.camera()[40:232, 150:342] / 255.0
sigma = 25 / 255
noisy = clean + sigma * np.random.default_rng(0).standard_normal(clean.shape)

# One scale and an explicit stride everywhere, so that only the gating differs between the
# rows that share a stride (the defaults are stride 3 and 3 scales).
settings = {
    "exact, stride 1": EPLLRestorer(gating="exact", stride=1, scales=1),
    "network, stride 1": EPLLRestorer(gating="network", stride=1, scales=1),
    "exact, stride 3": EPLLRestorer(gating="exact", stride=3, scales=1),
    "network+exact, stride 3": EPLLRestorer(gating="network+exact", stride=3, scales=1),
    "network, stride 3": EPLLRestorer(gating="network", stride=3, scales=1),
}

# %%
# Timing
# ------
# Each setting runs once untimed first: the first call loads the models and builds their
# tables (cached afterwards), which is not what we want to compare.

results = {}
for name, restorer in settings.items():
    restorer.restore(noisy[:32, :32], GaussianNoise(sigma))  # warm the caches
    tic = time.perf_counter()
    restored = restorer.restore(noisy, GaussianNoise(sigma))
    results[name] = (restored, time.perf_counter() - tic)
    print(
        f"{name:>24}: {psnr(clean, restored, data_range=1):.2f} dB, {results[name][1]:.2f} s"
    )
exact_seconds = results["exact, stride 1"][1]
for name, (_, seconds) in results.items():
    print(f"{name:>24}: {exact_seconds / seconds:5.1f}x faster than exact at stride 1")

# %%
# The images
# ----------
# The differences in quality are hard to see; the differences in time are not.

panels = {"noisy": (noisy, None), **results}
fig, axes = plt.subplots(2, 3, figsize=(9, 6.6))
for ax, (name, (image, seconds)) in zip(axes.ravel(), panels.items(), strict=True):
    ax.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1)
    timing = "" if seconds is None else f", {seconds:.2f} s"
    ax.set_title(
        f"{name}\n{psnr(clean, image, data_range=1):.2f} dB{timing}", fontsize=11
    )
    ax.set_axis_off()
fig.tight_layout()
plt.show()
