"""Model files: the only place that reads and writes them, and the shipped defaults.

A model file is an ``.npz`` archive read with ``allow_pickle=False``: nothing in it can run
code. Every file carries ``format`` (what it holds) and ``format_version``; on load every array
is checked (keys, shapes, finite values, weights summing to one, positive-definite
covariances), so a truncated, tampered or foreign file gives a ``ValueError`` that says what is
wrong instead of a model that silently misbehaves.
"""

import json
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._files import atomic_path
from .._linalg import unpack_symmetric
from ..network import GatingNetwork
from ..prior import GMMPatchPrior

__all__ = [
    "save_prior",
    "load_prior",
    "load_default_prior",
    "save_network",
    "load_network",
    "load_default_network",
    "DEFAULT_PRIOR_FILE",
    "DEFAULT_NETWORK_FILE",
]

PRIOR_FORMAT = "skgate.GMMPatchPrior"
PRIOR_FORMAT_VERSION = 1
DEFAULT_PRIOR_FILE = "gmm_8x8_200.npz"
NETWORK_FORMAT = "skgate.GatingNetwork"
NETWORK_FORMAT_VERSION = 1
DEFAULT_NETWORK_FILE = "gating_8x8_200.npz"


class ModelFileError(ValueError):
    """A model file is unreadable, foreign, from a newer skgate, or fails validation."""


