"""Training a patch prior from a collection of images (what ``skgate train-prior`` runs).

EM cost grows with the number of patches, and most of the likelihood is gained in the first
iterations, so training is warm-started: EM first runs to near convergence on a subset, then a
few more iterations refine the mixture on all patches.
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from ._docstrings import shares_parameters
from ._gating import ExactGating, Gating
from ._gaussian_noise import GaussianNoise
from ._prior import GMMPatchPrior
from ._restorer import EPLLRestorer
from ._sampling import load_grey_image, sample_patches
from ._tables import MixtureTables
from ._validation import check_positive_int

__all__ = ["train_prior", "epll_patches"]


@shares_parameters(GMMPatchPrior)
def train_prior(
    images,
    *,
    n_patches=1_000_000,
    n_components=200,
    patch_size=8,
    warm_up_patches=200_000,
    warm_up_iter=40,
    max_iter=20,
    tol=1e-3,
    reg_covar=1e-6,
    colour=False,
    chunk_size=16384,
    random_state=0,
    verbose=0,
):
    """Fit a :class:`~skgate.GMMPatchPrior` to random patches of ``images``.

    Parameters
    ----------
    images : sequence of (array_like or path)
        Grey or colour images (colour is converted to grey unless ``colour``), as arrays or
        files.
    n_patches : int, default=1_000_000
        Random patches drawn for the final EM iterations.
    .. parameters:: n_components patch_size
    warm_up_patches : int, default=200_000
        EM first runs on this many of the patches (all of them if larger).
    warm_up_iter : int, default=40
        Maximum EM iterations of the warm-up.
    max_iter : int, default=20
        Maximum EM iterations on all patches.
    .. parameters:: tol reg_covar
    colour : bool, default=False
        Fit a colour prior (``n_channels=3``) to RGB patches of colour images.
    .. parameters:: chunk_size
    random_state : int, RandomState instance or None, default=0
        Which patches are drawn and how EM starts.
    verbose : int, default=0
        EM's progress messages (as :class:`~skgate.GMMPatchPrior`'s ``verbose``).

    Returns
    -------
    prior : GMMPatchPrior
        The fitted prior; ``prior.metadata_`` records how it was trained.

    See Also
    --------
    skgate.GMMPatchPrior
    skgate.sample_patches
    skgate.models.save_prior

    Examples
    --------
    A tiny prior, to show the call (the shipped one uses the defaults on 200 photographs):

    >>> from skimage import data
    >>> from skgate import train_prior
    >>> prior = train_prior([data.camera(), data.coins()], n_patches=2000,
    ...                     warm_up_patches=1000, n_components=3, max_iter=5)
    >>> prior.n_components, prior.patch_size
    (3, 8)
    """
    n_patches = check_positive_int(n_patches, "n_patches", caller="train_prior")
    warm_up_patches = min(
        check_positive_int(warm_up_patches, "warm_up_patches", caller="train_prior"), n_patches
    )
    rng = check_random_state(random_state)
    tic = time.perf_counter()
    X = sample_patches(
        images, n_patches, patch_size, random_state=rng, dtype="float32", colour=colour
    )
    sampled = time.perf_counter() - tic

    prior = GMMPatchPrior(
        n_components,
        patch_size=patch_size,
        n_channels=3 if colour else 1,
        reg_covar=reg_covar,
        chunk_size=chunk_size,
        tol=tol,
        max_iter=warm_up_iter,
        random_state=rng,
        verbose=verbose,
    )
    with warnings.catch_warnings():
        # Not converging inside the iteration budget is the plan, not a problem.
        warnings.simplefilter("ignore", ConvergenceWarning)
        tic = time.perf_counter()
        prior.fit(X[:warm_up_patches])
        warm_up_iterations, warm_up_seconds = prior.n_iter_, time.perf_counter() - tic
        tic = time.perf_counter()
        if warm_up_patches < n_patches:
            prior.set_params(warm_start=True, max_iter=max_iter).fit(X)
            full_iterations = prior.n_iter_
        else:
            full_iterations = 0
        full_seconds = time.perf_counter() - tic
    prior.set_params(warm_start=False, random_state=random_state)
    prior.metadata_ = {
        "n_images": len(images) if hasattr(images, "__len__") else None,
        "n_patches": n_patches,
        "warm_up_patches": warm_up_patches,
        "warm_up_iterations": int(warm_up_iterations),
        "full_iterations": int(full_iterations),
        "sampling_seconds": round(sampled, 1),
        "warm_up_seconds": round(warm_up_seconds, 1),
        "full_seconds": round(full_seconds, 1),
        "train_mean_log_likelihood": prior.lower_bound_,
    }
    return prior


class _RecordingGating(Gating):
    """Exact gating that keeps a random sample of the patches it is asked about."""

    def __init__(self, tables, per_step, rng):
        self.exact = ExactGating(tables)
        self.per_step = per_step
        self.rng = rng
        self.patches, self.noise_vars = [], []

    def assign(self, patches, noise_var):
        take = self.rng.choice(len(patches), min(len(patches), self.per_step), replace=False)
        tables = self.exact.tables
        self.patches.append(tables.from_subspace(tables.to_subspace(patches[take])))
        self.noise_vars.append(np.full(len(take), noise_var))
        return self.exact.assign(patches, noise_var)


def epll_patches(
    images,
    prior,
    sigmas=(15 / 255, 25 / 255, 35 / 255, 50 / 255, 75 / 255),
    *,
    per_step=1500,
    stride=3,
    random_state=0,
):
    """Patches as the gating sees them during EPLL denoising, with their noise variances.

    Each image is noised at each ``sigma`` and denoised with exact gating; at every iteration
    (and chunk) ``per_step`` of the patches being gated are kept, DC removed, together with
    the noise variance ``1/beta`` they were gated at. This is the data
    :meth:`skgate.GatingNetwork.fit_heads` wants: restored patches are not freshly noised ones.

    Parameters
    ----------
    images : sequence of (array_like or path)
        Clean training images (colour is converted to grey).
    prior : GMMPatchPrior
        The prior whose exact gating is followed.
    sigmas : sequence of float, default=(15/255, 25/255, 35/255, 50/255, 75/255)
        Noise levels to denoise at (images in [0, 1]).
    per_step : int, default=1500
        Patches kept per iteration and chunk.
    stride : int, default=3
        Patch stride of the restorations (as :class:`~skgate.EPLLRestorer`).
    random_state : int, RandomState instance or None, default=0
        The noise and which patches are kept.

    Returns
    -------
    X : ndarray of shape (n, d), float32
        Zero-mean patch rows.
    noise_var : ndarray of shape (n,)
        The noise variance ``1/beta`` each patch was gated at.

    See Also
    --------
    skgate.GatingNetwork.fit_heads
    skgate.train_prior

    Examples
    --------
    >>> from skimage import data
    >>> from skgate import epll_patches, load_default_prior
    >>> X, noise_var = epll_patches([data.camera()[:64, :64]], load_default_prior(),
    ...                             sigmas=[0.1], per_step=10)
    >>> X.shape[1], len(X) == len(noise_var)
    (64, True)
    """
    per_step = check_positive_int(per_step, "per_step", caller="epll_patches")
    rng = check_random_state(random_state)
    recorder = _RecordingGating(MixtureTables(prior), per_step, rng)
    # one scale: the fine image's patches at the penalties the shipped heads were fitted on
    restorer = EPLLRestorer(prior, gating=recorder, stride=stride, scales=1)
    for image in images:
        clean = load_grey_image(image)
        for sigma in sigmas:
            noisy = clean + sigma * rng.standard_normal(clean.shape)
            restorer.restore(noisy, GaussianNoise(sigma))
    return (
        np.concatenate(recorder.patches).astype(np.float32),
        np.concatenate(recorder.noise_vars),
    )
