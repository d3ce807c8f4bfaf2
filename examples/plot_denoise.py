"""
Denoising a photograph
======================

:func:`skgate.denoise_epll` removes white Gaussian noise with the shipped patch prior. The
noise level can be given or estimated (:func:`skgate.estimate_noise_sigma`). Here a crop of
the cameraman with noise of 25 grey levels is restored with the default settings and
compared with scikit-image's wavelet denoiser.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr
from skimage.restoration import denoise_wavelet

from skgate import denoise_epll, estimate_noise_sigma

clean = data.camera()[40:232, 150:342] / 255.0
sigma = 25 / 255
noisy = clean + sigma * np.random.default_rng(0).standard_normal(clean.shape)

print(f"true sigma {sigma:.4f}, estimated {estimate_noise_sigma(noisy):.4f}")
tic = time.perf_counter()
restored = denoise_epll(noisy, sigma)
seconds = time.perf_counter() - tic
wavelet = denoise_wavelet(noisy, sigma=sigma, method="BayesShrink", mode="soft")

images = {
    f"noisy ({psnr(clean, noisy, data_range=1):.2f} dB)": noisy,
    f"wavelet ({psnr(clean, wavelet, data_range=1):.2f} dB)": wavelet,
    f"EPLL ({psnr(clean, restored, data_range=1):.2f} dB, {seconds:.1f} s)": restored,
}
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
for ax, (title, image) in zip(axes, images.items(), strict=True):
    ax.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
fig.tight_layout()
plt.show()
