"""Linear algebra shared by the prior, its restoration tables and adaptation (private module).

Quadratic forms of many small patches against many components are GEMMs: the packed outer
products ``[y_j y_k]_{j<=k}`` of the patches against packed symmetric matrices
(:func:`packed_outer`, :func:`pack_symmetric`), and per-component filters applied by sorting the
patches by component once (:func:`grouped_matmul`).
"""

import numpy as np
from scipy.linalg import helmert
from threadpoolctl import threadpool_limits

from ._backend import is_numpy, namespace, on_accelerator, to_numpy

LOG_2PI = np.log(2.0 * np.pi)


def dc_free_basis(n_features, remove_dc=True, n_channels=1):
    """Orthonormal basis ``B`` (``d x d'``) of the space the prior models.

    With ``remove_dc`` it spans the patches whose every channel has zero mean: features are
    ``n_channels`` consecutive blocks (channel-major patches), each with its own Helmert
    basis, so ``d' = d - n_channels``; otherwise it is the identity.
    """
    if not remove_dc:
        return np.eye(n_features)
    block = n_features // n_channels
    return np.kron(np.eye(n_channels), helmert(block, full=False).T)


def label_blocks(labels, n_labels):
    """``order`` sorting ``labels`` (stable) and the ``(label, slice)`` of each label's
    contiguous block in that order, for the labels present (``labels`` of any Array API
    library; the slices are plain Python)."""
    xp, device = namespace(labels)
    if not is_numpy(xp):
        order = xp.argsort(labels, stable=True)
        ordered = xp.take(labels, order)
        edges = xp.arange(n_labels + 1, dtype=labels.dtype, device=device)
        bounds = to_numpy(xp.searchsorted(ordered, edges))  # n_labels + 1 integers to the host
        return order, _blocks(bounds)
    # numpy's stable sort of 16-bit integers is a radix sort: five times faster than on intp.
    narrow = labels.astype(np.uint16) if n_labels <= np.iinfo(np.uint16).max + 1 else labels
    order = np.argsort(narrow, kind="stable")
    bounds = np.zeros(n_labels + 1, dtype=np.intp)
    np.cumsum(np.bincount(labels, minlength=n_labels), out=bounds[1:])
    return order, _blocks(bounds)


def _blocks(bounds):
    return [
        (int(h), slice(int(bounds[h]), int(bounds[h + 1]))) for h in np.flatnonzero(np.diff(bounds))
    ]


def inverse_permutation(order):
    """The permutation that undoes ``order`` (a permutation of ``0..n-1``, any library)."""
    xp, device = namespace(order)
    if not is_numpy(xp):
        return xp.argsort(order)  # the standard has no scatter: a sort of a permutation
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return inverse


def grouped_matmul(rows, labels, matrices, out=None, overwrite_rows=False):
    """``out[i] = rows[i] @ matrices[labels[i]]``: rows are sorted by label once, so every
    label is one GEMM on a contiguous block, then put back in their order by ``take`` with
    the inverse permutation (half the time of a fancy-indexed scatter), into ``out`` if
    given (NumPy).

    With ``overwrite_rows`` (NumPy, ``out`` given and apart from ``rows``) no buffer is
    allocated: the sorted rows go to ``out``, their products to ``rows`` and back. Fresh
    chunk-sized buffers cost page faults on every chunk, and a GEMM written over its own
    input makes numpy copy each block first."""
    xp, _ = namespace(rows, labels)
    order, blocks = label_blocks(labels, matrices.shape[0])
    inverse = inverse_permutation(order)
    if not is_numpy(xp):
        ordered = xp.take(rows, order, axis=0)
        return xp.take(block_products(ordered, blocks, matrices), inverse, axis=0)
    if overwrite_rows and out is not None and not np.may_share_memory(rows, out):
        ordered = np.take(rows, order, axis=0, out=out, mode="clip")
        products = rows
    else:
        ordered = np.take(rows, order, axis=0)
        products = ordered  # numpy buffers the overlap block by block
    for h, block in blocks:
        np.matmul(ordered[block], matrices[h], out=products[block])
    return np.take(products, inverse, axis=0, out=out, mode="clip")


#: Rows per batch of :func:`block_products`: a label's rows are cut into batches of this
#: many (its last one padded), so that at most this many rows per label are wasted.
GROUP_BATCH = 64


