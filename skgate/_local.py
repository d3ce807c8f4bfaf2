"""Local statistics: a second stage that filters with Gaussians estimated inside the image.

The shipped prior knows patches in general; an image repeats its own textures and edges,
differently in different places. After the first restoration (the *basic estimate*), every
patch of it (stride 1) gets a component label from the restorer's gating. The patches with
the same label inside one square window of ``window`` pixels form a group ``g``; its
DC-free mean ``m_g`` and covariance are estimated from the basic estimate's patches and
pulled towards the component's learned covariance ``C_h`` by a relevance factor ``r`` (a
MAP estimate under a conjugate prior, as in Gaussian-mixture adaptation)::

    C_g = (sum_{i in g} (z_i - m_g)(z_i - m_g)^T + r C_h) / (n_g + r)

The splitting iterations then run again from the basic estimate with these Gaussians held
fixed (no gating): each patch's Wiener estimate at noise ``1/beta`` is
``m_g + W_g (z - m_g)`` with ``W_g = C_g (C_g + I/beta)^-1``, its mean passing through,
and the image step is the likelihood's, so the stage serves every likelihood. Its penalties
continue the first pass's schedule past its last ``beta`` (:data:`BETA_FACTORS`).

This is NL-Bayes' second step (Lebrun, Buades & Morel 2013) inside EPLL's splitting, with
the gating's labels as the grouping instead of block matching: like PCLR (Chen, Zhang & Yu
2015) the external mixture clusters the patches and the image supplies each cluster's
statistics. The measurements behind every number here are the tables of "The second stage"
on the tuning page of the validation docs (``doc/validation_tuning.rst``,
``doc/_data/second_stage_*.json``); the confirmation on all 200 photographs, Set12 and
colour is the Validation page's "Second stage".
"""

from dataclasses import dataclass
from functools import partial
from numbers import Integral, Real

import numpy as np

from ._backend import from_numpy, namespace, on_device, to_numpy
from ._contracts import check_labels
from ._gating import trusted_gating
from ._linalg import block_products, inverse_permutation, label_blocks, scaled_gram
from ._patches import PatchGrid
from ._shipped import models
from ._splitting import aggregate_estimates, image_step

__all__ = ["LocalStatistics", "LocalGroups", "refine", "BETA_FACTORS", "LABEL_NOISE_FACTOR"]

#: The stage's penalties as multiples of the first pass's last ``beta``. Four steps from an
#: eighth to eight times it: the fixed Gaussians make the iterations converge to their MAP
#: estimate; a finer schedule of seven steps measured the same on the tuning images.
BETA_FACTORS = (0.125, 0.5, 2.0, 8.0)

#: The labels are chosen on the basic estimate as if it held noise of variance
#: ``LABEL_NOISE_FACTOR / beta_last``: the residual error of the first pass (about a sixth of
#: sigma^2 at the default schedule's last 32 / sigma^2), not the last penalty's 1 / 32.
LABEL_NOISE_FACTOR = 5.0


@dataclass(frozen=True)
class LocalStatistics:
    """The settings of the local-statistics second stage.

    After the first restoration, the patches that share a component label inside each
    window of ``window x window`` pixels form a group whose mean and covariance are
    estimated from the first result (pulled towards the component's learned covariance by
    ``relevance``); the splitting iterations then run once more with each patch filtered by
    its group's Gaussian. Pass an instance as ``second_stage`` to
    :class:`~skgate.EPLLRestorer` or the ``*_epll`` functions; ``"local"`` is
    ``LocalStatistics()``.

    Parameters
    ----------
    window : int, default=64
        Side of the windows that groups are formed in, in pixels (at least the patch size
        when used). Smaller windows follow the image more closely with fewer patches per
        group; the default was chosen on the validation photographs (the validation
        tuning page, "The second stage").
    relevance : float, default=16.0
        Weight of the learned covariance against a group's own patches, in patches: a group
        of ``relevance`` patches is half its own statistics, half the component's.

    See Also
    --------
    skgate.EPLLRestorer : ``second_stage`` runs the stage inside the restoration.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from skgate import LocalStatistics, denoise_epll
    >>> clean = data.camera()[100:228, 100:228] / 255.0
    >>> noisy = clean + 0.1 * np.random.default_rng(0).standard_normal(clean.shape)
    >>> first = denoise_epll(noisy, 0.1)
    >>> second = denoise_epll(noisy, 0.1, second_stage=LocalStatistics(window=48))
    >>> bool(np.mean((second - clean) ** 2) < np.mean((first - clean) ** 2))
    True
    """

    window: int = 64
    relevance: float = 16.0

    def __post_init__(self):
        if isinstance(self.window, bool) or not isinstance(self.window, Integral):
            raise TypeError(f"window must be an integer, got {self.window!r}")
        if self.window < 1:
            raise ValueError(f"window must be >= 1, got {self.window}")
        if isinstance(self.relevance, bool) or not isinstance(self.relevance, Real):
            raise TypeError(f"relevance must be a real number, got {self.relevance!r}")
        if not (np.isfinite(self.relevance) and self.relevance > 0):
            raise ValueError(f"relevance must be a finite number > 0, got {self.relevance}")
        object.__setattr__(self, "window", int(self.window))
        object.__setattr__(self, "relevance", float(self.relevance))


