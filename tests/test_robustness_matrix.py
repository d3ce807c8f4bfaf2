"""The hostile-input matrix over the Python API (doc/robustness.rst counts it).

Cases are generated: every entry point that takes an image gets every bad image, every
argument of the restorer every bad value, every field of a model file every corruption, and a
user's own likelihood or gating every broken contract. Each must raise a ``TypeError`` or
``ValueError`` (``ModelFileError`` for model files) whose message names what the user wrote;
none may hang, crash inside numpy, return NaN or emit a numpy ``RuntimeWarning``.
"""

import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skgate import (
    Blur,
    EPLLRestorer,
    GatingNetwork,
    GaussianNoise,
    GMMPatchPrior,
    Inpainting,
    Likelihood,
    aggregate_patches,
    deblur_epll,
    denoise_epll,
    estimate_noise_sigma,
    extract_patches,
    gaussian_kernel,
    inpaint_epll,
    motion_kernel,
    sample_patches,
)
from skgate._gating import Gating
from skgate._kernels import parse_kernel
from skgate.models import (
    ModelFileError,
    load_default_network,
    load_default_prior,
    load_network,
    load_prior,
    save_network,
    save_prior,
)

FAST = {"stride": 4, "betas": [100.0]}
IMAGE = np.random.default_rng(0).random((20, 20))
COLOUR = np.random.default_rng(1).random((20, 20, 3))
MASK = np.random.default_rng(2).random((20, 20)) > 0.3
MASK[3, 4] = True  # the bad values of BAD_IMAGES sit at an observed pixel
KERNEL = np.full((3, 3), 1 / 9)
ANY_ERROR = (TypeError, ValueError)


def _with(value_at_3_4=None, dtype=None):
    image = IMAGE.copy() if dtype is None else IMAGE.astype(dtype)
    if value_at_3_4 is not None:
        image[3, 4] = value_at_3_4
    return image


# -- images: every entry point x every bad image ------------------------------------------
BAD_IMAGES = {
    "NaN": _with(np.nan),
    "inf": _with(np.inf),
    "-inf": _with(-np.inf),
    "float32 near max": np.full((20, 20), 3e38, dtype=np.float32),
    "float64 1e300": _with(1e300),
    "float64 -1e300": _with(-1e300),
    "empty": np.zeros((0, 0)),
    "empty rows": np.zeros((0, 20)),
    "1-D": np.zeros(20),
    "0-D": np.float64(0.5),
    "4-D": np.zeros((20, 20, 3, 2)),
    "complex": IMAGE + 0j,
    "object": IMAGE.astype(object),
    "strings": np.full((20, 20), "a"),
    "None": None,
    "ragged list": [[0.0, 1.0], [0.0]],
}
IMAGE_ENTRY_POINTS = {
    "denoise_epll": lambda image: denoise_epll(image, 0.1, scales=1, **FAST),
    "deblur_epll": lambda image: deblur_epll(image, KERNEL, 0.01, **FAST),
    "inpaint_epll": lambda image: inpaint_epll(image, ~MASK, **FAST),
    "EPLLRestorer.restore": lambda image: EPLLRestorer(**FAST).restore(image, GaussianNoise(0.1)),
    "estimate_noise_sigma": lambda image: estimate_noise_sigma(image),
    "extract_patches": lambda image: extract_patches(image, 8),
}
IMAGE_WORDS = "image|smaller|8x8|channel_axis|2-D|3-D"
IMAGE_CASES = [
    (
        f"{entry}: {bad} image",
        (lambda e=entry, b=bad: IMAGE_ENTRY_POINTS[e](BAD_IMAGES[b])),
        IMAGE_WORDS,
    )
    for entry in IMAGE_ENTRY_POINTS
    for bad in BAD_IMAGES
]

