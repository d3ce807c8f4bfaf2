import io
import json
import time
import zipfile

import numpy as np
import pytest

from skgate import GMMPatchPrior, load_default_prior
from skgate.models import (
    PRIOR_FORMAT_VERSION,
    ModelFileError,
    default_prior_path,
    load_prior,
    save_prior,
)


@pytest.fixture(scope="module")
def prior():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 16)) * np.linspace(0.01, 1, 16)
    return GMMPatchPrior(3, patch_size=4, max_iter=30, random_state=0).fit(X), X


def arrays_of(path):
    with np.load(path, allow_pickle=False) as archive:
        return {k: archive[k] for k in archive.files}


def write(path, arrays):
    np.savez(path, **arrays)
    return path


def test_roundtrip_preserves_predictions(prior, tmp_path):
    est, X = prior
    save_prior(est, tmp_path / "p.npz")
    loaded = load_prior(tmp_path / "p.npz")
    assert loaded.get_params()["n_components"] == 3 and loaded.patch_size == 4
    np.testing.assert_allclose(loaded.weights_, est.weights_)
    # covariances are stored as float32
    np.testing.assert_allclose(loaded.covariances_, est.covariances_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(loaded.score_samples(X), est.score_samples(X), rtol=1e-4)
    assert np.mean(loaded.predict(X) == est.predict(X)) > 0.995
    assert loaded.n_iter_ == est.n_iter_


def test_save_carries_format_version_and_metadata(prior, tmp_path):
    save_prior(prior[0], tmp_path / "p.npz", metadata={"note": "test"})
    arrays = arrays_of(tmp_path / "p.npz")
    assert int(arrays["format_version"]) == PRIOR_FORMAT_VERSION
    assert json.loads(str(arrays["metadata"]))["note"] == "test"
    assert load_prior(tmp_path / "p.npz").metadata_ == {"note": "test"}


def test_save_is_atomic_and_leaves_no_temporary(prior, tmp_path):
    save_prior(prior[0], tmp_path / "p.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["p.npz"]


def tampered(prior, tmp_path, **changes):
    path = tmp_path / "good.npz"
    save_prior(prior[0], path)
    arrays = arrays_of(path)
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    return write(tmp_path / "bad.npz", arrays)


def _non_pd(prior):
    upper = prior[0].covariances_
    iu = np.triu_indices(16)
    bad = upper.copy()
    bad[0] = -bad[0]
    return bad[:, iu[0], iu[1]].astype(np.float32)


@pytest.mark.parametrize(
    "changes,match",
    [
        ({"format": np.array("skgate.Other")}, "not a 'skgate.GMMPatchPrior'"),
        ({"format_version": np.array(PRIOR_FORMAT_VERSION + 1)}, "newer"),
        ({"format": None}, "no 'format'"),
        ({"weights": None}, "lacks"),
        ({"weights": np.array([0.5, 0.5, 0.5])}, "sum to 1"),
        ({"weights": np.array([np.nan, 0.5, 0.5])}, "NaN"),
        ({"covariances_upper": np.zeros((3, 10), np.float32)}, "shape"),
        ({"patch_size": np.array(5)}, "patch_size"),
    ],
)
def test_tampered_files_give_clear_errors(prior, tmp_path, changes, match):
    with pytest.raises(ModelFileError, match=match):
        load_prior(tampered(prior, tmp_path, **changes))


def test_non_positive_definite_covariance_rejected(prior, tmp_path):
    path = tampered(prior, tmp_path, covariances_upper=_non_pd(prior))
    with pytest.raises(ModelFileError, match="positive definite"):
        load_prior(path)


def test_dc_leak_rejected(prior, tmp_path):
    iu = np.triu_indices(16)
    covs = prior[0].covariances_ + 0.5
    path = tampered(prior, tmp_path, covariances_upper=covs[:, iu[0], iu[1]].astype(np.float32))
    with pytest.raises(ModelFileError, match="DC"):
        load_prior(path)


def test_pickled_object_inside_is_refused_without_running_it(prior, tmp_path):
    path = tampered(prior, tmp_path, metadata=np.array([{"evil": object()}], dtype=object))
    with pytest.raises(ModelFileError, match="Python objects|not a readable"):
        load_prior(path)


def test_truncated_and_foreign_files(prior, tmp_path):
    save_prior(prior[0], tmp_path / "p.npz")
    data = (tmp_path / "p.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        load_prior(tmp_path / "cut.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ModelFileError):
        load_prior(tmp_path / "text.npz")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not numpy")
    (tmp_path / "zip.npz").write_bytes(buffer.getvalue())
    with pytest.raises(ModelFileError):
        load_prior(tmp_path / "zip.npz")
    with pytest.raises(FileNotFoundError):
        load_prior(tmp_path / "missing.npz")


def test_shipped_default_prior_is_valid_and_useful():
    assert default_prior_path().stat().st_size < 5_000_000
    tic = time.perf_counter()
    prior = load_default_prior()
    load_seconds = time.perf_counter() - tic
    assert prior.n_components == 200 and prior.patch_size == 8 and prior.remove_dc
    assert prior.covariances_.shape == (200, 64, 64)
    assert load_seconds < 30  # a sanity bound, not a benchmark (the note reports the time)
    # a smooth image is far more probable under the prior than white noise of equal variance
    from skimage import data

    from skgate._patches import extract_patches

    image = data.camera()[::2, ::2] / 255.0
    patches = extract_patches(image, 8, stride=4)
    noise = np.random.default_rng(0).standard_normal(patches.shape) * patches.std()
    assert prior.score(patches) > prior.score(noise) + 50
    assert np.unique(prior.predict(patches)).size > 20
