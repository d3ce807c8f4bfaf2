"""EM for zero-mean Gaussian mixtures on float32 chunks (private module).

The quadratic forms ``y^T M_h y`` of all components are one GEMM of the packed outer products
``[y_j y_k]_{j<=k}`` with the packed matrices ``M_h``, and the M-step's weighted second moments
are the transposed GEMM on the same packed chunk, so each iteration reads every patch once.
"""

import numpy as np
from scipy.special import logsumexp
from sklearn.cluster import KMeans

from ._linalg import LOG_2PI, eigh, pack_symmetric, packed_outer, scaled_gram, unpack_symmetric

_SMALLEST_NORMAL32 = float(np.finfo(np.float32).smallest_normal)


def initial_mixture(Y, n_components, init_params, reg_covar, rng):
    """Weights and covariances from initial (hard or random) responsibilities."""
    n, d = Y.shape
    K = n_components
    n_sub = min(n, max(20 * K, 10000))
    sub = Y[rng.choice(n, n_sub, replace=False)].astype(np.float64)
    if init_params == "kmeans":
        norms = np.linalg.norm(sub, axis=1, keepdims=True)
        unit = np.divide(sub, norms, out=np.zeros_like(sub), where=norms > 0)
        # x and -x have the same density under a zero-mean Gaussian: fold the sign.
        pivot = unit[np.arange(n_sub), np.argmax(np.abs(unit), axis=1)]
        unit *= np.where(pivot < 0, -1.0, 1.0)[:, None]
        labels = KMeans(
            n_clusters=K, n_init=1, max_iter=50, random_state=rng.randint(2**31 - 1)
        ).fit_predict(unit)
        resp = np.zeros((n_sub, K))
        resp[np.arange(n_sub), labels] = 1.0
    else:
        resp = rng.uniform(size=(n_sub, K))
        resp /= resp.sum(axis=1, keepdims=True)
    counts = resp.sum(axis=0)
    moments = unpack_symmetric(resp.T @ packed_outer(sub).T, d)
    # Shrink small clusters towards the global covariance so none starts degenerate.
    shrink = float(d)
    global_cov = sub.T @ sub / n_sub
    covs = (moments + shrink * global_cov) / (counts + shrink)[:, None, None]
    covs += reg_covar * np.eye(d)
    weights = (counts + 1.0) / (n_sub + K)
    return weights, covs


def e_step_statistics(Y, weights, covs, chunk_size):
    """Mean log-likelihood, responsibility counts and packed second moments."""
    n, d = Y.shape
    eigvals, eigvecs = eigh(covs)
    if not np.all(eigvals > 0):
        # As scikit-learn's GaussianMixture: rounding has made a covariance indefinite.
        raise ValueError(
            "Fitting the mixture failed: a component's covariance is not positive definite "
            "(too few patches for it, or data in large units); decrease n_components, "
            "increase reg_covar or scale the data"
        )
    precisions = scaled_gram(eigvecs, 1.0 / eigvals)
    quad = pack_symmetric(-0.5 * precisions).astype(np.float32)
    const = np.log(weights) - 0.5 * (np.log(eigvals).sum(axis=1) + d * LOG_2PI)
    counts = np.zeros(len(weights))
    moments = np.zeros((len(weights), quad.shape[0]))
    total = 0.0
    packed = None
    for start in range(0, n, chunk_size):
        chunk = Y[start : start + chunk_size]
        if packed is None or packed.shape[1] != chunk.shape[0]:
            packed = np.empty((quad.shape[0], chunk.shape[0]), dtype=np.float32)
        packed_outer(chunk, out=packed)
        log_prob = (packed.T @ quad).astype(np.float64) + const
        log_norm = logsumexp(log_prob, axis=1)
        resp = np.exp(log_prob - log_norm[:, None])
        # Responsibilities below float32's smallest normal number would be denormals in the
        # float32 GEMM below, which ran 240 times slower on them (x86 without flush-to-zero):
        # an EM iteration of a colour prior took 300 s instead of 35. They carry nothing.
        resp[resp < _SMALLEST_NORMAL32] = 0.0
        total += log_norm.sum()
        counts += resp.sum(axis=0)
        moments += resp.T.astype(np.float32) @ packed.T
    return total / n, counts, moments


def m_step(counts, moments, reg_covar):
    """Mixture weights and covariances from responsibility counts and packed moments."""
    d = int(round((np.sqrt(8 * moments.shape[1] + 1) - 1) / 2))
    counts = counts + 10 * np.finfo(float).eps
    covs = unpack_symmetric(moments, d) / counts[:, None, None]
    covs += reg_covar * np.eye(d)
    return counts / counts.sum(), covs