# -- arguments: every bad value of every argument -----------------------------------------
BAD_ARGUMENTS = {
    "sigma": [0.0, -1.0, np.nan, np.inf, -np.inf, 1e300, 1e-300, "0.1", [0.1], 1j],
    "stride": [0, -1, 9, 2.5, "2"],
    "betas": [[], [-1.0], [0.0], [np.nan], [np.inf], "abc", [[1.0, 2.0]], [1e400]],
    "lam": [0.0, -1.0, np.nan, np.inf, "a"],
    "gating": ["fast", 3],
    "clip": [5, (1.0,), (1.0, 2.0, 3.0), ("a", "b"), (1.0, 0.0), (np.nan, 1.0)],
    "max_patches": [0, -1, 1.5],
    "tile_shape": [0, -1, "big", (0, 5), (1, 2, 3), 1, (1, 16)],
    "tile_margin": [-1, 1.5],
    "n_jobs": [0, "x", 1.5],
    "adapt": [-1, 1.5],
    "adapt_strength": [0.0, -1.0],
    "scales": [0, -1, 1.5],
    "fusion_weight": [-0.1, 1.5, np.nan],
    "prior": ["x", GMMPatchPrior(2)],
}
_MESSAGE_NAMES = {"prior": "prior|fitted"}


def _denoise_with(name, value):
    settings = {**FAST, name: value}
    if name == "sigma":
        return denoise_epll(IMAGE, value, **FAST)
    if name in ("tile_margin",):
        settings["tile_shape"] = 16
    return denoise_epll(IMAGE, 0.1, **settings)


ARGUMENT_CASES = [
    (
        f"denoise_epll: {name}={value!r}",
        (lambda n=name, v=value: _denoise_with(n, v)),
        _MESSAGE_NAMES.get(name, name),
    )
    for name, values in BAD_ARGUMENTS.items()
    for value in values
]
ARGUMENT_CASES += [
    (
        f"denoise_epll: channel_axis={axis!r}",
        (lambda a=axis: denoise_epll(COLOUR, 0.1, channel_axis=a, **FAST)),
        "channel_axis",
    )
    for axis in (3, -4, 1.5, "x")
]
ARGUMENT_CASES += [
    (
        f"estimate_noise_sigma: channel_axis={axis!r}",
        (lambda a=axis: estimate_noise_sigma(COLOUR, channel_axis=a)),
        "channel_axis",
    )
    for axis in (3, -4, 1.5, "x")
]
ARGUMENT_CASES += [
    (f"{cls.__name__}: sigma={value!r}", (lambda c=cls, v=value: c(v)), "sigma")
    for cls in (GaussianNoise, lambda s: Blur(KERNEL, s), lambda s: Inpainting(~MASK, s))
    for value in (0.0, -1.0, np.nan, 1e300, 1e-300, "a")
]

# -- kernels and masks --------------------------------------------------------------------
BAD_KERNELS = {
    "NaN": np.full((3, 3), np.nan),
    "empty": np.ones((0, 3)),
    "1-D": np.ones(3) / 3,
    "3-D": np.ones((3, 3, 3)) / 27,
    "zero sum": np.array([[1.0, -1.0]]),
    "negative sum": -np.ones((3, 3)),
    "larger than the image": np.ones((30, 3)) / 90,
    "complex": KERNEL + 0j,
    "strings": np.full((3, 3), "a"),
    "huge": np.full((3, 3), 1e300),
}
KERNEL_CASES = [
    (
        f"deblur_epll: {bad} kernel",
        (lambda b=bad: deblur_epll(IMAGE, BAD_KERNELS[b], 0.01)),
        "kernel",
    )
    for bad in BAD_KERNELS
]
KERNEL_CASES += [
    (f"gaussian_kernel(std={value!r})", (lambda v=value: gaussian_kernel(v)), "std")
    for value in (0.0, -1.0, np.nan, np.inf, "a", 1e6, 1e308)
]
KERNEL_CASES += [
    (f"gaussian_kernel(size={value!r})", (lambda v=value: gaussian_kernel(1.0, size=v)), "size")
    for value in (2, 0, -1, 1.5, 10001)
]
KERNEL_CASES += [
    (f"motion_kernel(length={value!r})", (lambda v=value: motion_kernel(v)), "length")
    for value in (0.0, -1.0, np.nan, 1e9, "a")
]
KERNEL_CASES += [
    (f"motion_kernel(angle={value!r})", (lambda v=value: motion_kernel(5.0, v)), "angle")
    for value in (np.nan, np.inf, "a")
]
KERNEL_CASES += [
    (f"parse_kernel({spec!r})", (lambda s=spec: parse_kernel(s)), "kernel|std")
    for spec in ("gaussian:", "gaussian:a", "foo:1", "motion:1,2,3", 5, "gaussian:1e6")
]
BAD_MASKS = {
    "wrong shape": np.ones((10, 10), bool),
    "values 0.5": np.full((20, 20), 0.5),
    "all missing": np.ones((20, 20), bool),
    "3-D": np.ones((20, 20, 1), bool),
    "NaN": np.full((20, 20), np.nan),
    "complex": np.ones((20, 20), complex),
    "strings": np.full((20, 20), "a"),
    "empty": np.ones((0, 0), bool),
}
MASK_CASES = [
    (
        f"inpaint_epll: {bad} mask",
        (lambda b=bad: inpaint_epll(IMAGE, BAD_MASKS[b], **FAST)),
        "mask",
    )
    for bad in BAD_MASKS
]