def check_second_stage(second_stage, patch_size=None):
    """``second_stage`` as a :class:`LocalStatistics` or None (``"local"`` is the default
    one); its window at least ``patch_size`` when given."""
    if second_stage is None:
        return None
    if isinstance(second_stage, str):
        if second_stage != "local":
            raise ValueError(
                f"second_stage must be None, 'local' or a LocalStatistics, got {second_stage!r}"
            )
        second_stage = LocalStatistics()
    if not isinstance(second_stage, LocalStatistics):
        raise TypeError(
            "second_stage must be None, 'local' or a LocalStatistics, "
            f"got {type(second_stage).__name__}"
        )
    if patch_size is not None and second_stage.window < patch_size:
        raise ValueError(
            f"second_stage window={second_stage.window} is smaller than the "
            f"{patch_size}x{patch_size} patches"
        )
    return second_stage


class LocalGroups:
    """Every patch's group (its window and label) and each group's Gaussian in DC-free
    coordinates, estimated from the basic estimate ``x`` on the stride-1 ``grid``.

    Parameters
    ----------
    x : ndarray
        The basic estimate (of ``grid.array_shape``, in [0, 1] units).
    grid : PatchGrid
        Stride 1: every patch.
    gating : Gating
        Assigns the labels.
    tables : MixtureTables
        The prior's tables (basis, components).
    noise_var : float
        The noise the gating assumes in ``x``.
    stage : LocalStatistics
    max_patches : int
        Patches handled at once.
    check : callable or None
        ``check(labels, n)``: validates a user's gating's labels.
    """

    def __init__(self, x, grid, gating, tables, noise_var, stage, max_patches, check=None):
        self.tables = tables
        self._moved = {}  # the groups' tables as arrays of other libraries, per device
        self.chunks = grid.row_chunks(max_patches)
        self.per_row = len(grid.cols)
        labels = np.empty(grid.n_patches, dtype=np.intp)
        for rows, where in self._spans():
            patches = grid.extract(x, rows, dtype=np.float32)
            chunk_labels = gating.assign(patches, noise_var)
            labels[where] = chunk_labels if check is None else check(chunk_labels, len(patches))
        window = stage.window
        windows_per_row = int(grid.cols[-1]) // window + 1
        windows = (grid.rows[:, None] // window) * windows_per_row + grid.cols[None, :] // window
        keys = windows.reshape(-1).astype(np.int64) * tables.n_components + labels
        unique_keys, self.groups = np.unique(keys, return_inverse=True)
        self.components = unique_keys % tables.n_components
        self.n_groups = len(unique_keys)
        self._gaussians(x, grid, stage.relevance)

    def _spans(self):
        """Each chunk's grid rows and its patches' slice in the whole grid."""
        return [(rows, self._where(rows)) for rows in self.chunks]

    def _where(self, rows):
        """The slice of the grid's patches in the grid rows ``rows``."""
        return slice(rows.start * self.per_row, rows.stop * self.per_row)

    def _gaussians(self, x, grid, relevance):
        """Each group's shrunk covariance as ``(eigvals, eigvecs)``, with its mean, in patch
        space: ``centres`` ``(G, d)`` and ``projections`` ``B V_g`` ``(G, d, d')`` (float32;
        ``B`` the DC-free basis), so that a patch's coordinates in its group's eigenbasis
        are one GEMM."""
        tables = self.tables
        G, n_dims = self.n_groups, tables.eigvals.shape[1]
        sums = np.zeros((G, n_dims))
        scatter = np.zeros((G, n_dims, n_dims))
        for rows, where in self._spans():
            coords = tables.to_subspace(grid.extract(x, rows, dtype=np.float32))
            order, blocks = label_blocks(self.groups[where], G)
            ordered = np.take(coords, order, axis=0)
            for g, block in blocks:
                members = ordered[block]  # float32 products, float64 sums across chunks
                sums[g] += members.sum(axis=0, dtype=np.float64)
                scatter[g] += members.T @ members
        counts = np.bincount(self.groups, minlength=G).astype(np.float64)
        means = sums / counts[:, None]
        scatter -= counts[:, None, None] * (means[:, :, None] * means[:, None, :])
        learned = scaled_gram(tables.eigvecs, tables.eigvals)  # (K, d', d'): K << G
        scatter += relevance * learned[self.components]
        scatter /= (counts + relevance)[:, None, None]
        eigvals, eigvecs = np.linalg.eigh(scatter)
        del scatter
        basis = tables.basis
        self.eigvals = np.maximum(eigvals, 0.0)  # rounding can leave tiny negative ones
        self.centres = (means @ basis.T).astype(np.float32)
        self.projections = (basis @ eigvecs).astype(np.float32)

    def shrinkage(self, noise_var):
        """``(G, d')`` float32: how much of each eigen-coordinate the Wiener filter at
        ``noise_var`` removes (``noise_var / (s + noise_var)``; minus, to add)."""
        return (-float(noise_var) / (self.eigvals + float(noise_var))).astype(np.float32)

    def estimate(self, patches, rows, shrinkage, out=None):
        """Wiener estimates of ``patches``, those of the grid rows ``rows`` (a slice), with
        the :meth:`shrinkage` of some noise level: ``m_g + W_g (z - m_g)`` in DC-free
        coordinates, the patch mean passing through (``patch + B V_g (shrink * u)`` with
        ``u = V_g^T B^T (patch - centre_g)``)."""
        if not isinstance(patches, np.ndarray):
            return self._estimate_batched(patches, rows, shrinkage)
        order, blocks = label_blocks(self.groups[self._where(rows)], self.n_groups)
        ordered = np.take(patches, order, axis=0)
        for g, block in blocks:
            members = ordered[block]
            projection = self.projections[g]
            coords = (members - self.centres[g]) @ projection
            coords *= shrinkage[g]
            members += coords @ projection.T
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)
        return np.take(ordered, inverse, axis=0, out=out, mode="clip")

    def _estimate_batched(self, patches, rows, shrinkage):
        """:meth:`estimate` for patches of another library, on their device: the groups'
        products as two batched GEMMs (thousands of groups, one kernel each would not do)."""
        xp, device = namespace(patches)

        def there(key, table):
            return on_device(self._moved, key, table, xp, device)

        groups = from_numpy(self.groups[self._where(rows)], xp, device)
        order, blocks = label_blocks(groups, self.n_groups)
        members = xp.take(groups, order)
        ordered = xp.take(patches, order, axis=0)
        centred = ordered - xp.take(there("centres", self.centres), members, axis=0)
        coords = block_products(centred, blocks, there("projections", self.projections))
        shrink = from_numpy(shrinkage, xp, device)  # one noise level's: moved per call
        coords = coords * xp.take(shrink, members, axis=0)
        back = there("back", np.ascontiguousarray(self.projections.transpose(0, 2, 1)))
        ordered = ordered + block_products(coords, blocks, back)
        return xp.take(ordered, inverse_permutation(order), axis=0)


