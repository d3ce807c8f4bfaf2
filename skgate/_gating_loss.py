"""The gating network's training loss and its gradients (private module).

The network's logits are ``c_h - sum_i w_hi (v_i . x)^2``; it is trained by minimising the
cross-entropy between its softmax ``q`` and the exact posterior ``p`` of the teacher prior:

    L = -1/N sum_n sum_h p_nh log q_nh.

With ``g = (q - p) / N`` and ``r = V x``: ``dL/dc = sum_n g``, ``dL/dW = -g^T r^2`` and
``dL/dV = -2 ((g W) * r)^T x``.
"""

import numpy as np
from scipy.special import softmax

#: Float32 values below this are denormals: x86 GEMMs without flush-to-zero run up to
#: hundreds of times slower on them, and as probabilities they carry nothing.
_SMALLEST_NORMAL32 = np.float32(np.finfo(np.float32).smallest_normal)


def _flush_denormals(values):
    """In place: entries smaller in magnitude than float32's smallest normal set to 0."""
    values[np.abs(values) < _SMALLEST_NORMAL32] = 0
    return values


def cross_entropy_and_residual(logits, teacher):
    """Mean cross-entropy of ``softmax(logits)`` against ``teacher`` and ``g = (q - p) / n``.

    Works in place on ``logits``; sums are accumulated in float64."""
    n = logits.shape[0]
    logits -= logits.max(axis=1, keepdims=True)
    q = np.exp(logits)
    norm = q.sum(axis=1, keepdims=True)
    log_norm = np.log(norm, dtype=np.float64)
    loss = (log_norm.sum() - np.einsum("ij,ij->", teacher, logits, dtype=np.float64)) / n
    q /= norm
    q -= teacher
    q *= 1.0 / n
    return loss, _flush_denormals(q)


def loss_and_grad(theta, shapes, coords, teacher):
    """Cross-entropy against ``teacher`` posteriors and its gradient, flattened for scipy.

    Computed in the dtype of ``coords`` (training passes float32: the GEMMs and exponentials
    dominate, and single precision halves them); ``theta`` and the gradient are float64."""
    V, W, c = (p.astype(coords.dtype) for p in unflatten(theta, shapes))
    responses = coords @ V.T
    squares = responses * responses
    logits = squares @ W.T
    np.subtract(c, logits, out=logits)
    loss, g = cross_entropy_and_residual(logits, teacher)
    grad_c = g.sum(axis=0, dtype=np.float64)
    grad_W = -(g.T @ squares)
    back = g @ W
    back *= responses
    grad_V = -2.0 * (back.T @ coords)
    return loss, np.concatenate([grad_V.ravel(), grad_W.ravel(), grad_c]).astype(np.float64)


def unflatten(theta, shapes):
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(theta[start : start + size].reshape(shape))
        start += size
    return out


def loss_and_grad_heads(theta, shapes, features, teacher):
    """Cross-entropy and gradient for the output layer alone (filters fixed): a multinomial
    logistic regression on the squared responses, which is convex."""
    W, c = (p.astype(features.dtype) for p in unflatten(theta, shapes))
    logits = features @ W.T
    np.subtract(c, logits, out=logits)
    loss, g = cross_entropy_and_residual(logits, teacher)
    grad = np.concatenate([(-(g.T @ features)).ravel(), g.sum(axis=0, dtype=np.float64)])
    return loss, grad.astype(np.float64)


def teacher_posterior(tables, coords, noise_var):
    log_post = tables.log_posterior(coords.astype(np.float32), noise_var)
    return _flush_denormals(softmax(log_post.astype(np.float64), axis=1).astype(np.float32))