# -- estimators and patches ---------------------------------------------------------------
ESTIMATOR_CASES = [
    ("GMMPatchPrior(n_components=0)", lambda: GMMPatchPrior(0).fit(np.ones((10, 4)))),
    ("GMMPatchPrior fit NaN", lambda: GMMPatchPrior(2).fit(np.full((10, 4), np.nan))),
    ("GMMPatchPrior fit 1-D", lambda: GMMPatchPrior(2).fit(np.ones(10))),
    ("GMMPatchPrior fit strings", lambda: GMMPatchPrior(2).fit(np.full((10, 4), "a"))),
    ("GatingNetwork(n_filters=0)", lambda: GatingNetwork(n_filters=0).fit(np.ones((10, 64)))),
    ("GatingNetwork noise_levels -1", lambda: GatingNetwork(noise_levels=[-1]).fit(IMAGE)),
    ("sample_patches n_patches=0", lambda: sample_patches(IMAGE, 0)),
    ("sample_patches n_patches=1e12", lambda: sample_patches(IMAGE, 10**12)),
    ("sample_patches patch_size=0", lambda: sample_patches(IMAGE, 5, 0)),
    ("extract_patches patch_size=0", lambda: extract_patches(IMAGE, 0)),
    ("extract_patches stride=9", lambda: extract_patches(IMAGE, 8, stride=9)),
    (
        "aggregate_patches wrong rows",
        lambda: aggregate_patches(np.ones((5, 64)), (20, 20), 8),
    ),
    ("restore with a string likelihood", lambda: EPLLRestorer().restore(IMAGE, "noise")),
    (
        "x0 of the wrong shape",
        lambda: EPLLRestorer(**FAST).restore(IMAGE, GaussianNoise(0.1), x0=IMAGE[:10]),
    ),
    (
        "x0 NaN",
        lambda: EPLLRestorer(**FAST).restore(IMAGE, GaussianNoise(0.1), x0=_with(np.nan)),
    ),
    (
        "callback with tiles",
        lambda: EPLLRestorer(**FAST, tile_shape=64, n_jobs=1).restore(
            np.zeros((256, 256)), GaussianNoise(0.1), callback=print
        ),
    ),
]


# -- a user's own likelihood or gating that breaks its contract ---------------------------
class _Identity(Likelihood):
    def forward(self, x):
        return x

    def adjoint(self, r):
        return r


class _WrongAdjoint(_Identity):
    def adjoint(self, r):
        return 2.0 * r


class _NaNForward(_Identity):
    def forward(self, x):
        return np.full_like(x, np.nan)


class _ComplexForward(_Identity):
    def forward(self, x):
        return x + 0j


class _ListForward(_Identity):
    def forward(self, x):
        return x.tolist()


class _SolveWrongShape(_Identity):
    def solve(self, y, patch_sum, coverage, lam, beta, x0=None):
        return patch_sum[:-1]


class _SolveNaN(_Identity):
    def solve(self, y, patch_sum, coverage, lam, beta, x0=None):
        return np.full_like(patch_sum, np.nan)


class _ImageShapeDisagrees(_Identity):
    def image_shape(self, y):
        return (y.shape[0] + 2, y.shape[1])


class _ImageShapeGarbage(_Identity):
    def image_shape(self, y):
        return "big"


class _InitialNaN(_Identity):
    def initial_estimate(self, y):
        return np.full(y.shape, np.nan)


class _ObservationNotFloat(_Identity):
    def check_observation(self, y):
        return "image"


