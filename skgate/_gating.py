"""Gating: choosing each patch's mixture component during EPLL.

Every strategy answers one question, ``assign(patches, noise_var) -> component index``, for
float32 patch rows seen with white noise of variance ``noise_var`` (``1/beta`` at penalty
``beta``). The prior ignores a patch's mean (its DC), so the answer must not depend on it. The
restoration loop is the same for all strategies; only ``assign`` differs. Each strategy maps
the patches to what it needs itself: the network's filters read patch rows directly, so its
path has no projection to the DC-free coordinates at all.
"""

from abc import ABC, abstractmethod
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._backend import block_size, is_numpy, namespace, on_device
from ._cache import cached
from ._linalg import LOG_2PI
from ._network import GatingNetwork

__all__ = [
    "Gating",
    "ExactGating",
    "FlatTailGating",
    "NetworkGating",
    "make_gating",
    "trusted_gating",
    "RESCORED_CANDIDATES",
]


class Gating(ABC):
    """Interface of a gating strategy: how each patch's mixture component is chosen.

    A subclass implements :meth:`assign`; pass an instance as ``EPLLRestorer(gating=...)``.
    The restorer checks what a user's strategy returns once per call (shape, integer labels
    in range).

    See Also
    --------
    skgate.ExactGating
    skgate.NetworkGating
    skgate.EPLLRestorer

    Examples
    --------
    A strategy that records how often it is asked, then gates exactly:

    >>> import numpy as np
    >>> from skgate import EPLLRestorer, ExactGating, GaussianNoise, Gating, MixtureTables
    >>> from skgate import load_default_prior
    >>> class Counted(Gating):
    ...     def __init__(self, tables):
    ...         self.exact, self.calls = ExactGating(tables), 0
    ...     def assign(self, patches, noise_var):
    ...         self.calls += 1
    ...         return self.exact.assign(patches, noise_var)
    >>> gating = Counted(MixtureTables(load_default_prior()))
    >>> noisy = np.random.default_rng(0).random((32, 32))
    >>> _ = EPLLRestorer(gating=gating, scales=1).restore(noisy, GaussianNoise(0.1))
    >>> gating.calls
    5
    """

    @abstractmethod
    def assign(self, patches, noise_var):
        """Choose a component for each patch.

        Parameters
        ----------
        patches : (n, d) ndarray of float32
            Noisy patch rows, DC included (a strategy ignores it or removes it).
        noise_var : float
            Variance of the noise they are seen with (``1/beta`` in EPLL).

        Returns
        -------
        labels : (n,) ndarray of int
            Each patch's component, in ``0 .. K-1``.
        """


class ExactGating(Gating):
    """The most probable component under the full posterior (EPLL's gating).

    ``argmax_h log pi_h + log N(y; 0, C_h + noise_var I)``, computed for all components at once
    as one float32 GEMM of the packed outer products of the patches with the packed precision
    matrices (about ``d'^2 K`` multiply-adds per patch).

    Parameters
    ----------
    tables : MixtureTables
        The prior's tables (shared with the filtering step).

    See Also
    --------
    skgate.Gating
    skgate.NetworkGating
    skgate.GMMPatchPrior

    Examples
    --------
    >>> import numpy as np
    >>> from skgate import ExactGating, MixtureTables, load_default_prior
    >>> prior = load_default_prior()
    >>> patches = np.random.default_rng(0).random((10, 64)).astype(np.float32)
    >>> labels = ExactGating(MixtureTables(prior)).assign(patches, noise_var=0.01)
    >>> bool(np.all(labels == prior.predict(patches, noise_var=0.01)))
    True
    """

    #: Patches per GEMM: their packed outer products take ``block * d'(d'+1)/2 * 4`` bytes
    #: (33 MB for 8x8 patches).
    block = 4096

    def __init__(self, tables):
        self.tables = tables

    def assign(self, patches, noise_var):
        xp, device = namespace(patches)
        parts = []
        for block in _slices(patches.shape[0], block_size(self.block, device)):
            coords = self.tables.to_subspace(patches[block, ...])
            posterior = self.tables.log_posterior(coords, noise_var)
            parts.append(xp.argmax(posterior, axis=1))
        return _joined(xp, parts, device)


#: FlatTailGating's rank, chosen on the validation photographs (doc/validation_tuning.rst).
DEFAULT_FLAT_TAIL_RANK = 16