def refine(y, likelihood, x, settings, stage, callback=None, progress=None, first=0):
    """The local-statistics stage (``skgate._local``) on one image or tile from its basic
    estimate ``x``: the groups' Gaussians, then the iterations of ``BETA_FACTORS`` with
    them (``first`` numbers those for the callback)."""
    prior, tables, gating = models(settings.prior, settings.gating, settings.n_channels)
    grid = PatchGrid(x.shape[:2], prior.patch_size, 1, n_channels=tables.n_channels)
    check = None
    if not trusted_gating(gating):  # a user's strategy: its labels are checked
        K = tables.n_components

        def check(labels, n):
            return check_labels(labels, n, K)

    last = float(settings.betas[-1])
    # The groups and their Gaussians are estimated on the host (as training and adaptation
    # are); the iterations run where x lives.
    groups = LocalGroups(
        to_numpy(x),
        grid,
        gating,
        tables,
        LABEL_NOISE_FACTOR / last,
        stage,
        settings.max_patches,
        check,
    )
    for step, beta in enumerate((last * np.asarray(BETA_FACTORS)).tolist()):
        estimate = partial(groups.estimate, shrinkage=groups.shrinkage(1.0 / beta))
        patch_sum = aggregate_estimates(x, grid, settings.max_patches, estimate)
        x = image_step(y, likelihood, x, patch_sum, grid, settings, beta)
        if callback is not None:
            callback(first + step, beta, x)
        if progress is not None:
            progress(step + 1, len(BETA_FACTORS))
    return x