BROKEN_LIKELIHOODS = [
    (_WrongAdjoint, "adjoint"),
    (_NaNForward, "forward"),
    (_ComplexForward, "forward"),
    (_ListForward, "forward"),
    (_SolveWrongShape, "solve"),
    (_SolveNaN, "solve"),
    (_ImageShapeDisagrees, "forward|shape"),
    (_ImageShapeGarbage, "image_shape"),
    (_InitialNaN, "initial_estimate"),
    (_ObservationNotFloat, "check_observation"),
]


class _Labels(Gating):
    def __init__(self, make):
        self.make = make

    def assign(self, patches, noise_var):
        return self.make(len(patches))


BROKEN_GATINGS = {
    "labels out of range": lambda n: np.full(n, 200),
    "negative labels": lambda n: np.full(n, -1),
    "float labels": lambda n: np.zeros(n),
    "too few labels": lambda n: np.zeros(n - 1, dtype=int),
    "a list": lambda n: [0] * n,
}
CONTRACT_CASES = [
    (
        f"likelihood {cls.__name__}",
        (lambda c=cls: EPLLRestorer(**FAST).restore(IMAGE, c(0.1))),
        words,
    )
    for cls, words in BROKEN_LIKELIHOODS
]
CONTRACT_CASES += [
    (
        f"gating: {name}",
        (lambda m=make: EPLLRestorer(**FAST, gating=_Labels(m)).restore(IMAGE, GaussianNoise(0.1))),
        "gating.assign",
    )
    for name, make in BROKEN_GATINGS.items()
]

ESTIMATOR_WORDS = {
    "GMMPatchPrior(n_components=0)": "n_components",
    "GMMPatchPrior fit NaN": "NaN",
    "GMMPatchPrior fit 1-D": "2D|2-D|reshape",
    "GMMPatchPrior fit strings": "numeric|float|string",
    "GatingNetwork(n_filters=0)": "n_filters",
    "GatingNetwork noise_levels -1": "noise_levels",
    "sample_patches n_patches=0": "n_patches",
    "sample_patches n_patches=1e12": "n_patches",
    "sample_patches patch_size=0": "patch_size",
    "extract_patches patch_size=0": "patch_size",
    "extract_patches stride=9": "stride",
    "aggregate_patches wrong rows": "patches",
    "restore with a string likelihood": "likelihood",
    "x0 of the wrong shape": "x0",
    "x0 NaN": "x0",
    "callback with tiles": "callback",
}
ESTIMATOR_CASES = [(name, call, ESTIMATOR_WORDS[name]) for name, call in ESTIMATOR_CASES]

API_CASES = IMAGE_CASES + ARGUMENT_CASES + KERNEL_CASES + MASK_CASES + ESTIMATOR_CASES
API_CASES += CONTRACT_CASES


@pytest.mark.parametrize("case", API_CASES, ids=[name for name, *_ in API_CASES])
def test_hostile_input_is_a_clear_error_naming_it(case):
    _, call, words = case
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numpy warning escapes
        with pytest.raises(ANY_ERROR, match=words):
            call()


def test_the_matrix_is_as_large_as_documented():
    # doc/robustness.rst quotes these counts
    assert len(API_CASES) >= 150
    assert len(MODEL_FILE_CASES) >= 40


# -- model files: every field, every corruption -------------------------------------------
def _arrays(path):
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    prior = load_default_prior()
    small = GMMPatchPrior.from_covariances(
        prior.weights_[:3] / prior.weights_[:3].sum(), prior.covariances_[:3], patch_size=8
    )
    save_prior(small, folder / "prior.npz")
    network = load_default_network()
    save_network(network, folder / "network.npz")
    return folder, _arrays(folder / "prior.npz"), _arrays(folder / "network.npz")


def _numeric(a):
    """A text field (metadata) is corrupted from a stand-in number."""
    return np.array(1.0) if np.asarray(a).dtype.kind == "U" else np.asarray(a, dtype=float)


