"""Model files: the only place that reads and writes them, and the shipped defaults.

A model file is an ``.npz`` archive read with ``allow_pickle=False``: nothing in it can run
code. Every file carries ``format`` (what it holds) and ``format_version``; on load every array
is checked (keys, shapes, finite values, weights summing to one, positive-definite
covariances), so a truncated, tampered or foreign file gives a ``ValueError`` that says what is
wrong instead of a model that silently misbehaves.
"""

import json
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._linalg import unpack_symmetric
from .._network import GatingNetwork
from .._prior import GMMPatchPrior
from ._archive import (
    MAX_FIELD_ELEMENTS as MAX_FIELD_ELEMENTS,  # the largest field a file may declare
)
from ._archive import (
    ModelFileError,
    flag_field,
    integer_field,
    metadata_field,
    read_archive,
    real_array_field,
    real_field,
    require_fields,
    write_archive,
)

__all__ = [
    "save_prior",
    "load_prior",
    "load_default_prior",
    "save_network",
    "load_network",
    "load_default_network",
    "DEFAULT_PRIOR_FILE",
    "DEFAULT_COLOUR_PRIOR_FILE",
    "DEFAULT_COLOUR_NETWORK_FILE",
    "DEFAULT_NETWORK_FILE",
    "ModelFileError",
]

PRIOR_FORMAT = "skgate.GMMPatchPrior"
#: 2 adds ``n_channels`` (colour priors); version 1 files are grey.
PRIOR_FORMAT_VERSION = 2
DEFAULT_PRIOR_FILE = "gmm_8x8_200.npz"
#: The shipped colour prior: 8x8 RGB patches (``n_channels=3``).
DEFAULT_COLOUR_PRIOR_FILE = "gmm_8x8x3_200.npz"
NETWORK_FORMAT = "skgate.GatingNetwork"
NETWORK_FORMAT_VERSION = 1
DEFAULT_NETWORK_FILE = "gating_8x8_200.npz"
#: The shipped colour prior's gating network.
DEFAULT_COLOUR_NETWORK_FILE = "gating_8x8x3_200.npz"


_LARGEST_NETWORK_VALUE = 1e6


def _pack_upper(matrices):
    iu = np.triu_indices(matrices.shape[-1])
    return matrices[:, iu[0], iu[1]]


