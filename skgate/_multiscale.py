"""Multi-scale restoration: the low frequencies of a restoration from coarser scales.

A restoration of the 2x2-averaged observation sees the same scene with half the noise (four
independent noisy pixels average to one with ``sigma / 2``), and patches of the coarse image
span twice the distance: the prior sees larger structures. Its result replaces part of the
fine restoration's coarse scale (Papyan & Elad's multi-scale EPLL make the same point with a
joint prior over scales; this is the simpler pyramid form)::

    x = x_fine + w(sigma) * U(x_coarse - D x_fine)

with ``D`` the 2x2 average, ``U`` bilinear upsampling, and the weight ``w`` chosen on the
validation photographs per noise level (``FUSION_WEIGHTS``). Applied
recursively, each level fuses the next coarser one at its own noise level.
"""

import numpy as np
from skimage.transform import resize

__all__ = ["downsample", "upsample", "fuse", "fusion_weight", "FUSION_WEIGHTS"]

#: ``(sigma * 255, weight)`` anchors of ``fusion_weight``, chosen on
#: the tuning subset of the validation photographs (doc/validation_tuning.rst, "Multi-scale").
FUSION_WEIGHTS = ((15.0, 0.25), (25.0, 0.375), (50.0, 0.5), (75.0, 0.75))


def downsample(image):
    """2x2 box average: ``(M, N) -> (M // 2, N // 2)`` (an odd last row or column is left
    out; channels after the first two axes are averaged each on its own)."""
    image = np.asarray(image, dtype=np.float64)
    rows, cols = image.shape[0] // 2, image.shape[1] // 2
    blocks = image[: 2 * rows, : 2 * cols].reshape(rows, 2, cols, 2, *image.shape[2:])
    return blocks.mean(axis=(1, 3))


def upsample(image, shape):
    """Bilinear upsampling by 2 to ``shape`` (each dimension ``2 m`` or ``2 m + 1``; an odd
    last row or column repeats its neighbour; channels after the first two axes are kept)."""
    image = np.asarray(image, dtype=np.float64)
    channels = image.shape[2:]
    doubled = resize(
        image,
        (2 * image.shape[0], 2 * image.shape[1], *channels),
        order=1,
        mode="edge",
        anti_aliasing=False,
    )
    pad = (shape[0] - doubled.shape[0], shape[1] - doubled.shape[1])
    if min(pad) < 0 or max(pad) > 1:
        raise ValueError(f"cannot upsample {image.shape} to {shape}")
    return np.pad(doubled, ((0, pad[0]), (0, pad[1])) + ((0, 0),) * len(channels), mode="edge")


def fuse(fine, coarse, weight):
    """``fine`` with ``weight`` of its coarse scale replaced by ``coarse`` (a restoration of
    ``downsample`` of the same observation)."""
    return fine + weight * upsample(coarse - downsample(fine), fine.shape)


def fusion_weight(sigma):
    """The weight of the coarse restoration at noise level ``sigma`` (image in [0, 1]):
    linear in ``log sigma`` between the anchors of ``FUSION_WEIGHTS``,
    constant beyond."""
    levels, weights = np.array(FUSION_WEIGHTS).T
    return float(np.interp(np.log(sigma * 255.0), np.log(levels), weights))