CORRUPTIONS = {
    "string": lambda a: np.array("abc"),
    "complex": lambda a: _numeric(a) + 1j,
    "NaN": lambda a: np.full(np.shape(a), np.nan),
    "negative": lambda a: -np.abs(_numeric(a)) - 1,
    "fractional": lambda a: _numeric(a) + 0.5,
    "wrong shape": lambda a: np.zeros((2, 2, 2)),
    "missing": None,
}
PRIOR_FIELDS = ["format_version", "n_features", "patch_size", "remove_dc", "reg_covar"]
PRIOR_FIELDS += ["weights", "covariances_upper", "n_iter", "converged", "metadata"]
NETWORK_FIELDS = ["format_version", "filters", "weights", "offsets", "noise_levels", "metadata"]
# corruptions that leave a valid file (a float reg_covar may be fractional, etc.)
_HARMLESS = {
    ("prior", "reg_covar", "fractional"),
    ("prior", "n_iter", "missing"),
    ("prior", "converged", "missing"),
    ("prior", "metadata", "missing"),
    ("prior", "weights", "fractional"),  # caught: the sum is no longer 1 (kept below)
    ("network", "metadata", "missing"),
    # the network's parameters are any real numbers; noise levels + 0.5 still increase
    *{
        ("network", f, c)
        for f in ("filters", "weights", "offsets")
        for c in ("negative", "fractional")
    },
    ("network", "noise_levels", "fractional"),
}
MODEL_FILE_CASES = [
    (kind, field, corruption)
    for kind, fields in (("prior", PRIOR_FIELDS), ("network", NETWORK_FIELDS))
    for field in fields
    for corruption in CORRUPTIONS
    if (kind, field, corruption) not in _HARMLESS
]


@pytest.mark.parametrize(
    "case", MODEL_FILE_CASES, ids=["-".join(case) for case in MODEL_FILE_CASES]
)
def test_every_corrupted_model_field_is_a_model_file_error(case, model_files, tmp_path):
    kind, field, corruption = case
    folder, prior_arrays, network_arrays = model_files
    arrays = dict(prior_arrays if kind == "prior" else network_arrays)
    if CORRUPTIONS[corruption] is None:
        del arrays[field]
    else:
        arrays[field] = CORRUPTIONS[corruption](arrays[field])
    path = tmp_path / "corrupt.npz"
    np.savez(path, **arrays)
    load = load_prior if kind == "prior" else load_network
    with pytest.raises(ModelFileError, match=field if corruption != "missing" else "lacks|no"):
        load(path)


@pytest.mark.parametrize(
    "change",
    [
        ("prior", "weights", "zero weight"),
        ("prior", "metadata", "JSON list"),
        ("network", "filters", "values of 1e30"),
        ("network", "filters", "zero filters"),
        ("network", "metadata", "JSON list"),
    ],
    ids=lambda c: " ".join(c),
)
def test_implausible_model_values_are_refused(change, model_files, tmp_path):
    kind, field, what = change
    folder, prior_arrays, network_arrays = model_files
    arrays = dict(prior_arrays if kind == "prior" else network_arrays)
    if what == "zero weight":
        arrays[field] = np.array([0.0, 0.5, 0.5])
    elif what == "JSON list":
        arrays[field] = np.array(json.dumps([1, 2]))
    elif what == "values of 1e30":
        arrays[field] = np.full_like(arrays[field], 1e30)
    else:
        arrays[field] = np.zeros((0, 64), dtype=np.float32)
    path = tmp_path / "implausible.npz"
    np.savez(path, **arrays)
    load = load_prior if kind == "prior" else load_network
    with pytest.raises(ModelFileError, match=field):
        load(path)


def test_an_npy_file_given_as_a_model_is_a_model_file_error(tmp_path):
    path = tmp_path / "model.npy"
    np.save(path, np.zeros(3))
    for load in (load_prior, load_network):
        with pytest.raises(ModelFileError, match="npy"):
            load(path)


def test_a_network_for_another_prior_is_refused(model_files):
    folder = model_files[0]
    small_prior = load_prior(folder / "prior.npz")
    with pytest.raises(ModelFileError, match="components"):
        load_network(folder / "network.npz", prior=small_prior)


# -- degenerate inputs that must finish, not hang -----------------------------------------
@pytest.mark.parametrize(
    "mask",
    [
        np.arange(4096).reshape(64, 64) < 2,  # 2 observed pixels of 4096
        np.arange(4096).reshape(64, 64) == 4095,  # one, in a corner
        np.ones((64, 64), bool),  # everything observed
    ],
    ids=["two pixels", "one corner pixel", "all observed"],
)
def test_degenerate_masks_finish_with_a_finite_image(mask):
    image = np.random.default_rng(3).random((64, 64))
    fill = Inpainting(~mask).initial_estimate(image)
    assert np.all(np.isfinite(fill))
    assert np.array_equal(fill[mask], image[mask])
    restored = inpaint_epll(image, ~mask, stride=4, betas=[100.0, 1000.0])
    assert restored.shape == image.shape and np.all(np.isfinite(restored))