class FlatTailGating(Gating):
    """The most probable component under a low-rank-plus-flat approximation of each
    covariance (FEPLL's flat tail, Parameswaran et al. 2019): the ``rank`` leading
    eigenvectors of each component are kept, its other eigenvalues are replaced by their
    mean, an isotropic "tail". The noisy log-likelihood then needs only the projections on
    the leading eigenvectors and the patch's norm,

    ``log N(y; 0, C_h + s I) ~ -1/2 [ ||y||^2 / (t_h + s) + sum_j (u_hj . y)^2
    (1 / (l_hj + s) - 1 / (t_h + s)) + log det ]``,

    about ``d' K rank`` multiply-adds per patch instead of exact gating's ``d'(d'+1) K / 2``.
    An approximation of exact gating, measured next to it in :doc:`/validation`;
    ``gating="exact"`` stays exact.

    Parameters
    ----------
    tables : MixtureTables
        The prior's tables.
    rank : int or None, default=None
        Leading eigenvectors kept per component; ``None`` takes 16, or all but one for a
        prior of fewer dimensions. 16 was chosen on the validation photographs
        (doc/validation_tuning.rst, "FEPLL's flat tail"): 8 loses clearly, 32 gains nothing more
        and costs more than exact gating.

    See Also
    --------
    skgate.ExactGating
    skgate.NetworkGating

    Examples
    --------
    >>> import numpy as np
    >>> from skgate import FlatTailGating, MixtureTables, load_default_prior
    >>> gating = FlatTailGating(MixtureTables(load_default_prior()), rank=16)
    >>> patches = np.random.default_rng(0).random((10, 64)).astype(np.float32)
    >>> gating.assign(patches, noise_var=0.01).shape
    (10,)
    """

    #: Patches per block: the projections (``block x K rank`` float32) stay a few MB.
    block = 2048

    def __init__(self, tables, rank=None):
        n_dims = tables.eigvals.shape[1]
        if rank is None:  # the validated rank, or all but one dimension of a smaller prior
            rank = min(DEFAULT_FLAT_TAIL_RANK, n_dims - 1)
        if isinstance(rank, bool) or not isinstance(rank, Integral) or not 1 <= rank < n_dims:
            raise ValueError(f"rank must be an integer in [1, {n_dims - 1}], got {rank!r}")
        self.tables = tables
        self.rank = int(rank)
        # eigh orders eigenvalues ascending: the leading ones are the last columns.
        self.leading = tables.eigvecs[:, :, -self.rank :].transpose(1, 0, 2)  # (d', K, r)
        self.leading_values = tables.eigvals[:, -self.rank :]
        self.tail_values = tables.eigvals[:, : -self.rank].mean(axis=1)
        self._weights = {}

    def _tables_for(self, noise_var):
        """The projection on the leading eigenvectors, each scaled by the square root of its
        weight in ``-1/2`` of the quadratic form (``(d', rank K)``: a component's score is
        then the sum of its ``rank`` squared projections, with no further product), the
        ``(K,)`` weights of ``||y||^2`` and the constants."""
        s = float(noise_var)
        n_dims = self.tables.eigvals.shape[1]
        tail = self.tail_values + s
        lead = self.leading_values + s
        # -1/2 (1/lead - 1/tail) = 1/2 (1/tail - 1/lead) >= 0 for leading eigenvalues (at
        # least the tail's mean), so each weight has a square root to fold into the projection.
        scale = np.sqrt(0.5 * np.maximum(1.0 / tail[:, None] - 1.0 / lead, 0.0))  # (K, r)
        # Columns ordered (rank, K): the sum over the rank is then over the middle axis, r
        # adds of contiguous (n, K) slabs (an inner-axis sum of 16 was slower than the GEMM).
        projection = (self.leading * scale[None, :, :]).transpose(0, 2, 1)
        norm_weights = -0.5 / tail
        log_det = np.log(lead).sum(axis=1) + (n_dims - self.rank) * np.log(tail)
        const = self.tables.log_weights - 0.5 * (log_det + n_dims * LOG_2PI)
        return (
            np.ascontiguousarray(projection.reshape(n_dims, -1), dtype=np.float32),
            norm_weights.astype(np.float32),
            const.astype(np.float32),
        )

    def assign(self, patches, noise_var):
        projection, norm_weights, const = cached(
            self._weights, float(noise_var), lambda: self._tables_for(noise_var)
        )
        n_components = const.shape[0]
        xp, device = namespace(patches)
        key = ("flat-tail", self.rank, float(noise_var))
        projection, norm_weights, const = (
            self.tables.on_device_of(patches, (*key, i), table)
            for i, table in enumerate((projection, norm_weights, const))
        )
        parts = []
        for block in _slices(patches.shape[0], block_size(self.block, device)):
            coords = self.tables.to_subspace(patches[block, ...])
            projections = coords @ projection
            projections *= projections
            gain = xp.sum(
                xp.reshape(projections, (coords.shape[0], self.rank, n_components)), axis=1
            )
            scores = xp.sum(coords * coords, axis=1)[:, None] * norm_weights
            scores += gain
            scores += const
            parts.append(xp.argmax(scores, axis=1))
        return _joined(xp, parts, device)


