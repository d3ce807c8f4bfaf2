"""Units: restoring an image given in any units as if it were in [0, 1].

The prior's covariances, the tuned penalty schedules and the multi-scale fusion weights are
all in the units of images in [0, 1]. An image in other units (0..255 floats, 1e-8 or 1e5
offsets, an int32 image holding 0..255, which ``img_as_float`` maps to about 1e-7) is mapped
there first, ``y -> (y - offset) / scale``, restored, and mapped back, so that restoration is
equivariant: ``restore(a * y + b, a * sigma) == a * restore(y, sigma) + b``.

- ``scale`` is the data range: the one given (``data_range=``, as in scikit-image), or
  inferred as the width of the clean image estimated from the observation (its 0.1 and 99.9
  percentiles drawn in by the noise's own spread, by at most three quarters). An image that
  already is in the prior's units keeps ``scale = 1``: one within :data:`UNIT_BOUNDS` at least
  a grey level wide, or one of a width in :data:`UNIT_WIDTHS` anywhere. Every result validated
  in the docs is such an image, restored exactly as before.
- ``offset`` is the estimated clean image's low end, for an image far from zero for its
  scale. It changes nothing mathematically (the prior removes each patch's mean) but keeps
  float32 patch arithmetic exact. A likelihood passes a constant ``c`` through as ``gain * c``
  (:meth:`Likelihood.constant_gain`); one that does not say is restored without offset.
"""

from dataclasses import dataclass

import numpy as np

from ._backend import namespace, to_numpy
from ._validation import MAX_ABS_VALUE, MIN_SIGMA, check_real

__all__ = ["Units", "infer_units", "UNIT_WIDTHS"]

#: Inferred widths that keep an image's own units wherever it lies (e.g. a [0, 1] image
#: shifted by 1e5).
UNIT_WIDTHS = (0.25, 2.0)
#: An image within these bounds, at least one grey level wide, keeps its units too: a [0, 1]
#: image, even a dark or pale one, is one the prior was trained and tuned on.
UNIT_BOUNDS = (-0.5, 1.5)
SMALLEST_UNIT_WIDTH = 1 / 255

# Percentiles of the observation taken as its range: robust to a few hot pixels.
_PERCENTILES = (0.1, 99.9)
# How far white Gaussian noise spreads those percentiles, in sigma (Phi^-1(0.999)).
_NOISE_REACH = 3.09
# The largest noise level, relative to the scale, that an inferred scale leaves (noise of
# ten times an image's whole range already leaves it flat).
_LARGEST_UNIT_SIGMA = 10.0
# Values sampled for the percentiles: plenty for two quantiles, cheap on any image size.
_MAX_SAMPLES = 1 << 20


@dataclass(frozen=True)
class Units:
    """``unit = (value - offset) / scale`` for observations, ``(x - offset / gain) / scale``
    for images (a constant ``c`` in ``x`` is ``gain * c`` in ``y``)."""

    offset: float = 0.0
    scale: float = 1.0
    gain: float = 1.0

    @property
    def is_identity(self):
        return self.offset == 0.0 and self.scale == 1.0

    @property
    def image_offset(self):
        return self.offset / self.gain

    def observation_to_unit(self, y):
        return (y - self.offset) / self.scale if not self.is_identity else y

    def image_to_unit(self, x):
        return (x - self.image_offset) / self.scale if not self.is_identity else x

    def image_from_unit(self, x):
        return x * self.scale + self.image_offset if not self.is_identity else x


#: The units of an image already in [0, 1].
UNIT = Units()


def check_data_range(data_range):
    """``None`` or a finite positive float."""
    if data_range is None:
        return None
    return check_real(data_range, "data_range", allow_zero=False)


def _sample(values):
    """At most about :data:`_MAX_SAMPLES` of ``values``, evenly spread, on the host."""
    xp, _ = namespace(values)
    flat = xp.reshape(values, (-1,))
    step = max(1, flat.shape[0] // _MAX_SAMPLES)
    return to_numpy(flat[::step])


def infer_units(observed, sigma, gain, data_range=None):
    """The :class:`Units` for an observation whose observed values are ``observed`` (any
    shape), with noise ``sigma`` in its units; ``gain`` is the likelihood's constant gain or
    None (no offset); ``data_range`` the caller's, or None to infer it."""
    data_range = check_data_range(data_range)
    low, high = np.percentile(_sample(observed).astype(np.float64), _PERCENTILES)
    # The noise widens the observed range by its own reach on each side; where it seems to
    # make up most of the range (a sigma in the wrong units, or a nearly flat image), a
    # quarter of the observed width is kept rather than a meaningless difference.
    observed_width = float(high - low)
    reach = min(_NOISE_REACH * sigma, 3 * observed_width / 8)
    low, high = float(low + reach), float(high - reach)
    width = high - low
    in_unit_bounds = UNIT_BOUNDS[0] <= low and high <= UNIT_BOUNDS[1]
    if data_range is not None:
        scale = data_range
    elif UNIT_WIDTHS[0] <= width <= UNIT_WIDTHS[1] or (
        in_unit_bounds and width >= SMALLEST_UNIT_WIDTH
    ):
        scale = 1.0
    elif width > 0:
        scale = width
    else:  # a constant image: any scale restores it
        scale = sigma if sigma > 0 else 1.0
    if data_range is None:
        # Noise far beyond the image's range leaves a flat image whatever the scale; the
        # scale follows it, so that the penalties 1 / sigma^2 stay where float32 works.
        scale = max(scale, sigma / _LARGEST_UNIT_SIGMA)
    # Only an image far from zero for its scale needs the offset (float32 keeps about seven
    # digits): images near [0, 1] are restored exactly as they always were.
    usable = gain is not None and np.isfinite(gain) and gain > 0 and abs(low) > scale
    return Units(offset=low if usable else 0.0, scale=float(scale), gain=gain if usable else 1.0)


def check_unit_sigma(sigma, units):
    """``sigma`` in unit terms: refused (naming ``sigma``) below :data:`MIN_SIGMA` of the
    data range, where the float32 patch arithmetic cannot use it; held at
    :data:`MAX_ABS_VALUE` above (noise that large leaves a flat image either way, and the
    restorer warns about a sigma beyond the image's range)."""
    unit_sigma = sigma / units.scale
    if unit_sigma < MIN_SIGMA:
        raise ValueError(
            f"sigma={sigma:g} is {unit_sigma:.3g} times the image's data range "
            f"({units.scale:.3g}); it must be at least {MIN_SIGMA:g} times it "
            "(pass data_range if the inferred one is wrong)"
        )
    return min(unit_sigma, MAX_ABS_VALUE)
