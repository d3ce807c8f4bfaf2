"""
Demosaicing a Bayer image with the colour prior
===============================================

A camera sensor with a Bayer colour filter array records one colour per pixel: green at
half of the pixels, red and blue at a quarter each. Filling in the two missing colours of
every pixel is inpainting with a mask per channel, and it needs a prior over *colour*
patches: the channels' missing pixels are found from the channels recorded nearby. A grey
prior restoring the channels one by one sees only a quarter of the red pixels to fill in
the rest.
"""

# %%
# A mosaic
# --------
# :class:`~skgate.BayerMosaic` is the degradation: ``raw`` gives what the sensor records.

import matplotlib.pyplot as plt
import numpy as np
from skimage import data

from skgate import BayerMosaic, demosaic_epll

clean = data.astronaut()[30:158, 180:308] / 255.0
mosaic = BayerMosaic(clean.shape[:2], "RGGB")
raw = mosaic.raw(clean)


def cpsnr(estimate, border=4):
    """PSNR over the three channels, without a thin border."""
    inner = (slice(border, -border),) * 2
    error = np.clip(estimate, 0, 1)[inner] - clean[inner]
    return 10 * np.log10(1 / np.mean(error**2))


# %%
# Two baselines and EPLL
# ----------------------
# Bilinear interpolation of each channel from its own sites, and the same with a grey
# prior restoring each channel alone (``inpaint_epll`` with a mask per channel); then
# :func:`~skgate.demosaic_epll` with the shipped colour prior.

from scipy.ndimage import convolve  # noqa: E402

from skgate import inpaint_epll, load_default_prior  # noqa: E402

green = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]]) / 4
red_blue = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 4
sampled = np.where(mosaic.missing, 0.0, raw[..., None])
bilinear = np.stack(
    [
        convolve(sampled[..., c], k, mode="mirror")
        for c, k in enumerate([red_blue, green, red_blue])
    ],
    axis=-1,
)
grey = inpaint_epll(
    mosaic.observation(raw), mosaic.missing, channel_axis=-1, prior=load_default_prior()
)
colour = demosaic_epll(raw, "RGGB")

fig, axes = plt.subplots(1, 4, figsize=(12, 3.4))
images = {
    "clean": clean,
    f"bilinear ({cpsnr(bilinear):.2f} dB)": bilinear,
    f"grey prior per channel ({cpsnr(grey):.2f} dB)": grey,
    f"colour prior ({cpsnr(colour):.2f} dB)": colour,
}
for ax, (title, image) in zip(axes, images.items(), strict=True):
    ax.imshow(np.clip(image, 0, 1))
    ax.set_title(title, fontsize=10)
    ax.set_axis_off()
fig.tight_layout()
plt.show()

# %%
# The colour gating network
# -------------------------
# Exact gating scores every patch against all 200 components over 189 dimensions. The
# shipped colour network (:func:`~skgate.load_default_network` with ``colour=True``) picks
# the component from 100 filter responses instead; ``gating="network+exact"`` re-scores its
# two best candidates exactly.

import time  # noqa: E402

for gating in ("exact", "network", "network+exact"):
    tic = time.perf_counter()
    restored = demosaic_epll(raw, "RGGB", gating=gating)
    print(f"{gating:>14}: {cpsnr(restored):.2f} dB, {time.perf_counter() - tic:.1f} s")

# %%
# The measured comparison with Malvar (2004) and Menon (2007) on the validation
# photographs and McMaster is in :doc:`/validation_tasks` ("Demosaicing").