def _write_npz(path, arrays):
    """Write ``arrays`` atomically: a crash never leaves a half-written model at ``path``."""
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def _read_npz(path, expected_format, supported_version):
    """All arrays of a model file, after checking its format and version."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"{path} is not a readable skgate model file: {exc}") from exc
    for key in ("format", "format_version"):
        if key not in arrays:
            raise ModelFileError(f"{path} is not a skgate model file (no '{key}' entry)")
    found = str(arrays["format"])
    if found != expected_format:
        raise ModelFileError(f"{path} holds a '{found}', not a '{expected_format}'")
    version = int(arrays["format_version"])
    if version > supported_version:
        raise ModelFileError(
            f"{path} has format version {version}, newer than this skgate reads "
            f"({supported_version}); upgrade skgate"
        )
    if version < 1:
        raise ModelFileError(f"{path} has an invalid format version {version}")
    return arrays


def _require(arrays, path, keys):
    missing = [key for key in keys if key not in arrays]
    if missing:
        raise ModelFileError(f"{path} lacks the entries {missing}")


def _pack_upper(matrices):
    iu = np.triu_indices(matrices.shape[-1])
    return matrices[:, iu[0], iu[1]]


def save_prior(prior, path, metadata=None):
    """Write a fitted :class:`~skgate.GMMPatchPrior` to ``path`` (``.npz``).

    Covariances are stored as float32 upper triangles; ``metadata`` (a JSON-serialisable
    dict, e.g. how the prior was trained) is kept as text.
    """
    check_is_fitted(prior)
    info = dict(getattr(prior, "metadata_", {}) or {})
    info.update(metadata or {})
    _write_npz(
        path,
        {
            "format": np.array(PRIOR_FORMAT),
            "format_version": np.array(PRIOR_FORMAT_VERSION),
            "n_features": np.array(prior.n_features_in_),
            "patch_size": np.array(0 if prior.patch_size is None else prior.patch_size),
            "remove_dc": np.array(bool(prior.remove_dc)),
            "reg_covar": np.array(float(prior.reg_covar)),
            "weights": prior.weights_.astype(np.float64),
            "covariances_upper": _pack_upper(prior.covariances_).astype(np.float32),
            "n_iter": np.array(int(getattr(prior, "n_iter_", 0))),
            "converged": np.array(bool(getattr(prior, "converged_", False))),
            "lower_bound": np.array(float(getattr(prior, "lower_bound_", np.nan))),
            "metadata": np.array(json.dumps(info)),
        },
    )


def load_prior(path):
    """Read and validate a prior written by :func:`save_prior`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError (a ValueError)
        If the file is not a valid skgate prior.
    """
    arrays = _read_npz(path, PRIOR_FORMAT, PRIOR_FORMAT_VERSION)
    _require(
        arrays,
        path,
        ["n_features", "patch_size", "remove_dc", "reg_covar", "weights", "covariances_upper"],
    )
    try:
        d = int(arrays["n_features"])
        patch_size = int(arrays["patch_size"]) or None
        remove_dc = bool(arrays["remove_dc"])
        reg_covar = float(arrays["reg_covar"])
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path} has malformed hyper-parameters: {exc}") from exc
    weights = np.asarray(arrays["weights"], dtype=np.float64)
    upper = np.asarray(arrays["covariances_upper"], dtype=np.float64)
    if d < (2 if remove_dc else 1) or (patch_size is not None and patch_size**2 != d):
        raise ModelFileError(f"{path}: n_features={d} does not match patch_size={patch_size}")
    if weights.ndim != 1 or weights.size < 1:
        raise ModelFileError(f"{path}: weights must be a non-empty vector, got {weights.shape}")
    K = weights.size
    if upper.shape != (K, d * (d + 1) // 2):
        raise ModelFileError(
            f"{path}: covariances have shape {upper.shape}, expected {(K, d * (d + 1) // 2)}"
        )
    if not (np.all(np.isfinite(weights)) and np.all(np.isfinite(upper))):
        raise ModelFileError(f"{path}: weights or covariances contain NaN or infinity")
    if np.any(weights < 0) or abs(weights.sum() - 1.0) > 1e-4:
        raise ModelFileError(f"{path}: weights must be non-negative and sum to 1")
    if not np.isfinite(reg_covar) or reg_covar < 0:
        raise ModelFileError(f"{path}: reg_covar must be >= 0")

    covariances = unpack_symmetric(upper, d)
    if remove_dc:
        # A DC-free prior has no variance along the constant patch; anything else was not
        # written by skgate (float32 storage leaves ~1e-7 of the trace).
        dc = np.full(d, 1.0 / np.sqrt(d))
        leak = np.einsum("d,kde,e->k", dc, covariances, dc)
        if np.any(np.abs(leak) > 1e-4 * np.abs(np.trace(covariances, axis1=1, axis2=2)) + 1e-12):
            raise ModelFileError(f"{path}: covariances have variance along the DC direction")
    try:
        prior = GMMPatchPrior.from_covariances(
            weights, covariances, patch_size=patch_size, remove_dc=remove_dc, reg_covar=reg_covar
        )
    except ValueError as exc:
        raise ModelFileError(f"{path}: {exc}") from exc
    prior.n_iter_ = int(arrays.get("n_iter", 0))
    prior.converged_ = bool(arrays.get("converged", False))
    prior.lower_bound_ = float(arrays.get("lower_bound", np.nan))
    try:
        prior.metadata_ = json.loads(str(arrays.get("metadata", "{}")))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: metadata is not valid JSON") from exc
    return prior


def default_prior_path():
    """Path of the shipped default prior file."""
    return Path(str(resources.files(__name__).joinpath(DEFAULT_PRIOR_FILE)))


def load_default_prior():
    """The shipped prior: 200 zero-mean components over DC-removed 8x8 patches.

    Trained on 8x8 patches of the 200 BSDS300 training images (grey, [0, 1]) with
    ``scripts/train_default_models.py``; its ``metadata_`` attribute says how (patches,
    iterations, time, held-out log-likelihood).

    Examples
    --------
    >>> from skgate import load_default_prior
    >>> prior = load_default_prior()
    >>> prior.n_components, prior.patch_size, prior.covariances_.shape
    (200, 8, (200, 64, 64))
    """
    return load_prior(default_prior_path())


def save_network(network, path, metadata=None):
    """Write a fitted :class:`~skgate.GatingNetwork` to ``path`` (``.npz``).

    The teacher prior is not stored; :func:`load_network` attaches one.
    """
    check_is_fitted(network)
    info = dict(getattr(network, "metadata_", {}) or {})
    info.update(metadata or {})
    _write_npz(
        path,
        {
            "format": np.array(NETWORK_FORMAT),
            "format_version": np.array(NETWORK_FORMAT_VERSION),
            "filters": network.filters_.astype(np.float32),
            "weights": network.weights_.astype(np.float32),
            "offsets": network.offsets_.astype(np.float32),
            "noise_levels": network.noise_levels_.astype(np.float64),
            "metadata": np.array(json.dumps(info)),
        },
    )


def load_network(path, prior=None):
    """Read and validate a gating network written by :func:`save_network`.

    Parameters
    ----------
    path : str or Path
    prior : GMMPatchPrior or None
        The teacher to attach (used by ``score`` and ``cross_entropy``); ``None`` attaches the
        shipped default prior when its size matches, otherwise none.
    """
    arrays = _read_npz(path, NETWORK_FORMAT, NETWORK_FORMAT_VERSION)
    _require(arrays, path, ["filters", "weights", "offsets", "noise_levels"])
    filters = np.asarray(arrays["filters"], dtype=np.float64)
    weights = np.asarray(arrays["weights"], dtype=np.float64)
    offsets = np.asarray(arrays["offsets"], dtype=np.float64)
    levels = np.asarray(arrays["noise_levels"], dtype=np.float64)
    if filters.ndim != 2 or weights.ndim != 3 or offsets.ndim != 2 or levels.ndim != 1:
        raise ModelFileError(f"{path}: arrays have the wrong number of dimensions")
    n_filters, d = filters.shape
    L, K, F = weights.shape
    if F != n_filters or offsets.shape != (L, K) or levels.shape != (L,) or L < 1:
        raise ModelFileError(
            f"{path}: inconsistent shapes filters {filters.shape}, weights {weights.shape}, "
            f"offsets {offsets.shape}, noise_levels {levels.shape}"
        )
    if not all(np.all(np.isfinite(a)) for a in (filters, weights, offsets, levels)):
        raise ModelFileError(f"{path}: arrays contain NaN or infinity")
    if np.any(levels < 0) or np.any(np.diff(levels) <= 0):
        raise ModelFileError(f"{path}: noise_levels must be increasing and >= 0")
    if prior is None:
        candidate = load_default_prior()
        if candidate.n_components == K and candidate.n_features_in_ == d:
            prior = candidate
    elif prior.n_components != K or prior.n_features_in_ != d:
        raise ValueError(
            f"prior has {prior.n_components} components over {prior.n_features_in_} features; "
            f"the network {K} over {d}"
        )
    network = GatingNetwork(prior, n_filters=n_filters, noise_levels=tuple(levels))
    network.filters_ = filters
    network.weights_ = weights
    network.offsets_ = offsets
    network.noise_levels_ = levels
    network.classes_ = np.arange(K)
    network.n_features_in_ = d
    network.prior_ = prior
    try:
        network.metadata_ = json.loads(str(arrays.get("metadata", "{}")))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: metadata is not valid JSON") from exc
    return network


def default_network_path():
    """Path of the shipped default gating network file."""
    return Path(str(resources.files(__name__).joinpath(DEFAULT_NETWORK_FILE)))


def load_default_network():
    """The shipped gating network for the shipped prior (100 filters, per-noise-level heads).

    Trained with ``scripts/train_default_models.py --what network``; ``metadata_`` says how.
    """
    return load_network(default_network_path())