def _slices(n, size):
    """Consecutive slices of at most ``size`` of ``range(n)`` (stops within bounds: the
    Array API leaves out-of-bounds slices unspecified)."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def _joined(xp, labels, device=None):
    """The labels of consecutive blocks as one array of indices."""
    if not labels:
        return (
            np.empty(0, np.intp) if is_numpy(xp) else xp.empty((0,), dtype=xp.int64, device=device)
        )
    return labels[0] if len(labels) == 1 else xp.concat(labels)


#: Components the shipped network proposes for ``gating="network+exact"``, chosen on the
#: validation photographs (doc/validation_tuning.rst, "Re-scoring the network's candidates").
RESCORED_CANDIDATES = 2


def _top_k(scores, k):
    """Indices ``(n, k)`` of the ``k`` largest entries of each row, best first; ``scores`` is
    overwritten. For the few candidates used here, ``k`` argmax passes are an order of
    magnitude faster than ``np.argpartition`` over rows of a few hundred."""
    xp, _ = namespace(scores)
    if not is_numpy(xp):  # the standard has no scatter: the k best of a descending sort
        return xp.argsort(scores, axis=1, descending=True, stable=True)[:, :k]
    rows = np.arange(scores.shape[0])
    best = np.empty((scores.shape[0], k), dtype=np.intp)
    for j in range(k):
        best[:, j] = np.argmax(scores, axis=1)
        scores[rows, best[:, j]] = -np.inf
    return best


class NetworkGating(Gating):
    """Gating strategy backed by a fitted :class:`~skgate.GatingNetwork` (float32 GEMMs): about
    ``n_filters * (d' + K)`` multiply-adds per patch.

    Parameters
    ----------
    network : GatingNetwork
        A fitted network for the prior of ``tables``.
    tables : MixtureTables
        The prior's tables.
    top_k : int or None, default=None
        ``None``: the network's argmax decides. An integer ``k``: the network proposes its
        ``k`` most probable components and the exact posterior picks among them (adds
        ``k d'^2`` multiply-adds per patch, ``2k / K`` of exact gating), which recovers most
        of the gap between network and exact gating.

    See Also
    --------
    skgate.GatingNetwork
    skgate.ExactGating

    Examples
    --------
    The shipped network proposing its 3 best components for the exact posterior to choose from:

    >>> import numpy as np
    >>> from skgate import EPLLRestorer, GaussianNoise, MixtureTables, NetworkGating
    >>> from skgate import load_default_network, load_default_prior
    >>> tables = MixtureTables(load_default_prior())
    >>> gating = NetworkGating(load_default_network(), tables, top_k=3)
    >>> noisy = np.random.default_rng(0).random((32, 32))
    >>> EPLLRestorer(gating=gating).restore(noisy, GaussianNoise(0.1)).shape
    (32, 32)
    """

    def __init__(self, network, tables, top_k=None):
        check_is_fitted(network)
        if network.filters_.shape[1] != tables.basis.shape[0] or (
            network.weights_.shape[1] != tables.n_components
        ):
            raise ValueError(
                f"the gating network ({network.weights_.shape[1]} components over "
                f"{network.filters_.shape[1]} features) does not match the prior "
                f"({tables.n_components} components over {tables.basis.shape[0]} features)"
            )
        if top_k is not None and (
            not isinstance(top_k, Integral) or not 1 <= top_k <= tables.n_components
        ):
            raise ValueError(
                f"top_k must be None or an integer in [1, {tables.n_components}], got {top_k!r}"
            )
        self.network = network
        self.tables = tables
        self.top_k = top_k
        # The filters live in patch space and sum to zero (the DC does not move them).
        self.filters_t = np.ascontiguousarray(network.filters_.T, dtype=np.float32)
        self._heads = {}  # float32 output layers per noise variance
        self._moved = {}  # the layers as arrays of other libraries, per device

    def _head(self, noise_var):
        """The output layer as one ``(n_filters + 1) x K`` float32 matrix: the weights
        negated and the offsets as a last row, so that the logits are one GEMM of the
        squared responses with a column of ones appended (no add over the logits after it,
        which took a tenth of the network's time)."""
        W, c = self.network.head(noise_var)
        return np.ascontiguousarray(np.vstack([-W.T, c[None, :]]), dtype=np.float32)

    #: Patches per pass through the network: small enough that the responses and logits
    #: stay in cache between the GEMMs and the argmax (14 % faster than one pass over
    #: 32768 patches on a machine with 2 MB of L2 per core, where 2048-8192 measured alike;
    #: with 512 KB, 1024-4096 alike and 8192 slower).
    block = 2048
    #: Patches per pass of another library on an accelerator, which needs large kernels to
    #: fill its cores (the CPU's blocks, whatever the library, stay cache-sized).
    accelerator_block = 32768

    def assign(self, patches, noise_var):
        key = float(noise_var)
        head = cached(self._heads, key, lambda: self._head(key))
        xp, _ = namespace(patches)
        if not is_numpy(xp):
            return self._assign_generic(xp, patches, key, head)
        patches = np.asarray(patches, dtype=np.float32)
        n, n_filters = patches.shape[0], self.filters_t.shape[1]
        size = min(self.block, n)
        # Per call, not per instance: tiles in threads share this strategy. The last
        # column of the responses stays 1 (squared in place with the rest).
        responses = np.ones((size, n_filters + 1), dtype=np.float32)
        logits = np.empty((size, head.shape[1]), dtype=np.float32)
        labels = np.empty(n, dtype=np.intp)
        for start in range(0, n, self.block):
            part = patches[start : start + self.block]
            r, z = responses[: len(part)], logits[: len(part)]
            np.matmul(part, self.filters_t, out=r[:, :n_filters])
            np.square(r, out=r)
            np.matmul(r, head, out=z)
            labels[start : start + len(part)] = self._choose(part, z, key)
        return labels

    def _assign_generic(self, xp, patches, key, head):
        """:meth:`assign` in any Array API library: the same GEMMs without ``out=``."""
        device = namespace(patches)[1]
        filters_t = on_device(self._moved, "filters", self.filters_t, xp, device)
        head = on_device(self._moved, (key, "head"), head, xp, device)
        patches = xp.astype(patches, xp.float32, copy=False)
        parts = []
        rows = block_size(self.block, device, accelerator=self.accelerator_block)
        for block in _slices(patches.shape[0], rows):
            part = patches[block, ...]
            r = part @ filters_t
            ones = xp.ones((r.shape[0], 1), dtype=r.dtype, device=device)
            logits = xp.concat([r * r, ones], axis=1) @ head
            parts.append(self._choose(part, logits, key))
        return _joined(xp, parts, device)

    def _choose(self, patches, logits, noise_var):
        xp, _ = namespace(logits)
        if self.top_k is None:
            return xp.argmax(logits, axis=1)
        candidates = _top_k(logits, self.top_k)
        exact = self.tables.log_posterior_of(patches, candidates, noise_var)
        return xp.take_along_axis(candidates, xp.argmax(exact, axis=1)[:, None], axis=1)[:, 0]


# The gatings a string names; each takes the tables and a loader of the network to use.
_NAMED = {
    "exact": lambda tables, load_network: ExactGating(tables),
    "flat-tail": lambda tables, load_network: FlatTailGating(tables),
    "network": lambda tables, load_network: NetworkGating(load_network(), tables),
    "network+exact": lambda tables, load_network: NetworkGating(
        load_network(), tables, top_k=RESCORED_CANDIDATES
    ),
}


def trusted_gating(strategy):
    """Whether ``strategy`` is one of this package's own (tested by its suite, so the
    restorer skips the contract check of its labels); a user's strategy, a subclass
    included, is checked."""
    return type(strategy) in (ExactGating, FlatTailGating, NetworkGating)


def make_gating(gating, tables, load_network=None):
    """The strategy that the ``gating`` argument of the restorer names.

    Parameters
    ----------
    gating : {"exact", "network", "network+exact", "flat-tail"}, GatingNetwork or Gating
        A name, a fitted network (wrapped in :class:`NetworkGating`) or a strategy, which is
        used as it is (the caller built it for ``tables``).
    tables : MixtureTables
        The prior's tables.
    load_network : callable or None
        Returns the :class:`~skgate.GatingNetwork` that ``"network"`` and ``"network+exact"``
        use (the restorer passes the shipped one's loader); called only for those names.
    """
    if isinstance(gating, Gating):
        return gating
    if isinstance(gating, GatingNetwork):
        return NetworkGating(gating, tables)
    if isinstance(gating, str) and gating in _NAMED:
        if load_network is None and gating.startswith("network"):
            raise ValueError(f"gating={gating!r} needs a network; pass load_network")
        return _NAMED[gating](tables, load_network)
    raise ValueError(
        "gating must be 'exact', 'network', 'network+exact', 'flat-tail', a GatingNetwork or a "
        f"Gating, got {gating!r}"
    )