def test_sigma_in_grey_levels_on_a_unit_image_warns_once():
    with pytest.warns(UserWarning, match="sigma=25") as record:
        denoise_epll(IMAGE, 25, stride=4, betas=[100.0])
    assert sum("sigma=" in str(w.message) for w in record) == 1


def test_tiny_tiles_and_absurd_worker_counts_are_refused_or_clamped():
    with pytest.raises(ValueError, match="tile_shape"):
        denoise_epll(IMAGE, 0.1, tile_shape=1, **FAST)
    image = np.random.default_rng(0).random((256, 256))
    with pytest.warns(UserWarning, match="n_jobs=100000"):
        restored = denoise_epll(image, 0.1, tile_shape=64, n_jobs=100_000, **FAST)
    untiled = denoise_epll(image, 0.1, tile_shape=64, n_jobs=1, **FAST)
    np.testing.assert_allclose(restored, untiled, atol=1e-6)


def test_unconverged_conjugate_gradients_warn():
    from sklearn.exceptions import ConvergenceWarning

    blur = Blur(np.full((5, 5), 1 / 25), 1e-6)
    with pytest.warns(ConvergenceWarning, match="conjugate"):
        blur._solve_cg(IMAGE, IMAGE, np.ones_like(IMAGE), 1e12, 1e-12, maxiter=1)


def test_unfitted_prior_is_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        EPLLRestorer(GMMPatchPrior(2)).restore(IMAGE, GaussianNoise(0.1))


# -- generated: any finite array, any magnitude; any model-file field replaced --------------
_FLOATS = st.sampled_from([np.float16, np.float32, np.float64])


@given(
    image=hnp.arrays(
        dtype=_FLOATS,
        shape=st.tuples(st.integers(8, 24), st.integers(8, 24)),
        elements={"allow_nan": False, "allow_infinity": False},
    )
)
@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
def test_any_finite_image_gives_a_finite_result_or_a_clear_error(image):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)  # sigma beyond a tiny image's range
        try:
            restored = denoise_epll(image, 0.1, scales=1, **FAST)
        except ValueError as error:
            assert "image" in str(error)
            assert np.abs(image.astype(np.float64)).max() > 1e12
        else:
            assert np.all(np.isfinite(restored)) and restored.shape == image.shape


_REPLACEMENTS = st.one_of(
    hnp.arrays(
        dtype=st.sampled_from([np.float64, np.int64, np.bool_, np.complex128, "U3"]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
    ),
    st.just(np.array(np.nan)),
)


@given(field=st.sampled_from(PRIOR_FIELDS), value=_REPLACEMENTS)
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_replaced_prior_field_loads_or_is_a_model_file_error(
    field, value, model_files, tmp_path
):
    arrays = {**model_files[1], field: value}
    path = tmp_path / "replaced.npz"
    np.savez(path, **arrays)
    try:
        prior = load_prior(path)
    except ModelFileError as error:  # names the field, or the one it disagrees with
        assert "field" in str(error) or "not a" in str(error)
    else:  # only a value as good as the original can load
        assert np.all(np.isfinite(prior.covariances_))


def test_images_in_large_units_restore_and_adapt_without_nan():
    rng = np.random.default_rng(4)
    image = rng.random((32, 32)) * 1e8
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for gating in ("exact", "network+exact"):
            restored = denoise_epll(image, 1e7, gating=gating, adapt=1, **FAST)
            assert np.all(np.isfinite(restored))


def test_the_smallest_noise_level_works_at_every_scale():
    restored = denoise_epll(IMAGE, 1e-12, scales=3, **FAST)
    np.testing.assert_allclose(restored, IMAGE, atol=1e-6)


def test_an_ill_conditioned_fit_is_a_clear_error_not_a_runtime_warning():
    data = np.random.default_rng(5).random((50, 64)) * 1e12  # fewer patches than dimensions
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="positive definite"):
            GMMPatchPrior(2, random_state=0).fit(data)
