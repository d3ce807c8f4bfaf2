"""
Patches grouped by component
============================

Patches of a natural image that the exact posterior and the gating network assign to the
same few components (the paper's Figure 4). Each row is one component; the left half shows
patches the exact gating chose for it, the right half those the network chose. Both find
the same kind of structure.
"""

# %%
# Patches with structure
# ----------------------

import matplotlib.pyplot as plt
import numpy as np
from skimage import data

from skgate import extract_patches, load_default_network, load_default_prior

image = data.camera() / 255.0
prior = load_default_prior()
network = load_default_network()
patches = extract_patches(image, 8, stride=3)
# ignore nearly flat patches, which any low-variance component explains
patches = patches[patches.var(axis=1) > 1e-3]
exact = prior.predict(patches)
gated = network.predict(patches)

# %%
# Six patches per component and per gating
# ----------------------------------------
# The 6 components that the exact posterior uses most.

rng = np.random.default_rng(0)
shown = [h for h in np.argsort(np.bincount(exact, minlength=prior.n_components))[::-1]][
    :6
]
n = 6
canvas = np.full((len(shown) * 9 + 1, (2 * n) * 9 + 6), np.nan)
for row, h in enumerate(shown):
    for side, labels in enumerate((exact, gated)):
        members = np.flatnonzero(labels == h)
        picks = rng.choice(members, size=min(n, members.size), replace=False)
        for k, index in enumerate(picks):
            col = side * (n * 9 + 5) + 9 * k + 1
            canvas[1 + 9 * row : 9 + 9 * row, col : col + 8] = patches[index].reshape(
                8, 8
            )
fig, ax = plt.subplots(figsize=(8, 4))
ax.imshow(canvas, cmap="gray")
ax.set_title("left: exact gating        right: gating network", fontsize=9)
ax.set_axis_off()
plt.show()
