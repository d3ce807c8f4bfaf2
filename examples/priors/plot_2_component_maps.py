"""
Which component explains each patch
===================================

The gating step assigns every patch to one mixture component. Colouring each pixel by the
component of the patch that starts there shows how the image is parsed: one colour for flat
sky, others for edges of each orientation (the paper's Figure 1). The exact posterior and
the gating network agree on most of the structure; where they differ, it is mostly among
similar components.
"""

# %%
# Gating every patch twice
# ------------------------
# ``predict`` is the most probable component: the exact posterior for the prior, the
# network's guess for the network.

import matplotlib.pyplot as plt
import numpy as np
from skimage import data

from skgate import extract_patches, load_default_network, load_default_prior

image = data.camera()[40:232, 150:342] / 255.0
prior = load_default_prior()
network = load_default_network()
patches = extract_patches(image, 8, stride=1)
shape = (image.shape[0] - 7, image.shape[1] - 7)
exact = prior.predict(patches).reshape(shape)
gated = network.predict(patches).reshape(shape)
print(f"agreement: {np.mean(exact == gated):.1%} of patches")

# %%
# One colour per component
# ------------------------
# A random but fixed colour for each component, at the top-left pixel of each patch.

colours = np.random.default_rng(0).random((prior.n_components, 3))
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
axes[0].imshow(image, cmap="gray")
axes[0].set_title("image", fontsize=9)
axes[1].imshow(colours[exact])
axes[1].set_title("exact posterior", fontsize=9)
axes[2].imshow(colours[gated])
axes[2].set_title(f"gating network ({np.mean(exact == gated):.0%} agree)", fontsize=9)
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
plt.show()
