"""Internal adaptation: the shipped prior's covariances re-estimated on the image itself.

A prior learned on many images knows what patches look like in general; one image repeats
its own textures and edges. After a first restoration, each of its patches is assigned its
most probable component, and every component's covariance becomes the posterior mean under a
conjugate (inverse-Wishart-like) prior centred on the learned one::

    C_h' = (strength * C_h + sum_{i in h} z_i z_i^T) / (strength + n_h)

where ``z_i`` are the DC-free patches of the first restoration assigned to ``h`` and ``n_h``
their number. ``strength`` is the learned covariance's weight in patches: components the image
barely uses keep the learned one, components it uses a lot take the image's. Restoring again
from the observation with the adapted prior is a second EPLL pass, much as BM3D's second step
re-filters with statistics taken from its first estimate.

The mixture weights are kept, and the second pass starts from the observation, not from the
first estimate: both alternatives measured worse (the user guide lists what was tried).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from ._gating import ExactGating, Gating
from ._linalg import label_blocks, scaled_gram
from ._patches import PatchGrid
from ._prior import GMMPatchPrior
from ._tables import MixtureTables
from ._validation import check_channels_image, check_image_2d

__all__ = ["adapt_prior"]

#: Default weight of the learned covariances, in patches: 3, 10 and 30 restore the
#: validation photographs equally well (doc/validation_tuning.rst, "Levers tried"); on Set12 100 and
#: 1000 were 0.03 and 0.1 dB lower.
DEFAULT_STRENGTH = 10.0


@validate_params(
    {
        "prior": [GMMPatchPrior],
        "image": ["array-like"],
        "noise_var": [Interval(Real, 0, None, closed="left")],
        # > 0: a component the image never uses keeps the learned covariance.
        "strength": [Interval(Real, 0, None, closed="neither")],
        "stride": [Interval(Integral, 1, None, closed="left")],
        "max_patches": [Interval(Integral, 1, None, closed="left")],
        "tables": [MixtureTables, None],
        "gating": [Gating, None],
    },
    prefer_skip_nested_validation=True,
)
def adapt_prior(
    prior,
    image,
    *,
    noise_var=0.0,
    strength=DEFAULT_STRENGTH,
    stride=1,
    max_patches=32768,
    tables=None,
    gating=None,
):
    """The prior with its covariances re-estimated on the patches of ``image``.

    Parameters
    ----------
    prior : GMMPatchPrior
        A fitted prior with an integer ``patch_size``.
    image : (M, N) or (M, N, C) array_like
        A restored (or clean) image whose patches the prior should adapt to; with the
        prior's ``n_channels`` channels last for a colour prior.
    noise_var : float, default=0.0
        Variance of the noise assumed left in ``image`` when assigning its patches to
        components (e.g. ``1 / beta`` of the last EPLL iteration).
    strength : float, default=10.0
        Weight of the learned covariance in patches (see the module's docstring); larger keeps
        closer to ``prior``.
    stride : int, default=1
        Distance between the patches used.
    max_patches : int, default=32768
        Patches handled at once (bounds memory).
    tables : MixtureTables or None, default=None
        ``MixtureTables(prior)`` if already built, to reuse its cached tables.
    gating : Gating or None, default=None
        How patches are assigned to components; ``None`` is the exact posterior
        (:class:`~skgate.ExactGating` on ``tables``). A restorer passes its own, so that a
        gating network also spares the exact gating here.

    Returns
    -------
    adapted : GMMPatchPrior
        A fitted copy of ``prior`` with new ``covariances_`` (same weights and components);
        ``prior`` is not modified.

    See Also
    --------
    skgate.EPLLRestorer : ``adapt=1`` adapts inside the restoration.
    skgate.GMMPatchPrior

    Examples
    --------
    >>> import numpy as np
    >>> from skgate import adapt_prior, load_default_prior
    >>> stripes = np.tile(np.sin(np.arange(64) * 1.3) * 0.3 + 0.5, (64, 1))
    >>> prior = load_default_prior()
    >>> adapted = adapt_prior(prior, stripes, stride=2)
    >>> patches = np.tile(np.sin(np.arange(8) * 1.3) * 0.3 + 0.5, 8)[None]
    >>> print(adapted.score_samples(patches)[0] > prior.score_samples(patches)[0])
    True
    """
    if prior.patch_size is None:
        raise ValueError("prior must have an integer patch_size to adapt to an image")
    C = prior.n_channels
    if C == 1:
        image = check_image_2d(image, name="image")
    else:
        image = check_channels_image(image, C, f"for a prior over {C} channels")
    p = prior.patch_size
    if image.shape[0] < p or image.shape[1] < p:
        raise ValueError(f"image of shape {image.shape} is smaller than the {p}x{p} patches")
    if stride > p:
        raise ValueError(f"stride must be <= the patch size {p}, got {stride}")
    tables = MixtureTables(prior) if tables is None else tables
    gating = ExactGating(tables) if gating is None else gating

    K, n_dims = tables.eigvals.shape
    scatter = np.zeros((K, n_dims, n_dims))
    counts = np.zeros(K)
    grid = PatchGrid(image.shape[:2], p, stride, n_channels=C)
    for rows in grid.row_chunks(max_patches):
        patches = grid.extract(image, rows, dtype=np.float32)
        coords = tables.to_subspace(patches)
        labels = gating.assign(patches, noise_var)
        counts += np.bincount(labels, minlength=K)
        order, blocks = label_blocks(labels, K)
        for h, block in blocks:
            members = coords[order[block]].astype(np.float64)
            scatter[h] += members.T @ members
    learned = scaled_gram(tables.eigvecs, tables.eigvals)
    covariances = (strength * learned + scatter) / (strength + counts)[:, None, None]
    # The same floor as in fitting: however few patches a component sees, it stays regular.
    # On an image in large units (values of 1e8) rounding in the scatter exceeds reg_covar,
    # so the floor also follows each covariance's own scale (never binding in [0, 1] units).
    trace = np.trace(covariances, axis1=1, axis2=2)
    floor = np.maximum(prior.reg_covar, 1e-10 * trace)
    covariances += floor[:, None, None] * np.eye(n_dims)

    return GMMPatchPrior.from_covariances(
        prior.weights_, covariances, space="dc_free", **prior.get_params()
    )
