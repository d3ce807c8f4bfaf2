"""
What the gating network looks at
=================================

The gating network scores each component as ``c_h - sum_i w_hi (v_i . x)^2``: every
component is recognised through the energies of the same 100 filters ``v_i``. Learned to
mimic the exact posterior, they look like the eigenvectors of the mixture's covariances:
oriented derivatives at several scales (compare the paper's Figure 3, and the leading
eigenvectors of the heaviest GMM components on the right).
"""

# %%
# The two models
# --------------

import matplotlib.pyplot as plt
import numpy as np

from skgate import load_default_network, load_default_prior

network = load_default_network()
prior = load_default_prior()

# %%
# The filters that weigh most, and the components' leading eigenvectors
# ---------------------------------------------------------------------
# A filter's importance is the sum of its weights over all components (clean-image head).

strength = np.abs(network.weights_[0]).sum(axis=0)
filters = network.filters_[np.argsort(strength)[::-1][:48]]
heaviest = np.argsort(prior.weights_)[::-1][:48]
eigenvectors = prior.eigvecs_[heaviest, :, -1]

# %%
# Side by side
# ------------

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.8))
for ax, vectors, title in (
    (left, filters, "gating network filters v_i"),
    (right, eigenvectors, "leading eigenvectors, 48 heaviest components"),
):
    grid = np.ones((6 * 9 + 1, 8 * 9 + 1)) * np.nan
    for k, v in enumerate(vectors):
        r, c = divmod(k, 8)
        grid[1 + 9 * r : 9 + 9 * r, 1 + 9 * c : 9 + 9 * c] = (
            v.reshape(8, 8) / np.abs(v).max()
        )
    ax.imshow(grid, cmap="gray", vmin=-1, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
fig.tight_layout()
plt.show()
