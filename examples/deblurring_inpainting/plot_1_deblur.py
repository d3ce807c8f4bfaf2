"""
Removing camera shake
=====================

The prior that denoises also undoes a known blur: :func:`skgate.deblur_epll` takes the
kernel and the noise level, and nothing is retrained. Here a 15-pixel diagonal motion
(:func:`skgate.motion_kernel`) is removed and compared with scikit-image's Wiener filter,
which needs a hand-tuned balance parameter.
"""

# %%
# A blurred, noisy image
# ----------------------
# :class:`skgate.Blur` is the degradation itself: ``forward`` convolves (with a periodic
# boundary), the noise is added by hand.

import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr
from skimage.restoration import wiener

from skgate import Blur, deblur_epll, motion_kernel

clean = data.camera()[40:232, 150:342] / 255.0
kernel = motion_kernel(15, 45.0)
sigma = 0.01
blurred = Blur(kernel, sigma).forward(clean)
blurred += sigma * np.random.default_rng(0).standard_normal(clean.shape)

# %%
# Restoring
# ---------
# ``stride=2`` is the deblurring default chosen on the validation photographs.

restored = deblur_epll(blurred, kernel, sigma, stride=2)
baseline = wiener(blurred, kernel, balance=0.01)

# %%
# The result, with the kernel in the corner of the blurred image
# --------------------------------------------------------------

images = {
    f"blurred ({psnr(clean, blurred, data_range=1):.2f} dB)": blurred,
    f"Wiener ({psnr(clean, baseline, data_range=1):.2f} dB)": baseline,
    f"EPLL ({psnr(clean, restored, data_range=1):.2f} dB)": restored,
}
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
for ax, (title, image) in zip(axes, images.items(), strict=True):
    ax.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
axes[0].imshow(kernel, cmap="gray", extent=(0, 40, 40, 0))
fig.tight_layout()
plt.show()
