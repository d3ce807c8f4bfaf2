"""The restoration tables of a fitted prior: what EPLL's gating and filtering read.

For each noise variance the tables hold the packed quadratic forms and constants of the noisy
posterior (gating) and the Wiener filters ``V_h diag(s_h / (s_h + noise_var)) V_h^T``
(filtering), built once and cached.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._backend import is_numpy, namespace, on_device
from ._cache import cached
from ._linalg import (
    LOG_2PI,
    block_products,
    dc_free_basis,
    grouped_matmul,
    inverse_permutation,
    label_blocks,
    pack_symmetric,
    packed_outer,
    scaled_gram,
)

__all__ = ["MixtureTables"]


class MixtureTables:
    """A fitted prior in the coordinates EPLL works in, with per-noise-level tables cached.

    Patches are handled as ``y = x @ B`` (DC-free coordinates, float32); the DC is kept aside
    by the caller and passes through every filter unchanged, as in EPLL. For each noise
    variance the tables hold the packed quadratic forms and constants of the noisy posterior
    (gating) and the Wiener filters ``V_h diag(s_h / (s_h + noise_var)) V_h^T`` (filtering).

    Parameters
    ----------
    prior : GMMPatchPrior
        A fitted prior.

    See Also
    --------
    skgate.Gating
    skgate.GMMPatchPrior

    Examples
    --------
    >>> import numpy as np
    >>> from skgate import MixtureTables, load_default_prior
    >>> tables = MixtureTables(load_default_prior())
    >>> tables.n_components
    200
    >>> patches = np.random.default_rng(0).random((5, 64)).astype(np.float32)
    >>> labels = np.zeros(5, dtype=int)
    >>> tables.wiener_patches(patches, labels, noise_var=0.01).shape
    (5, 64)
    """

    def __init__(self, prior):
        check_is_fitted(prior)
        d = prior.n_features_in_
        self.remove_dc = bool(prior.remove_dc)
        self.n_channels = int(prior.n_channels)
        self.basis = dc_free_basis(d, prior.remove_dc, prior.n_channels)
        self.eigvals = prior.eigvals_
        # Eigenvectors in DC-free coordinates: B^T U_h = V_h.
        self.eigvecs = self.basis.T @ prior.eigvecs_
        self.log_weights = np.log(prior.weights_)
        self.basis32 = self.basis.astype(np.float32)
        self._gating = {}
        self._filters = {}
        self._moved = {}  # the tables as arrays of other libraries, per device

    def on_device_of(self, like, key, table):
        """One of these tables as an array of another library, on another device.

        Restoring a PyTorch tensor (or any Array API array) reads the tables there: each is
        moved once per device and kept.

        Parameters
        ----------
        like : array
            An array of the library and on the device wanted (the patches at hand).
        key : hashable
            What ``table`` is (its name and noise level), the key of the moved copy.
        table : ndarray
            The NumPy table.

        Returns
        -------
        array
            ``table`` in ``like``'s library on its device; ``table`` itself for NumPy.
        """
        xp, device = namespace(like)
        return on_device(self._moved, key, table, xp, device)

    @property
    def n_components(self):
        """Number of mixture components ``K``."""
        return self.eigvals.shape[0]

    def to_subspace(self, patches):
        """Patch rows in DC-free coordinates.

        Parameters
        ----------
        patches : (n, d) array_like
            Patch rows.

        Returns
        -------
        coords : (n, d') ndarray of float32
            ``patches @ B``: their DC-free part (``d' = d - 1`` with DC removal).
        """
        xp, _ = namespace(patches)
        if not is_numpy(xp):
            return xp.astype(patches, xp.float32, copy=False) @ self.on_device_of(
                patches, "basis", self.basis32
            )
        return np.asarray(patches, dtype=np.float32) @ self.basis32

    def from_subspace(self, coords):
        """DC-free coordinates back to patch rows.

        Parameters
        ----------
        coords : (n, d') ndarray
            DC-free coordinates.

        Returns
        -------
        patches : (n, d) ndarray
            Zero-mean patch rows, ``coords @ B^T``.
        """
        return coords @ self.basis32.T

    def gating_tables(self, noise_var):
        """The exact gating's tables at a noise level (built once, cached).

        Parameters
        ----------
        noise_var : float
            Variance of the noise the patches are seen with (``1/beta`` in EPLL).

        Returns
        -------
        quad : (d'(d'+1)/2, K) ndarray of float32
            Packed ``-1/2 (C_h + noise_var I)^-1``, one column per component.
        const : (K,) ndarray of float32
            ``log pi_h - 1/2 log det(2 pi (C_h + noise_var I))``.
        """
        return cached(self._gating, float(noise_var), lambda: self._build_gating(noise_var))

    def _build_gating(self, noise_var):
        variances = self.eigvals + float(noise_var)
        precisions = scaled_gram(self.eigvecs, 1.0 / variances)
        quad = np.ascontiguousarray(pack_symmetric(-0.5 * precisions), dtype=np.float32)
        n_dims = self.eigvals.shape[1]
        const = self.log_weights - 0.5 * (np.log(variances).sum(axis=1) + n_dims * LOG_2PI)
        return quad, const.astype(np.float32)

    def log_posterior(self, coords, noise_var):
        """Unnormalised log posterior of DC-free patches under added noise (exact gating).

        Parameters
        ----------
        coords : (n, d') ndarray of float32
            DC-free coordinates (:meth:`to_subspace`).
        noise_var : float
            Variance of the noise the patches are seen with (``1/beta`` in EPLL).

        Returns
        -------
        log_posterior : (n, K) ndarray of float32
            ``log pi_h + log N(y; 0, C_h + noise_var I)`` for every patch and component.
        """
        quad, const = self.gating_tables(noise_var)
        key = ("gating", float(noise_var))
        quad = self.on_device_of(coords, (*key, "quad"), quad)
        const = self.on_device_of(coords, (*key, "const"), const)
        return packed_outer(coords).T @ quad + const

    def whitening_tables(self, noise_var):
        """Whitening maps of the components at a noise level (built once, cached).

        Parameters
        ----------
        noise_var : float
            Variance of the noise the patches are seen with (``1/beta`` in EPLL).

        Returns
        -------
        maps : (K, d, d') ndarray of float32
            ``M_h = B V_h diag((s_h + noise_var)^-1/2)`` from patch rows (their DC ignored) to
            whitened DC-free coordinates: ``-1/2 |x M_h|^2`` is the quadratic term of the
            noisy posterior.
        const : (K,) ndarray of float32
            The constants of :meth:`gating_tables`.
        """

        def build():
            scales = 1.0 / np.sqrt(self.eigvals + float(noise_var))
            maps = (self.eigvecs * scales[:, None, :]).astype(np.float32)
            return np.ascontiguousarray(self.basis32 @ maps), self.gating_tables(noise_var)[1]

        return cached(self._gating, ("whiten", float(noise_var)), build)

    def log_posterior_of(self, patches, candidates, noise_var):
        """Unnormalised log posterior of each patch for its own candidate components.

        ``k d d'`` multiply-adds per patch instead of the ``K d'^2 / 2`` of
        :meth:`log_posterior` (how ``"network+exact"`` re-scores the network's proposals).

        Parameters
        ----------
        patches : (n, d) ndarray of float32
            Patch rows (their DC is ignored).
        candidates : (n, k) ndarray of int
            Component indices to score for each patch.
        noise_var : float
            Variance of the noise the patches are seen with (``1/beta`` in EPLL).

        Returns
        -------
        log_posterior : (n, k) ndarray of float32
            The scores of ``candidates``, in their order.
        """
        maps, const = self.whitening_tables(noise_var)
        xp, _ = namespace(patches, candidates)
        key = ("whiten", float(noise_var))
        maps = self.on_device_of(patches, (*key, "maps"), maps)
        const = self.on_device_of(patches, (*key, "const"), const)
        n, k = candidates.shape
        labels = xp.reshape(candidates, (-1,))
        # (patch, candidate) pairs sorted by component: one GEMM per component on the gathered
        # patches, and only the scores (not the whitened patches) are put back in order.
        order, blocks = label_blocks(labels, maps.shape[0])
        gathered = xp.take(patches, order // k, axis=0)
        if is_numpy(xp):
            squares = np.empty(labels.size, dtype=np.float32)
            for h, block in blocks:
                whitened = gathered[block] @ maps[h]
                squares[block] = np.einsum("ij,ij->i", whitened, whitened)
            scores = np.empty(labels.size, dtype=np.float32)
            scores[order] = const[labels[order]] - 0.5 * squares
            return scores.reshape(n, k)
        whitened = block_products(gathered, blocks, maps)
        squares = xp.sum(whitened * whitened, axis=1)
        ordered = xp.take(const, xp.take(labels, order)) - 0.5 * squares
        return xp.reshape(xp.take(ordered, inverse_permutation(order)), (n, k))

    def wiener_filters(self, noise_var):
        """Wiener filters of the components in DC-free coordinates (built once, cached).

        Parameters
        ----------
        noise_var : float
            Variance of the noise the patches are seen with (``1/beta`` in EPLL).

        Returns
        -------
        filters : (K, d', d') ndarray of float32
            ``V_h diag(s_h / (s_h + noise_var)) V_h^T``.
        """

        def build():
            gains = self.eigvals / (self.eigvals + float(noise_var))
            return scaled_gram(self.eigvecs, gains).astype(np.float32)

        return cached(self._filters, float(noise_var), build)

    def wiener(self, coords, labels, noise_var):
        """Filter each patch with the Wiener filter of its component.

        Parameters
        ----------
        coords : (n, d') ndarray of float32
            DC-free coordinates of the noisy patches.
        labels : (n,) ndarray of int
            Each patch's component (the gating's choice).
        noise_var : float
            Variance of the noise the patches are seen with (``1/beta`` in EPLL).

        Returns
        -------
        filtered : (n, d') ndarray of float32
            The Wiener estimates, in DC-free coordinates.
        """
        filters = self.on_device_of(
            coords, ("wiener", float(noise_var)), self.wiener_filters(noise_var)
        )
        return grouped_matmul(coords, labels, filters)

    def wiener_patch_filters(self, noise_var):
        """Wiener filters from patch rows to patch rows (built once, cached).

        ``B F_h B^T + (I - B B^T)``: the DC-free part filtered, the DC passed through unchanged
        (EPLL), so one GEMM per component does projection, filtering and DC at once.

        Parameters
        ----------
        noise_var : float
            Variance of the noise the patches are seen with (``1/beta`` in EPLL).

        Returns
        -------
        filters : (K, d, d) ndarray of float32
            One filter per component.
        """

        def build():
            basis = self.basis
            passthrough = np.eye(basis.shape[0]) - basis @ basis.T
            folded = basis @ self.wiener_filters(noise_var) @ basis.T + passthrough
            return np.ascontiguousarray(folded, dtype=np.float32)

        return cached(self._filters, ("patch", float(noise_var)), build)

    def wiener_patches(self, patches, labels, noise_var, out=None, overwrite_patches=False):
        """Wiener-filter patch rows with the filter of each one's component.

        Parameters
        ----------
        patches : (n, d) ndarray of float32
            Noisy patch rows; their means pass through unchanged.
        labels : (n,) ndarray of int
            Each patch's component.
        noise_var : float
            Variance of the noise the patches are seen with (``1/beta`` in EPLL).
        out : (n, d) ndarray of float32 or None, default=None
            Where to write the result (may be ``patches``).
        overwrite_patches : bool, default=False
            Whether ``patches`` may be used as scratch space (a buffer of the caller's):
            then nothing is allocated when ``out`` is given.

        Returns
        -------
        filtered : (n, d) ndarray of float32
            The Wiener estimates (``out`` if given).
        """
        filters = self.on_device_of(
            patches, ("patch", float(noise_var)), self.wiener_patch_filters(noise_var)
        )
        return grouped_matmul(patches, labels, filters, out=out, overwrite_rows=overwrite_patches)
