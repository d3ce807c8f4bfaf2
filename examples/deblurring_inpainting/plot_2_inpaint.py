"""
Filling in missing pixels
=========================

With an :class:`skgate.Inpainting` likelihood the prior fills in pixels that were never
observed. Here a crop is scratched with short strokes, restored with
:func:`skgate.inpaint_epll` and compared with scikit-image's biharmonic inpainting.
"""

# %%
# An image with scratches
# -----------------------
# The mask says which pixels are missing (``True``, as in scikit-image's
# :func:`~skimage.restoration.inpaint_biharmonic`); they may hold anything.

import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from skimage.draw import rectangle
from skimage.metrics import peak_signal_noise_ratio as psnr
from skimage.restoration import inpaint_biharmonic

from skgate import inpaint_epll

clean = data.camera()[40:232, 150:342] / 255.0
missing = np.zeros(clean.shape, bool)
for row in range(12, clean.shape[0], 28):  # thin horizontal strokes
    for col in range(8, clean.shape[1] - 20, 24):
        rr, cc = rectangle((row, col), extent=(3, 16), shape=clean.shape)
        missing[rr, cc] = True
observed = np.where(missing, 0.0, clean)

# %%
# Restoring
# ---------

restored = inpaint_epll(observed, missing, stride=2)  # True = missing, as skimage
baseline = inpaint_biharmonic(observed, missing)

# %%
# The result
# ----------

images = {
    "observed": observed,
    f"biharmonic ({psnr(clean, baseline, data_range=1):.2f} dB)": baseline,
    f"EPLL ({psnr(clean, restored, data_range=1):.2f} dB)": restored,
}
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
for ax, (title, image) in zip(axes, images.items(), strict=True):
    ax.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
fig.tight_layout()
plt.show()
