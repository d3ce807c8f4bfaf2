"""The steps every splitting iteration shares, whatever estimates its patches: the
aggregation of patch estimates chunk by chunk, and the mixing (image) step against the
likelihood. The EPLL core (gated Wiener estimates) and the second stage (its groups'
Gaussians) both iterate with them."""

from ._backend import from_numpy, namespace
from ._contracts import check_solution, trusted_likelihood

__all__ = ["aggregate_estimates", "image_step"]


def aggregate_estimates(x, grid, max_patches, estimate):
    """``sum_i P_i^T z_i`` with ``z = estimate(patches, grid_rows, out)`` chunk by chunk
    (``patches`` is a buffer of this function's, which the estimate may overwrite)."""
    # float32 like the patch estimates: adding them into a float64 image cost more, and a
    # pixel's sum of at most p^2 estimates loses nothing that shows.
    xp, device = namespace(x)
    patch_sum = xp.zeros(grid.array_shape, dtype=xp.float32, device=device)
    chunks = grid.row_chunks(max_patches)
    # Two buffers for every chunk: fresh ones cost page faults each time.
    size = (chunks[0].stop - chunks[0].start) * len(grid.cols)
    buffers = xp.empty((2, size, grid.n_features), dtype=xp.float32, device=device)
    patch_rows, estimates = buffers[0, ...], buffers[1, ...]
    for rows in chunks:
        patches = grid.extract(x, rows, dtype=xp.float32, out=patch_rows)
        z = estimate(patches, rows, out=estimates[: patches.shape[0], ...])
        grid.aggregate_into(patch_sum, z, rows)
    return patch_sum


def image_step(y, likelihood, x, patch_sum, grid, settings, beta):
    """The mixing step: the likelihood's solution against the average of the patch
    estimates ``patch_sum`` (``sum_i P_i^T z_i`` on ``grid``), checked and clipped."""
    # As in Zoran & Weiss's code, the patch term pulls every pixel towards the average
    # of its patch estimates with the weight of p^2 patches, wherever it lies: with the
    # true per-pixel count, border pixels (covered by few patches) leaned on the noisy
    # observation and measured worse on Set12. The weight does not depend on the stride
    # either.
    xp, device = namespace(x)
    p = grid.patch_size
    row_hits, col_hits = (from_numpy(h, xp, device, x.dtype) for h in grid.axis_coverage())
    coverage = row_hits[:, None] * col_hits[None, :]
    average = patch_sum / (coverage if x.ndim == 2 else coverage[..., None])
    weight = xp.full(x.shape, float(p * p), dtype=x.dtype, device=device)
    solved = likelihood.solve(y, average * weight, weight, settings.lam, beta, x0=x)
    if not trusted_likelihood(likelihood):  # a user's image step: checked before it is read
        solved = check_solution(solved, x.shape)
    if settings.clip is not None:
        solved = xp.clip(solved, *settings.clip)
    return solved