def save_prior(prior, path, metadata=None):
    """Write a fitted :class:`~skgate.GMMPatchPrior` to a model file (``.npz``).

    The file holds arrays only (read without pickle), a format name and version; it is
    written atomically (a crash never leaves half a file under ``path``).

    Parameters
    ----------
    prior : GMMPatchPrior
        A fitted prior.
    path : str or Path
        The file to write (replaced if it exists).
    metadata : dict or None, default=None
        JSON-serialisable facts about the model (how it was trained), merged into the
        prior's own ``metadata_`` and read back as ``metadata_``.

    See Also
    --------
    skgate.models.load_prior
    skgate.models.save_network

    Notes
    -----
    Covariances are stored as float32 upper triangles; ``metadata`` is kept as JSON text.

    Examples
    --------
    >>> import os, tempfile
    >>> from skgate import load_default_prior
    >>> from skgate.models import load_prior, save_prior
    >>> path = os.path.join(tempfile.mkdtemp(), "prior.npz")
    >>> save_prior(load_default_prior(), path, metadata={"note": "a copy"})
    >>> load_prior(path).metadata_["note"]
    'a copy'
    """
    check_is_fitted(prior)
    info = dict(getattr(prior, "metadata_", {}) or {})
    info.update(metadata or {})
    write_archive(
        path,
        {
            "format": np.array(PRIOR_FORMAT),
            "format_version": np.array(PRIOR_FORMAT_VERSION),
            "n_features": np.array(prior.n_features_in_),
            "patch_size": np.array(0 if prior.patch_size is None else prior.patch_size),
            "n_channels": np.array(int(prior.n_channels)),
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
    """Read and validate a prior written by :func:`~skgate.models.save_prior`.

    The file is read without pickle; its format, version, field shapes and values are
    checked (finite, weights summing to 1, positive-definite covariances) before use.

    Parameters
    ----------
    path : str or Path
        The model file.

    Returns
    -------
    prior : GMMPatchPrior
        The fitted prior, with the file's ``metadata_``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError (a ValueError)
        If the file is not a valid skgate prior.

    See Also
    --------
    skgate.models.save_prior
    skgate.load_default_prior

    Examples
    --------
    >>> from skgate.models import DEFAULT_PRIOR_FILE, load_prior
    >>> from importlib.resources import files
    >>> prior = load_prior(files("skgate.models") / DEFAULT_PRIOR_FILE)
    >>> prior.n_components
    200
    """
    arrays = read_archive(path, PRIOR_FORMAT, PRIOR_FORMAT_VERSION)
    require_fields(
        arrays,
        path,
        ["n_features", "patch_size", "remove_dc", "reg_covar", "weights", "covariances_upper"],
    )
    remove_dc = flag_field(arrays, path, "remove_dc")
    d = integer_field(arrays, path, "n_features", minimum=2 if remove_dc else 1)
    patch_size = integer_field(arrays, path, "patch_size", minimum=0) or None
    n_channels = (
        integer_field(arrays, path, "n_channels", minimum=1) if "n_channels" in arrays else 1
    )
    reg_covar = real_field(arrays, path, "reg_covar", minimum=0.0)
    weights = real_array_field(arrays, path, "weights", ndim=1)
    upper = real_array_field(arrays, path, "covariances_upper", ndim=2)
    if (patch_size is not None and n_channels * patch_size**2 != d) or d % n_channels:
        raise ModelFileError(
            f"{path}: fields 'n_features' ({d}), 'patch_size' ({patch_size}) and "
            f"'n_channels' ({n_channels}) disagree"
        )
    if weights.size < 1:
        raise ModelFileError(f"{path}: field 'weights' is empty")
    K = weights.size
    if upper.shape != (K, d * (d + 1) // 2):
        raise ModelFileError(
            f"{path}: field 'covariances_upper' has shape {upper.shape}, expected "
            f"{(K, d * (d + 1) // 2)}"
        )
    if np.any(weights <= 0) or abs(weights.sum() - 1.0) > 1e-4:
        raise ModelFileError(f"{path}: field 'weights' must be positive and sum to 1")

    covariances = unpack_symmetric(upper, d)
    if remove_dc:
        # A DC-free prior has no variance along the constant patch of any channel; anything
        # else was not written by skgate (float32 storage leaves ~1e-7 of the trace).
        block = d // n_channels
        dc = np.kron(np.eye(n_channels), np.full((block, 1), 1.0 / np.sqrt(block)))
        leak = np.abs(np.einsum("dc,kde,ec->kc", dc, covariances, dc)).max(axis=1)
        if np.any(np.abs(leak) > 1e-4 * np.abs(np.trace(covariances, axis1=1, axis2=2)) + 1e-12):
            raise ModelFileError(
                f"{path}: field 'covariances_upper' has variance along the DC direction"
            )
    try:
        prior = GMMPatchPrior.from_covariances(
            weights,
            covariances,
            patch_size=patch_size,
            n_channels=n_channels,
            remove_dc=remove_dc,
            reg_covar=reg_covar,
        )
    except ValueError as exc:
        raise ModelFileError(f"{path}: field 'covariances_upper': {exc}") from exc
    prior.n_iter_ = integer_field(arrays, path, "n_iter", minimum=0) if "n_iter" in arrays else 0
    prior.converged_ = flag_field(arrays, path, "converged") if "converged" in arrays else False
    prior.lower_bound_ = (
        real_field(arrays, path, "lower_bound", allow_nan=True)
        if "lower_bound" in arrays
        else np.nan
    )
    prior.metadata_ = metadata_field(arrays, path)
    return prior


def default_colour_prior_path():
    """Path of the shipped colour prior file (8x8 RGB patches)."""
    return Path(str(resources.files(__name__).joinpath(DEFAULT_COLOUR_PRIOR_FILE)))


def default_colour_network_path():
    """Path of the shipped colour prior's gating network file."""
    return Path(str(resources.files(__name__).joinpath(DEFAULT_COLOUR_NETWORK_FILE)))


def default_prior_path():
    """Path of the shipped default prior file."""
    return Path(str(resources.files(__name__).joinpath(DEFAULT_PRIOR_FILE)))


def load_default_prior(colour=False):
    """The shipped prior: 200 zero-mean components over DC-removed 8x8 patches.

    Trained on 8x8 patches of the 200 BSDS300 training images (grey, [0, 1]) with
    ``scripts/train_default_models.py``; its ``metadata_`` attribute says how (patches,
    iterations, time, held-out log-likelihood).

    Parameters
    ----------
    colour : bool, default=False
        The shipped colour prior instead: 200 components over 8x8 RGB patches
        (``n_channels=3``, each channel's mean removed), trained on the same photographs in
        colour.

    Returns
    -------
    prior : GMMPatchPrior
        The fitted prior.

    See Also
    --------
    skgate.load_default_network
    skgate.models.load_prior
    skgate.GMMPatchPrior

    Examples
    --------
    >>> from skgate import load_default_prior
    >>> prior = load_default_prior()
    >>> prior.n_components, prior.patch_size, prior.covariances_.shape
    (200, 8, (200, 64, 64))
    >>> load_default_prior(colour=True).n_channels
    3
    """
    return load_prior(default_colour_prior_path() if colour else default_prior_path())


def save_network(network, path, metadata=None):
    """Write a fitted :class:`~skgate.GatingNetwork` to a model file (``.npz``).

    The teacher prior is not stored; :func:`load_network` attaches one. Arrays only, a
    format name and version, written atomically (as :func:`save_prior`).

    Parameters
    ----------
    network : GatingNetwork
        A fitted network.
    path : str or Path
        The file to write (replaced if it exists).
    metadata : dict or None, default=None
        JSON-serialisable facts about the model, merged into the network's ``metadata_``.

    See Also
    --------
    skgate.models.load_network
    skgate.models.save_prior

    Examples
    --------
    >>> import os, tempfile
    >>> from skgate import load_default_network
    >>> from skgate.models import load_network, save_network
    >>> path = os.path.join(tempfile.mkdtemp(), "network.npz")
    >>> save_network(load_default_network(), path)
    >>> load_network(path).filters_.shape
    (100, 64)
    """
    check_is_fitted(network)
    info = dict(getattr(network, "metadata_", {}) or {})
    info.update(metadata or {})
    write_archive(
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
    """Read and validate a gating network written by :func:`~skgate.models.save_network`.

    Parameters
    ----------
    path : str or Path
        The model file (read without pickle; format, version, shapes and values checked).
    prior : GMMPatchPrior or None, default=None
        The teacher to attach (used by ``score`` and ``cross_entropy``); ``None`` attaches the
        shipped default prior when its size matches, otherwise none.

    Returns
    -------
    network : GatingNetwork
        The fitted network, with the file's ``metadata_``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError (a ValueError)
        If the file is not a valid skgate network, or ``prior`` does not match it.

    See Also
    --------
    skgate.models.save_network
    skgate.load_default_network

    Examples
    --------
    >>> from importlib.resources import files
    >>> from skgate.models import DEFAULT_NETWORK_FILE, load_network
    >>> network = load_network(files("skgate.models") / DEFAULT_NETWORK_FILE)
    >>> network.weights_.shape[1]  # components of the prior it gates
    200
    """
    arrays = read_archive(path, NETWORK_FORMAT, NETWORK_FORMAT_VERSION)
    require_fields(arrays, path, ["filters", "weights", "offsets", "noise_levels"])
    # A trained network's values are of order 1-1000; far larger ones overflow the float32
    # gating arithmetic.
    filters = real_array_field(arrays, path, "filters", ndim=2, largest=_LARGEST_NETWORK_VALUE)
    weights = real_array_field(arrays, path, "weights", ndim=3, largest=_LARGEST_NETWORK_VALUE)
    offsets = real_array_field(arrays, path, "offsets", ndim=2, largest=_LARGEST_NETWORK_VALUE)
    levels = real_array_field(arrays, path, "noise_levels", ndim=1)
    n_filters, d = filters.shape
    L, K, F = weights.shape
    if n_filters < 1 or d < 1 or K < 1:
        raise ModelFileError(f"{path}: field 'filters' or 'weights' is empty")
    if F != n_filters or offsets.shape != (L, K) or levels.shape != (L,) or L < 1:
        raise ModelFileError(
            f"{path}: the shapes of fields 'filters' {filters.shape}, 'weights' "
            f"{weights.shape}, 'offsets' {offsets.shape} and 'noise_levels' {levels.shape} "
            "disagree"
        )
    if np.any(levels < 0) or np.any(np.diff(levels) <= 0):
        raise ModelFileError(f"{path}: field 'noise_levels' must be increasing and >= 0")
    metadata = metadata_field(arrays, path)
    if prior is None:
        # the shipped prior of the same patch size: grey (p^2 features) or colour (3 p^2)
        candidate = load_default_prior(colour=d == _colour_prior_features())
        if candidate.n_components == K and candidate.n_features_in_ == d:
            prior = candidate
    elif prior.n_components != K or prior.n_features_in_ != d:
        raise ModelFileError(
            f"{path}: the network's fields 'weights' and 'filters' are for {K} components "
            f"over {d} features; the prior has {prior.n_components} components over "
            f"{prior.n_features_in_} features"
        )
    network = GatingNetwork(prior, n_filters=n_filters, noise_levels=tuple(levels))
    network.filters_ = filters
    network.weights_ = weights
    network.offsets_ = offsets
    network.noise_levels_ = levels
    network.classes_ = np.arange(K)
    network.n_features_in_ = d
    network.prior_ = prior
    network.metadata_ = metadata
    return network


def default_network_path():
    """Path of the shipped default gating network file."""
    return Path(str(resources.files(__name__).joinpath(DEFAULT_NETWORK_FILE)))


def load_default_network(colour=False):
    """The shipped gating network for the shipped prior (100 filters, per-noise-level heads).

    Trained with ``scripts/train_default_models.py --what network``; ``metadata_`` says how.

    Parameters
    ----------
    colour : bool, default=False
        The shipped colour prior's network instead (``--what colour-network``): 100 filters
        over 8x8 RGB patches, with ``load_default_prior(colour=True)`` attached.

    Returns
    -------
    network : GatingNetwork
        The fitted network, with the shipped prior attached.

    See Also
    --------
    skgate.load_default_prior
    skgate.models.load_network
    skgate.GatingNetwork

    Examples
    --------
    >>> from skgate import load_default_network
    >>> network = load_default_network()
    >>> network.filters_.shape, network.prior_.n_components
    ((100, 64), 200)
    """
    if colour:
        return load_network(default_colour_network_path(), prior=load_default_prior(colour=True))
    return load_network(default_network_path())


def _colour_prior_features():
    """Features of the shipped colour prior's patches (8 x 8 x 3), read from its file's
    header without loading the mixture."""
    with np.load(default_colour_prior_path(), allow_pickle=False) as arrays:
        return int(arrays["n_features"])
