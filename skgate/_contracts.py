"""Contracts of the objects a user may plug into the restorer: checks, once per call, that
a :class:`~skgate.Likelihood` or a :class:`~skgate.Gating` returns what the restoration
needs (shapes, dtypes, finite values, label ranges, an adjoint that is one), so that a broken
one gets an error naming its method instead of a wrong image."""

import numpy as np

from ._backend import is_array, namespace
from ._blur import Blur
from ._channel_stack import ChannelStack
from ._gaussian_noise import GaussianNoise
from ._inpainting import Inpainting
from ._mosaic import BayerMosaic

_TESTED_LIKELIHOODS = (GaussianNoise, Blur, Inpainting)

__all__ = [
    "trusted_likelihood",
    "array_shape",
    "check_likelihood",
    "check_initial_estimate",
    "check_solution",
    "check_labels",
]


def trusted_likelihood(likelihood):
    """Whether ``likelihood`` is one of this package's own (not a subclass): tested by the
    suite, so its results skip the contract checks; a stack of channels is trusted when
    every channel's likelihood is."""
    if type(likelihood) in (ChannelStack, BayerMosaic):
        return all(trusted_likelihood(channel) for channel in likelihood.likelihoods)
    return type(likelihood) in _TESTED_LIKELIHOODS


def array_shape(likelihood, shape):
    """The shape of an image array of spatial ``shape`` under ``likelihood``: channels last
    for a :class:`ChannelStack`."""
    if isinstance(likelihood, ChannelStack):
        return (*shape, likelihood.n_channels)
    return tuple(shape)


def _check_returned(value, method, shape):
    """What a likelihood ``method`` returned must be a real, finite array of ``shape`` (an
    array of the observation's library where that is not NumPy)."""
    if not (isinstance(value, np.ndarray) or is_array(value)):
        kind = getattr(value, "dtype", type(value).__name__)
        raise TypeError(f"likelihood.{method} must return a real ndarray, got {kind}")
    xp, _ = namespace(value)
    if not xp.isdtype(value.dtype, ("real floating", "integral")):
        raise TypeError(f"likelihood.{method} must return a real ndarray, got {value.dtype}")
    if tuple(value.shape) != tuple(shape):
        raise ValueError(
            f"likelihood.{method} returned shape {tuple(value.shape)}, expected {shape}"
        )
    if not bool(xp.all(xp.isfinite(value))):
        raise ValueError(f"likelihood.{method} returned NaN or infinite values")
    return value


def check_likelihood(likelihood, y):
    """Check, once per restoration, what a likelihood's methods return for observation
    ``y``: ``image_shape`` a pair of positive integers; ``forward`` and ``adjoint`` real,
    finite arrays of the right shapes that pass the dot-product test
    ``<A x, r> = <x, A^T r>`` on random vectors (seeded: the check never changes a result);
    ``initial_estimate`` a real, finite image. Returns the image shape. A user's own
    :class:`~skgate.Likelihood` that breaks its contract gets an error naming the method, instead of
    a wrong image. The likelihoods of this package (not their subclasses) are tested by the
    test suite and skip the dot-product test, which costs 5 % of a fast restoration."""
    shape = likelihood.image_shape(y)
    if (
        not isinstance(shape, tuple)
        or len(shape) != 2
        or not all(isinstance(n, (int, np.integer)) and n > 0 for n in shape)
    ):
        raise ValueError(f"likelihood.image_shape must return (rows, cols), got {shape!r}")
    shape = (int(shape[0]), int(shape[1]))
    if trusted_likelihood(likelihood):
        return shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal(array_shape(likelihood, shape))
    r = rng.standard_normal(y.shape)
    forward = _check_returned(likelihood.forward(x), "forward", y.shape)
    adjoint = _check_returned(likelihood.adjoint(r), "adjoint", x.shape)
    left, right = float(np.vdot(forward, r)), float(np.vdot(x, adjoint))
    scale = np.linalg.norm(forward) * np.linalg.norm(r) + np.linalg.norm(x) * np.linalg.norm(
        adjoint
    )
    if abs(left - right) > 1e-6 * scale:
        raise ValueError(
            "likelihood.adjoint is not the adjoint of likelihood.forward: "
            f"<A x, r> = {left:.6g} but <x, A^T r> = {right:.6g} for random x, r"
        )
    return shape


def check_solution(x, shape):
    """An image step's result (``likelihood.solve``) must be a real, finite image."""
    return _check_returned(x, "solve", shape)


def check_initial_estimate(x, shape):
    """``likelihood.initial_estimate`` must give a real, finite image."""
    return _check_returned(x, "initial_estimate", shape)


def check_labels(labels, n_patches, n_components):
    """What a gating strategy's ``assign`` returned must be ``n_patches`` integer component
    indices in ``[0, n_components)``; a user's own :class:`~skgate.Gating` that returns
    anything else gets an error naming it, instead of NaN in the image."""
    if not isinstance(labels, np.ndarray) or labels.dtype.kind not in "iu":
        kind = getattr(labels, "dtype", type(labels).__name__)
        raise TypeError(f"gating.assign must return an integer ndarray, got {kind}")
    if labels.shape != (n_patches,):
        raise ValueError(f"gating.assign returned shape {labels.shape}, expected ({n_patches},)")
    if n_patches and (labels.min() < 0 or labels.max() >= n_components):
        raise ValueError(
            f"gating.assign returned labels in [{labels.min()}, {labels.max()}], outside the "
            f"prior's components [0, {n_components - 1}]"
        )
    return labels
