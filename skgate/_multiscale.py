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

from ._backend import is_numpy, namespace

__all__ = ["downsample", "upsample", "fuse", "fusion_weight", "FUSION_WEIGHTS"]

#: ``(sigma * 255, weight)`` anchors of ``fusion_weight``, chosen on
#: the tuning subset of the validation photographs (doc/validation_tuning.rst, "Multi-scale").
FUSION_WEIGHTS = ((15.0, 0.25), (25.0, 0.375), (50.0, 0.5), (75.0, 0.75))


def downsample(image):
    """2x2 box average: ``(M, N) -> (M // 2, N // 2)`` (an odd last row or column is left
    out; channels after the first two axes are averaged each on its own). Any Array API
    array; NumPy input is averaged in float64."""
    xp, _ = namespace(image)
    if is_numpy(xp):
        image = np.asarray(image, dtype=np.float64)
    rows, cols = image.shape[0] // 2, image.shape[1] // 2
    # Four strided quarters, not a reshape: an odd-sized image's trimmed view would be
    # copied whole to reshape it.
    quarters = [image[a : 2 * rows : 2, b : 2 * cols : 2, ...] for a in (0, 1) for b in (0, 1)]
    total = quarters[0] + quarters[1]
    for quarter in quarters[2:]:
        total += quarter  # in place: one quarter-sized array in all
    return total / 4


def upsample(image, shape):
    """Bilinear upsampling by 2 to ``shape`` (each dimension ``2 m`` or ``2 m + 1``; an odd
    last row or column repeats its neighbour; channels after the first two axes are kept).

    Scikit-image's ``resize(order=1, mode="edge")`` by 2, written with slices: each new
    pixel is ``3/4`` of its nearest old one and ``1/4`` of the next nearest (the border one
    repeated at the edges), so that it runs in any Array API library."""
    xp, _ = namespace(image)
    if is_numpy(xp):
        image = np.asarray(image, dtype=np.float64)
    pad = (shape[0] - 2 * image.shape[0], shape[1] - 2 * image.shape[1])
    if min(pad) < 0 or max(pad) > 1:
        raise ValueError(f"cannot upsample {image.shape} to {shape}")
    doubled = _doubled(xp, _doubled(xp, image, 0), 1)
    for axis, extra in enumerate(pad):
        if extra:
            edge = doubled[-1:, ...] if axis == 0 else doubled[:, -1:, ...]
            doubled = xp.concat([doubled, edge], axis=axis)
    return doubled


def _doubled(xp, image, axis):
    """``image`` linearly interpolated to twice its length along ``axis`` (0 or 1)."""

    def part(sl):
        return image[sl, ...] if axis == 0 else image[:, sl, ...]

    before = xp.concat([part(slice(0, 1)), part(slice(0, -1))], axis=axis)
    after = xp.concat([part(slice(1, None)), part(slice(-1, None))], axis=axis)
    even, odd = 0.75 * image + 0.25 * before, 0.75 * image + 0.25 * after
    shape = list(image.shape)
    shape[axis] *= 2
    return xp.reshape(xp.stack([even, odd], axis=axis + 1), tuple(shape))


#: Rows of the fine image fused at a time in place (NumPy): the upsampled correction of a
#: whole image, with its temporaries, took three images' worth of memory at the end of a
#: large restoration.
FUSE_ROWS = 256


def fuse(fine, coarse, weight, overwrite_fine=False):
    """``fine`` with ``weight`` of its coarse scale replaced by ``coarse`` (a restoration of
    ``downsample`` of the same observation).

    With ``overwrite_fine`` (a NumPy float64 array of the caller's own), ``fine`` is updated
    in place, :data:`FUSE_ROWS` rows at a time, and returned: no image-sized temporary."""
    correction = coarse - downsample(fine)
    xp, _ = namespace(fine)
    if not (overwrite_fine and is_numpy(xp) and fine.dtype == np.float64):
        return fine + weight * upsample(correction, fine.shape)
    for start in range(0, fine.shape[0], FUSE_ROWS):
        stop = min(start + FUSE_ROWS, fine.shape[0])
        part = _upsampled_rows(correction, fine.shape, start, stop)
        part *= weight
        fine[start:stop, ...] += part
    return fine


def _upsampled_rows(image, shape, start, stop):
    """Rows ``start:stop`` of ``upsample(image, shape)``, from the rows of ``image`` they
    depend on: an output row reads its own half-resolution row and a neighbour, so one
    extra row on each side of the piece makes its rows those of the whole (only a piece's
    own first and last rows see a repeated border)."""
    low = max(start // 2 - 1, 0)
    high = min((stop - 1) // 2 + 2, image.shape[0])
    extra = shape[0] - 2 * image.shape[0] if high == image.shape[0] else 0
    piece = upsample(image[low:high, ...], (2 * (high - low) + extra, *shape[1:]))
    return piece[start - 2 * low : stop - 2 * low, ...]


def fusion_weight(sigma):
    """The weight of the coarse restoration at noise level ``sigma`` (image in [0, 1]):
    linear in ``log sigma`` between the anchors of ``FUSION_WEIGHTS``,
    constant beyond."""
    levels, weights = np.array(FUSION_WEIGHTS).T
    return float(np.interp(np.log(sigma * 255.0), np.log(levels), weights))
