"""
The shipped patch prior
=======================

The default prior is a mixture of 200 zero-mean Gaussians over DC-removed 8x8 patches. Each
component's leading eigenvectors show the structure it models: smooth gradients, edges at
various orientations, textures. Here are the leading eigenvectors of the most probable
components.
"""

# %%
# The prior
# ---------
# :func:`skgate.load_default_prior` returns a fitted :class:`skgate.GMMPatchPrior`; its
# ``eigvecs_`` hold each component's eigenvectors in patch space, largest eigenvalue last.

import matplotlib.pyplot as plt
import numpy as np

from skgate import load_default_prior

prior = load_default_prior()
order = np.argsort(prior.weights_)[::-1][:8]
print(
    f"{prior.n_components} components, the 8 heaviest hold {prior.weights_[order].sum():.0%}"
)

# %%
# Six leading eigenvectors of each of the 8 heaviest components
# -------------------------------------------------------------

fig, axes = plt.subplots(len(order), 6, figsize=(6, 8))
for row, h in zip(axes, order, strict=True):
    for j, ax in enumerate(row):
        vector = prior.eigvecs_[h][:, -1 - j].reshape(8, 8)
        ax.imshow(vector, cmap="gray")
        ax.set_axis_off()
    row[0].set_title(f"pi={prior.weights_[h]:.3f}", fontsize=7, loc="left")
fig.suptitle("Leading eigenvectors of the 8 heaviest components")
plt.show()
