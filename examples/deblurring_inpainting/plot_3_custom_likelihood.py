"""
Write your own likelihood: 2x super-resolution
==============================================

The prior knows nothing about the degradation; the :class:`skgate.Likelihood` does. A new
task needs only its forward operator ``A`` and the adjoint ``A^T``: the restorer solves each
image step by conjugate gradients on the normal equations. Here ``A`` averages 2x2 blocks
(a low-resolution camera with box pixels), so the observation is half the size and
``image_shape`` says how large the restored image is.
"""

# %%
# The likelihood
# --------------
# ``forward`` and ``adjoint`` are all a new degradation needs; ``image_shape`` because the
# restored image is larger than the observation, ``initial_estimate`` for a better start
# than the default, and ``default_betas`` for the schedule of penalties.

import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr
from skimage.transform import resize

from skgate import EPLLRestorer, Likelihood


class Downsample2x(Likelihood):
    """``y = A x + n``: the mean of each 2x2 block of ``x``, plus noise ``sigma``."""

    def image_shape(self, y):
        return (2 * y.shape[0], 2 * y.shape[1])

    def forward(self, x):
        x = np.asarray(x)
        return x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2).mean(axis=(1, 3))

    def adjoint(self, r):
        # spreads each low-resolution residual evenly over its block
        return np.repeat(np.repeat(np.asarray(r), 2, axis=0), 2, axis=1) / 4

    def initial_estimate(self, y):
        return resize(y, self.image_shape(y), order=3)

    def default_betas(self):
        return 50.0 * 2.0 ** np.arange(8)


# %%
# Checking the adjoint
# --------------------
# A wrong adjoint makes conjugate gradients converge to the wrong image. The dot-product
# test ``<A x, r> = <x, A^T r>`` on random vectors catches it (the restorer runs the same
# test on every likelihood it does not know, and refuses a failing one).

clean = data.camera()[40:232, 150:342] / 255.0
likelihood = Downsample2x(sigma=0.005)
rng = np.random.default_rng(0)
x, r = rng.random(clean.shape), rng.random((96, 96))
assert np.isclose(np.vdot(likelihood.forward(x), r), np.vdot(x, likelihood.adjoint(r)))

# %%
# Restoring a low-resolution image
# --------------------------------
# Compared with bicubic interpolation.

low = likelihood.forward(clean) + 0.005 * rng.standard_normal((96, 96))
bicubic = resize(low, clean.shape, order=3)
restored = EPLLRestorer(stride=2).restore(low, likelihood)

images = {
    "observed (96 x 96)": low,
    f"bicubic ({psnr(clean, bicubic, data_range=1):.2f} dB)": bicubic,
    f"EPLL ({psnr(clean, restored, data_range=1):.2f} dB)": restored,
}
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
for ax, (title, image) in zip(axes, images.items(), strict=True):
    ax.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
fig.tight_layout()
plt.show()
