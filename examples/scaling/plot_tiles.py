"""
Large images in tiles, on every core
====================================

``EPLLRestorer(tile_shape=..., n_jobs=...)`` cuts the image into tiles, restores each with a
margin of context (dropped afterwards, so no seam shows) and runs them with
:class:`joblib.Parallel`. Memory stays bounded by the tiles in flight, and the same code runs
on a Dask cluster through joblib's Dask backend.
"""

# %%
# An image and three ways to restore it
# -------------------------------------

import time

import numpy as np
from joblib import parallel_config
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr

from skgate import EPLLRestorer, GaussianNoise

clean = data.camera()[::2, ::2] / 255.0  # 256 x 256 keeps the example short
sigma = 20 / 255
noisy = clean + sigma * np.random.default_rng(0).standard_normal(clean.shape)
likelihood = GaussianNoise(sigma)

# %%
# Untiled, in tiles, and in tiles on two threads
# ----------------------------------------------
# A first untimed call loads the shipped models, so that the timings compare the work
# alone. Tiles give the same image up to the margins' effect; on an image this small they
# only add the margins' work, and pay off from a few megapixels (:doc:`/scaling`).

EPLLRestorer(gating="network", stride=3).restore(noisy[:32, :32], likelihood)
results = {}
for options in ({}, {"tile_shape": 128, "n_jobs": 1}, {"tile_shape": 128, "n_jobs": 2}):
    restorer = EPLLRestorer(gating="network", stride=3, **options)
    tic = time.perf_counter()
    results[str(options or "untiled")] = restored = restorer.restore(noisy, likelihood)
    seconds = time.perf_counter() - tic
    print(
        f"{options or 'untiled'}: {psnr(clean, restored, data_range=1):.2f} dB, {seconds:.2f} s"
    )
difference = np.abs(
    results["untiled"] - results[str({"tile_shape": 128, "n_jobs": 2})]
).max()
print(f"largest pixel difference, tiled against untiled: {difference:.4f}")

# %%
# The tiles
# ---------
# Each core (solid) is restored with a margin of context (dashed) and kept; the cores
# partition the image. Drawn here for cores of 128 pixels and a margin of 24.

import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle


def tiles(shape, side, margin):
    """Each core and its window with the margin, clipped to the image."""
    for top in range(0, shape[0], side):
        for left in range(0, shape[1], side):
            core = (
                slice(top, min(top + side, shape[0])),
                slice(left, min(left + side, shape[1])),
            )
            outer = tuple(
                slice(max(0, s.start - margin), min(s.stop + margin, n))
                for s, n in zip(core, shape, strict=True)
            )
            yield core, outer


fig, (left, right) = plt.subplots(1, 2, figsize=(8, 4))
left.imshow(noisy, cmap="gray", vmin=0, vmax=1)
for (core, outer), colour in zip(
    tiles(clean.shape, 128, 24),
    ["tab:red", "tab:blue", "tab:green", "tab:orange"],
    strict=False,
):
    for (rows, cols), style in ((core, "-"), (outer, "--")):
        corner, width, height = (
            (cols.start, rows.start),
            cols.stop - cols.start,
            rows.stop - rows.start,
        )
        left.add_patch(
            Rectangle(corner, width, height, fill=False, color=colour, ls=style)
        )
left.set_title("noisy, with the tiles", fontsize=9)
right.imshow(np.clip(results[str({"tile_shape": 128, "n_jobs": 2})], 0, 1), cmap="gray")
right.set_title("restored in tiles on two threads", fontsize=9)
for ax in (left, right):
    ax.set_axis_off()
fig.tight_layout()
plt.show()

# %%
# Worker processes
# ----------------
# Threads are the default (nothing to start or copy). On a machine with many cores, worker
# processes avoid waiting for each other's interpreter; choose them with joblib:

with parallel_config(backend="loky"):
    restored = EPLLRestorer(
        gating="network", stride=3, tile_shape=128, n_jobs=2
    ).restore(noisy, likelihood)
print(f"loky processes: {psnr(clean, restored, data_range=1):.2f} dB")

# %%
# On a Dask cluster
# -----------------
# With ``pip install "skgate[dask]"`` (``pip install ".[dask]"`` from a clone), the tiles become Dask tasks. A local cluster stands in
# for a real one here; with a scheduler elsewhere, pass its address to ``Client``.

from dask.distributed import Client, LocalCluster

with LocalCluster(n_workers=2, threads_per_worker=1, processes=False) as cluster:
    with Client(cluster), parallel_config(backend="dask"):
        restored = EPLLRestorer(
            gating="network", stride=3, tile_shape=128, n_jobs=-1
        ).restore(noisy, likelihood)
print(f"Dask: {psnr(clean, restored, data_range=1):.2f} dB")