def block_products(ordered, blocks, matrices):
    """``ordered[i] @ matrices[h]`` for the rows of each label's block (``blocks`` from
    :func:`label_blocks`, rows sorted by label), in that order, as one batched GEMM: every
    block is cut into batches of :data:`GROUP_BATCH` rows (the last one padded with a zero
    row), each batch multiplied by its label's matrix. One kernel instead of one per label:
    on an accelerator (or PyTorch's CPU threads) a few hundred small GEMMs cost far more in
    launches than in arithmetic. Any Array API library."""
    if not blocks:
        return ordered
    xp, device = namespace(ordered)
    index, batch_labels, kept = _batch_layout(blocks, ordered.shape[0], GROUP_BATCH)
    padding = xp.zeros((1, ordered.shape[1]), dtype=ordered.dtype, device=device)
    batches = xp.reshape(
        xp.take(xp.concat([ordered, padding]), xp.asarray(index, device=device), axis=0),
        (batch_labels.size, GROUP_BATCH, ordered.shape[1]),
    )
    products = batches @ xp.take(matrices, xp.asarray(batch_labels, device=device), axis=0)
    flat = xp.reshape(products, (-1, products.shape[-1]))
    return xp.take(flat, xp.asarray(kept, device=device), axis=0)


def _batch_layout(blocks, n_rows, size):
    """The host side of :func:`block_products`: the row of every batch slot (``n_rows``,
    the zero row, for padding), every batch's label, and the slots holding real rows."""
    starts = np.array([block.start for _, block in blocks])
    stops = np.array([block.stop for _, block in blocks])
    counts = -(-(stops - starts) // size)  # batches per block
    owner = np.repeat(np.arange(len(blocks)), counts)
    rank = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = (starts[owner] + size * rank)[:, None] + np.arange(size)[None, :]
    real = rows < stops[owner][:, None]
    labels = np.array([h for h, _ in blocks])[owner]
    return np.where(real, rows, n_rows).ravel(), labels, np.flatnonzero(real.ravel())


def packed_outer(Y, out=None):
    """Packed outer products ``[y_j y_k]_{j <= k}`` of the rows of ``Y``, one column per row:
    shape ``(d(d+1)/2, n)``; use ``.T`` for the row view.

    Built column-major from contiguous row slices of ``Y.T``: much faster than writing
    row-major strided blocks, and fancy indexing with ``triu_indices`` costs more than the GEMM
    that consumes the result. BLAS takes the transposed view without a copy.
    """
    xp, device = namespace(Y)
    n, d = Y.shape
    if not is_numpy(xp):
        # An accelerator wants few large kernels; a CPU the cache-friendly rows below.
        return packed_by_gathers(Y) if on_accelerator(device) else packed_by_rows(Y)
    columns = np.ascontiguousarray(Y.T)
    if out is None:
        out = np.empty((d * (d + 1) // 2, n), dtype=Y.dtype)
    start = 0
    for j in range(d):
        width = d - j
        np.multiply(columns[j], columns[j:], out=out[start : start + width])
        start += width
    return out


def packed_by_rows(Y):
    """:func:`packed_outer` in any Array API library: ``d`` products of contiguous rows."""
    xp, device = namespace(Y)
    n, d = Y.shape
    columns = xp.permute_dims(Y, (1, 0))
    out = xp.empty((d * (d + 1) // 2, n), dtype=Y.dtype, device=device)
    start = 0
    for j in range(d):
        out[start : start + d - j, :] = columns[j, :] * columns[j:, :]
        start += d - j
    return out


def packed_by_gathers(Y):
    """:func:`packed_outer` in any Array API library: two gathers and a product (three
    kernels instead of ``d``), as a transposed view."""
    xp, device = namespace(Y)
    first, second = (xp.asarray(i, device=device) for i in np.triu_indices(Y.shape[1]))
    return (xp.take(Y, first, axis=1) * xp.take(Y, second, axis=1)).T


def eigh(matrices):
    """Batched eigendecomposition of small symmetric matrices on one BLAS thread.

    LAPACK on 63 x 63 matrices gains nothing from threads, and OpenBLAS's thread start-up per
    tiny call made a batch of 200 take seconds instead of a tenth on a busy machine.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return np.linalg.eigh(matrices)


def scaled_gram(vectors, scales):
    """``V_k diag(scales_k) V_k^T`` for a stack of square ``V_k`` (batched GEMM, not einsum)."""
    return (vectors * scales[:, None, :]) @ vectors.transpose(0, 2, 1)


def pack_symmetric(M):
    """Packed upper triangles of the ``(K, d, d)`` symmetric ``M`` for use against
    :func:`packed_outer`: off-diagonal entries doubled. Returns ``(d(d+1)/2, K)``."""
    d = M.shape[-1]
    iu = np.triu_indices(d)
    factor = np.where(iu[0] == iu[1], 1.0, 2.0)
    return (M[:, iu[0], iu[1]] * factor).T


def unpack_symmetric(packed, d):
    """Inverse of the packing of second moments: ``(K, d(d+1)/2)`` -> ``(K, d, d)``."""
    K = packed.shape[0]
    iu = np.triu_indices(d)
    out = np.zeros((K, d, d))
    out[:, iu[0], iu[1]] = packed
    out[:, iu[1], iu[0]] = packed
    return out
