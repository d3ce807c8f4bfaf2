"""The splitting iterations of EPLL on one image or one tile: each penalty's gated Wiener
estimates of the patches, aggregated and mixed with the observation, then the optional
passes with the prior adapted to the last result. :class:`skgate._epll.EPLL` decides the
scales, tiles and stages around them."""

from functools import partial

from ._adaptation import adapt_prior
from ._backend import to_numpy
from ._contracts import check_labels
from ._gating import make_gating, trusted_gating
from ._patches import PatchGrid, shifted_offset
from ._shipped import default_network, models
from ._splitting import aggregate_estimates, image_step
from ._tables import MixtureTables

__all__ = ["iterate"]


def iterate(y, likelihood, x, settings, callback=None, progress=None, resolved=None):
    """The splitting iterations on one image (or one tile), starting from ``x``, then
    ``settings.passes`` more passes, each from ``x`` again with the prior adapted to the last
    result (``resolved``: the models, when the caller has them)."""
    prior, tables, gating = (
        models(settings.prior, settings.gating, settings.n_channels)
        if resolved is None
        else resolved
    )
    betas = settings.betas
    start, total = x, len(betas) * (settings.passes + 1)
    run = (y, likelihood, start, settings, prior.patch_size)
    x = _one_pass(*run, tables, gating, 0, callback, progress, total)
    for done in range(1, settings.passes + 1):
        # Patches are assigned at the noise level the last iteration assumed. Every patch
        # counts, whatever the restoration's stride: on Set12 at sigma 25, covariances
        # from stride-3 patches gave less than from stride 1.
        adapted = adapt_prior(
            prior,
            to_numpy(x),  # estimation, like training, runs on the host; the passes do not
            noise_var=1.0 / betas[-1],
            strength=settings.strength,
            stride=1,
            max_patches=settings.max_patches,
            tables=tables,
            gating=gating,
        )
        adapted_tables = MixtureTables(adapted)
        # A Gating instance keeps choosing with its own tables; the filters are adapted.
        adapted_gating = make_gating(
            settings.gating, adapted_tables, partial(default_network, settings.n_channels)
        )
        first = done * len(betas)
        x = _one_pass(*run, adapted_tables, adapted_gating, first, callback, progress, total)
    return x


def _one_pass(y, likelihood, x, settings, p, tables, gating, first, callback, progress, total):
    """One run of the schedule; ``first`` numbers its iterations after earlier passes."""
    stride = settings.stride
    for step, beta in enumerate(settings.betas.tolist()):  # Python floats: any library's scalars
        iteration = first + step
        grid = PatchGrid(
            x.shape[:2], p, stride, shifted_offset(stride, iteration), tables.n_channels
        )
        estimate = partial(_gated_wiener, gating, tables, 1.0 / beta)
        patch_sum = aggregate_estimates(x, grid, settings.max_patches, estimate)
        x = image_step(y, likelihood, x, patch_sum, grid, settings, beta)
        if callback is not None:
            callback(iteration, beta, x)
        if progress is not None:
            progress(iteration + 1, total)
    return x


def _gated_wiener(gating, tables, noise_var, patches, rows, out):
    """EPLL's patch estimates: gate, then Wiener-filter with each patch's component."""
    labels = gating.assign(patches, noise_var)
    if not trusted_gating(gating):  # a user's strategy: its labels are checked before they index
        labels = check_labels(labels, len(patches), tables.n_components)
    # The patches are the chunk's extraction buffer: free once gated.
    return tables.wiener_patches(patches, labels, noise_var, out=out, overwrite_patches=True)
