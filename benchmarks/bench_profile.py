"""Where the time of one restoration goes: each step of the EPLL iterations, timed.

Runs the restorer's iterations step by step with the library's own pieces (the same grid,
tables, gating and image step as :class:`skgate.EPLLRestorer`; the result is checked to be
the restorer's) on one 481 x 321 validation photograph at sigma 25, and prints for each step
its seconds (median of ``--repeats`` runs), its share, and its rate: GFLOP/s for the GEMM
steps, GB/s of patch data for extraction and aggregation.

    python benchmarks/bench_profile.py [--gating network] [--stride 3] [--repeats 3]
        [--mirrored 3]
"""

import argparse
import time
from collections import defaultdict

import numpy as np
from _common import DATA, image_files, load_image, print_table

from skgate import EPLLRestorer, GaussianNoise
from skgate._gating import make_gating
from skgate._patches import PatchGrid, shifted_offset
from skgate._shipped import default_network, default_prior, tables_of


def flops_per_patch(step, gating, n_dims, n_components, n_filters):
    """Multiply-adds x 2 per patch of the GEMM steps (None for memory-bound steps).

    The Wiener step maps patch rows to patch rows (projection, filter and DC in one
    ``d x d`` matrix); exact gating projects to the ``d' = d - 1`` DC-free coordinates, then
    takes the packed quadratic forms; the network's filters read patch rows."""
    d = n_dims + 1
    if step == "wiener":
        return 2 * d * d
    if step == "gating" and gating == "exact":
        return 2 * (d * n_dims + n_dims * (n_dims + 1) // 2 * n_components)
    if step == "gating" and gating == "network":
        return 2 * n_filters * (d + n_components)
    return None


def profile_once(y, likelihood, gating_name, stride, max_patches=32768):
    prior = default_prior()
    tables = tables_of(prior)
    gating = make_gating(gating_name, tables, default_network)
    p = prior.patch_size
    betas = likelihood.default_betas()
    lam = likelihood.default_lam(p)
    seconds, patches = defaultdict(float), 0

    def tick(step, start):
        now = time.perf_counter()
        seconds[step] += now - start
        return now

    x = likelihood.initial_estimate(y)
    for iteration, beta in enumerate(betas):
        noise_var = 1.0 / beta
        grid = PatchGrid(x.shape, p, stride, shifted_offset(stride, iteration))
        patch_sum = np.zeros(grid.image_shape, dtype=np.float32)
        chunks = grid.row_chunks(max_patches)
        size = (chunks[0].stop - chunks[0].start) * len(grid.cols)
        patch_rows, estimates = np.empty((2, size, grid.n_features), dtype=np.float32)
        for rows in chunks:
            t = time.perf_counter()
            chunk = grid.extract(x, rows, dtype=np.float32, out=patch_rows)
            t = tick("extraction", t)
            labels = gating.assign(chunk, noise_var)
            t = tick("gating", t)
            estimate = tables.wiener_patches(chunk, labels, noise_var, estimates[: len(chunk)])
            t = tick("wiener", t)
            grid.aggregate_into(patch_sum, estimate, rows)
            tick("aggregation", t)
            patches += len(chunk)
        t = time.perf_counter()
        weight = np.full(x.shape, float(p * p))
        x = likelihood.solve(y, patch_sum / grid.coverage() * weight, weight, lam, beta, x0=x)
        tick("image step", t)
    return x, dict(seconds), patches


def _mirrored(image, times):
    """``image`` tiled ``times`` x ``times``, every other copy flipped so that the seams are
    continuous (no edge a real photograph would not have)."""
    rows = [image if i % 2 == 0 else image[::-1] for i in range(times)]
    column = np.concatenate(rows, axis=0)
    return np.concatenate([column if j % 2 == 0 else column[:, ::-1] for j in range(times)], axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gating", default="network", choices=["exact", "network"])
    parser.add_argument("--stride", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--mirrored",
        type=int,
        default=1,
        help="the photograph mirrored N x N times: a larger image, whose patch chunks and "
        "image no longer sit in a large cache (default: 1, the photograph itself)",
    )
    args = parser.parse_args(argv)
    clean = _mirrored(load_image(image_files(DATA / "bsds500-test200")[0]), args.mirrored)
    sigma = 25 / 255
    y = clean + sigma * np.random.default_rng(0).standard_normal(clean.shape)
    likelihood = GaussianNoise(sigma)
    profile_once(y, likelihood, args.gating, args.stride)  # tables built, caches warm
    runs = [profile_once(y, likelihood, args.gating, args.stride) for _ in range(args.repeats)]
    x, _, patches = runs[0]
    restorer = EPLLRestorer(stride=args.stride, gating=args.gating, scales=1)
    reference = restorer.restore(y, likelihood)
    assert np.allclose(x, reference, atol=1e-6), "the profiled loop is not the restorer's"
    whole = []
    for _ in range(args.repeats):
        tic = time.perf_counter()
        restorer.restore(y, likelihood)
        whole.append(time.perf_counter() - tic)

    steps = list(runs[0][1])
    median = {s: float(np.median([r[1][s] for r in runs])) for s in steps}
    total = sum(median.values())
    tables = tables_of(default_prior())
    n_dims, n_components = tables.eigvals.shape[1], tables.n_components
    n_filters = default_network().filters_.shape[0]
    rows = []
    for step in steps:
        per_patch = flops_per_patch(step, args.gating, n_dims, n_components, n_filters)
        if per_patch is not None:
            rate = f"{per_patch * patches / median[step] / 1e9:.0f} GFLOP/s"
        elif step in ("extraction", "aggregation"):
            rate = f"{patches * (n_dims + 1) * 4 / median[step] / 1e9:.1f} GB/s"
        else:
            rate = ""
        rows.append((step, f"{median[step]:.3f}", f"{median[step] / total:.0%}", rate))
    rows.append(("total (steps)", f"{total:.3f}", "100%", ""))
    rows.append(("EPLLRestorer.restore", f"{np.median(whole):.3f}", "", ""))
    print_table(
        f"{args.gating} gating, stride {args.stride}, {clean.shape[1]} x {clean.shape[0]}, "
        f"sigma 25, {len(likelihood.default_betas())} penalties, {patches} patches",
        ("step", "seconds", "share", "rate"),
        rows,
    )


if __name__ == "__main__":
    main()
