"""Robustness III (doc/robustness.rst): no data loss on the chunked command-line path, every
catchable signal cleans up, dask inputs checked at the call, tiles and chunks too small for
their context, parameters, model-file headers, and the cases that failed before."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings
import zipfile

import numpy as np
import pytest
from skimage import data
from skimage.io import imsave

from skgate import (
    Blur,
    EPLLRestorer,
    GatingNetwork,
    GaussianNoise,
    GMMPatchPrior,
    deblur_epll,
    denoise_epll,
    estimate_noise_sigma,
    gaussian_kernel,
    inpaint_epll,
)
from skgate._cli import main
from skgate.models import MAX_FIELD_ELEMENTS, ModelFileError, default_prior_path, load_prior

da = pytest.importorskip("dask.array")
zarr = pytest.importorskip("zarr")

FAST = {"stride": 3, "betas": [100.0, 400.0]}
CLEAN = data.camera()[100:228, 100:228] / 255.0
NOISY = CLEAN + 0.1 * np.random.default_rng(0).standard_normal(CLEAN.shape)
MASK = np.random.default_rng(1).random(CLEAN.shape) > 0.5


# -- the chunked command line never loses a file ----------------------------------------
@pytest.fixture
def stores(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    image = (np.clip(NOISY, 0, 1) * 255).astype(np.uint8)
    source = zarr.open_array("in.zarr", mode="w", shape=image.shape, chunks=(64, 64), dtype="u1")
    source[:] = image
    return tmp_path


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


DENOISE = ["denoise", "--sigma", "20", "--gating", "network", "-q"]


def _denoise(source, target, *options):
    return main([DENOISE[0], source, target, *DENOISE[1:], *options])


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_a_users_folder_named_like_a_store_is_never_replaced(stores, overwrite, capsys):
    (stores / "keep.zarr").mkdir()
    (stores / "keep.zarr" / "notes.txt").write_text("mine")
    before = _listing(stores)
    assert _denoise("in.zarr", "keep.zarr", *overwrite) == 2
    assert "keep.zarr" in capsys.readouterr().err
    assert _listing(stores) == before
    assert (stores / "keep.zarr" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_a_zarr_group_is_never_replaced(stores, overwrite):
    group = zarr.open_group("group.zarr", mode="w")
    group.create_array("a", shape=(4,), dtype="f4")
    before = _listing(stores)
    assert _denoise("in.zarr", "group.zarr", *overwrite) == 2
    assert _listing(stores) == before


def test_an_existing_zarr_array_is_replaced_only_with_overwrite(stores, capsys):
    assert _denoise("in.zarr", "out.zarr") == 0
    first = zarr.open_array("out.zarr")[:]
    zarr.open_array("out.zarr", mode="r+")[:] = 0
    assert _denoise("in.zarr", "out.zarr") == 2
    assert "--overwrite" in capsys.readouterr().err
    assert not zarr.open_array("out.zarr")[:].any()  # untouched
    assert _denoise("in.zarr", "out.zarr", "--overwrite") == 0
    np.testing.assert_array_equal(zarr.open_array("out.zarr")[:], first)
    assert sorted(p.name for p in stores.iterdir()) == ["in.zarr", "out.zarr"]


@pytest.mark.parametrize(
    ("source", "target", "word"),
    [
        ("outer.zarr/inner.zarr", "outer.zarr", "contains the input"),
        ("in.zarr", "in.zarr/out.zarr", "inside the input"),
        ("in.zarr", "in.zarr", "inside the input"),
    ],
)
def test_an_output_containing_or_inside_the_input_is_refused(stores, source, target, word):
    os.makedirs("outer.zarr", exist_ok=True)
    zarr.open_array("outer.zarr/inner.zarr", mode="w", shape=(64, 64), dtype="u1")[:] = 7
    before = _listing(stores)
    assert _denoise(source, target, "--overwrite") == 2
    assert _listing(stores) == before


def test_a_regular_file_named_like_a_store_is_refused_before_work(stores, capsys, monkeypatch):
    (stores / "file.zarr").write_text("not a store")
    monkeypatch.setattr("skgate._cli.EPLLRestorer.restore", pytest.fail)  # no work may start
    assert _denoise("in.zarr", "file.zarr", "--overwrite") == 2
    assert "file.zarr" in capsys.readouterr().err
    assert (stores / "file.zarr").read_text() == "not a store"


def _run_and_signal(folder, signals, argv):
    """Start the command line, wait until it writes, send ``signals``; its exit code,
    stderr, and the folder's names afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "skgate", *argv],
        cwd=folder,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".") for p in folder.iterdir()):
        assert process.poll() is None, "finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for signum in signals:
        process.send_signal(signum)
        time.sleep(0.1)
    _, err = process.communicate(timeout=120)
    return process.returncode, err, sorted(p.name for p in folder.iterdir())


@pytest.fixture
def slow_input(tmp_path):
    image = (np.tile(data.camera(), (2, 2))).astype(np.uint8)
    source = zarr.open_array(
        tmp_path / "big.zarr", mode="w", shape=image.shape, chunks=(256, 256), dtype="u1"
    )
    source[:] = image
    return tmp_path


@pytest.mark.parametrize(
    ("signals", "code"),
    [
        ([signal.SIGTERM], 128 + signal.SIGTERM),
        ([signal.SIGHUP], 128 + signal.SIGHUP),
        ([signal.SIGINT, signal.SIGINT], 130),  # a second Ctrl-C during the clean-up
    ],
)
@pytest.mark.parametrize("target", ["out.zarr", "out.tif"])
def test_every_catchable_signal_cleans_up_and_says_one_line(slow_input, signals, code, target):
    argv = ["denoise", "big.zarr", target, "--sigma", "20", "--stride", "1", "--scales", "1"]
    returncode, err, names = _run_and_signal(slow_input, signals, argv)
    assert returncode == code
    assert names == ["big.zarr"]  # no output, no hidden temporary
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_tiny_chunks_on_the_command_line_grow_with_a_warning(stores, capsys):
    assert _denoise("in.zarr", "out.zarr", "--chunks", "1") == 0
    assert "chunks of 1 pixels are small" in capsys.readouterr().err
    assert min(zarr.open_array("out.zarr").chunks) > 1


@pytest.mark.parametrize(
    ("kind", "target"),
    [
        ("float32 in 0..1020", "out.zarr"),
        ("float32 in 0..1020", "out.tif"),
        ("int64 holding 0..255", "out.zarr"),  # TIFF holds no int64 (refused before work)
    ],
)
def test_files_in_other_units_restore_as_well_as_uint8(tmp_path, monkeypatch, kind, target):
    import tifffile

    monkeypatch.chdir(tmp_path)
    clean = data.camera()[100:292, 100:292].astype(float)
    noisy = clean + 20 * np.random.default_rng(0).standard_normal(clean.shape)
    unit = 4.0 if kind.startswith("float") else 1.0
    values = noisy * 4 if unit == 4.0 else np.round(noisy)
    dtype = "f4" if unit == 4.0 else "i8"
    source = zarr.open_array("in.zarr", mode="w", shape=clean.shape, chunks=(96, 96), dtype=dtype)
    source[:] = values.astype(dtype)
    tifffile.imwrite("u8.tif", np.clip(np.round(noisy), 0, 255).astype(np.uint8))
    sigma = str(20 * unit)
    assert main(["denoise", "in.zarr", target, "--sigma", sigma, "--gating", "network", "-q"]) == 0
    assert main(["denoise", "u8.tif", "u8_out.tif", "--sigma", "20", "--gating", "network"]) == 0
    out = zarr.open_array(target)[:] if target.endswith(".zarr") else tifffile.imread(target)

    def psnr(x):
        return 10 * np.log10(255**2 / np.mean((x - clean) ** 2))

    reference = psnr(tifffile.imread("u8_out.tif").astype(float))
    assert psnr(out.astype(float) / unit) > reference - 0.5


# -- dask inputs: what can be checked is checked at the call ------------------------------
def _lazy(image, chunks):
    return da.from_array(image, chunks=chunks)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("64x64 in 32-pixel chunks", lambda: denoise_epll(_lazy(NOISY[:64, :64], 32), 0.1)),
        ("8 x 128 in 4-pixel chunks", lambda: denoise_epll(_lazy(NOISY[:8, :128], 4), 0.1)),
        ("scales=40", lambda: denoise_epll(_lazy(NOISY, 64), 0.1, scales=40, **FAST)),
        ("scales=10**9", lambda: denoise_epll(_lazy(NOISY, 64), 0.1, scales=10**9, **FAST)),
    ],
)
def test_small_or_many_scaled_dask_images_work_as_in_memory(name, call):
    restored = call().compute()
    assert np.all(np.isfinite(restored))


def test_a_kernel_larger_than_the_dask_image_is_the_in_memory_error():
    kernel = np.ones((80, 80)) / 6400
    with pytest.raises(ValueError, match="kernel") as lazy:
        deblur_epll(_lazy(NOISY[:64, :64], 32), kernel, 0.01).compute()
    with pytest.raises(ValueError, match="kernel") as eager:
        deblur_epll(NOISY[:64, :64], kernel, 0.01)
    assert str(lazy.value) == str(eager.value)


def test_unknown_chunk_sizes_are_a_clear_error():
    image = _lazy(NOISY, 64)
    image = image[image[:, 0] > -10]
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        denoise_epll(image, 0.1)


BAD_LAZY_CALLS = {
    "scales=0": lambda x: denoise_epll(x, 0.1, scales=0),
    "scales=-1": lambda x: denoise_epll(x, 0.1, scales=-1),
    "scales=1.5": lambda x: denoise_epll(x, 0.1, scales=1.5),
    "stride=0": lambda x: denoise_epll(x, 0.1, stride=0),
    "stride='3'": lambda x: denoise_epll(x, 0.1, stride="3"),
    "inpaint sigma=-1": lambda x: inpaint_epll(x, ~MASK, sigma=-1),
    "inpaint sigma=inf": lambda x: inpaint_epll(x, ~MASK, sigma=np.inf),
    "inpaint sigma=0": lambda x: inpaint_epll(x, ~MASK, sigma=0),
    "inpaint sigma=nan": lambda x: inpaint_epll(x, ~MASK, sigma=np.nan),
    "inpaint sigma='a'": lambda x: inpaint_epll(x, ~MASK, sigma="a"),
    "mask of the wrong shape": lambda x: inpaint_epll(x, ~MASK[:10]),
    "all-True (all missing) mask": lambda x: inpaint_epll(x, MASK | True),
    "0.5 mask": lambda x: inpaint_epll(x, MASK * 0.5),
    "NaN mask": lambda x: inpaint_epll(x, np.where(MASK, np.nan, 1.0)),
    "dask mask of the wrong shape": lambda x: inpaint_epll(x, _lazy(~MASK[:10], 5)),
    "progress": lambda x: EPLLRestorer().restore(x, GaussianNoise(0.1), progress=print),
    "channel_axis=True": lambda x: denoise_epll(da.stack([x] * 3, -1), 0.1, channel_axis=True),
    "huge graph": lambda x: denoise_epll(da.zeros((10**7, 10**7)), 0.1),
    "data_range=-1": lambda x: denoise_epll(x, 0.1, data_range=-1),
}


@pytest.mark.parametrize("name", sorted(BAD_LAZY_CALLS))
def test_bad_dask_calls_fail_at_the_call_not_at_compute(name):
    from dask.callbacks import Callback

    ran = []
    with Callback(pretask=lambda key, dsk, state: ran.append(key)):
        with pytest.raises((ValueError, TypeError)):
            BAD_LAZY_CALLS[name](_lazy(NOISY, 64))
    assert ran == []


@pytest.mark.parametrize("value", [0.5, np.nan])
def test_a_lazy_mask_with_bad_values_is_an_error_naming_it_at_compute(value):
    mask = _lazy(np.where(MASK, value, 1.0), 64)
    with pytest.raises(ValueError, match="mask"):
        inpaint_epll(_lazy(NOISY, 64), mask).compute()


@pytest.mark.parametrize(
    ("channel_axis", "chunks", "lazy_mask"),
    [(-1, (64, 64, 3), False), (0, (1, 64, 64), False), (-1, (64, 64, 1), True)],
)
def test_colour_dask_inpainting_in_every_layout(channel_axis, chunks, lazy_mask):
    colour = np.stack([CLEAN, CLEAN[::-1], CLEAN.T], axis=-1)
    observed = np.where(MASK[..., None], colour, 0.0)
    image = np.moveaxis(observed, -1, channel_axis)
    mask = _lazy(~MASK, 64) if lazy_mask else ~MASK
    lazy = inpaint_epll(_lazy(image, chunks), mask, channel_axis=channel_axis, **FAST)
    in_memory = inpaint_epll(image, ~MASK, channel_axis=channel_axis, **FAST)
    np.testing.assert_allclose(lazy.compute(), in_memory, atol=0.05)


def test_a_wide_hole_in_small_chunks_is_filled_as_in_memory():
    hole = np.ones(CLEAN.shape, dtype=bool)
    hole[20:110, 20:110] = False
    damaged = np.where(hole, CLEAN, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the chunks grow
        lazy = inpaint_epll(_lazy(damaged, 32), ~hole, gating="network", **FAST).compute()
    in_memory = inpaint_epll(damaged, ~hole, gating="network", **FAST)
    assert lazy[20:110, 20:110].min() > 0.02  # no black square
    assert np.abs(lazy - in_memory).mean() < 0.02


@pytest.mark.parametrize("chunks", [1, 4, 16])
def test_the_sampled_noise_estimate_ignores_the_chunking(chunks):
    image = NOISY[:64, :64]
    assert estimate_noise_sigma(_lazy(image, chunks)) == pytest.approx(
        estimate_noise_sigma(image), rel=1e-6
    )


def test_lazy_units_follow_the_image_and_stay_lazy():
    lazy = denoise_epll(_lazy(NOISY * 255, 64), 25.5, gating="network", **FAST)
    in_memory = denoise_epll(NOISY * 255, 25.5, gating="network", **FAST)
    assert abs(np.mean(lazy.compute() - in_memory)) < 0.5
    assert np.abs(lazy.compute() - in_memory).max() < 5


# -- tiles and chunks too small for their context ----------------------------------------
def test_tiny_tiles_grow_with_one_warning_and_restore_alike():
    image = np.tile(CLEAN, (2, 2))
    blur = Blur(gaussian_kernel(1.0), 0.01)
    blurred = blur.forward(image) + 0.01 * np.random.default_rng(3).standard_normal(image.shape)
    with pytest.warns(UserWarning, match="tile_shape") as record:
        tiled = deblur_epll(blurred, blur.kernel, 0.01, tile_shape=16, n_jobs=1)
    assert sum("tile_shape" in str(w.message) for w in record) == 1
    untiled = deblur_epll(blurred, blur.kernel, 0.01)
    assert np.abs(tiled - untiled)[32:-32, 32:-32].mean() < 0.01


def test_tiny_dask_chunks_grow_with_one_warning():
    with pytest.warns(UserWarning, match="chunks") as record:
        lazy = denoise_epll(_lazy(NOISY, 8), 0.1, gating="network", **FAST)
    assert sum("chunks" in str(w.message) for w in record) == 1
    assert lazy.chunks == _lazy(NOISY, 8).chunks  # the caller's chunks come back


# -- parameters ----------------------------------------------------------------------------
BOOL_PARAMETERS = [
    "lam",
    "stride",
    "n_jobs",
    "adapt",
    "scales",
    "fusion_weight",
    "adapt_strength",
    "max_patches",
]


@pytest.mark.parametrize("name", BOOL_PARAMETERS)
def test_bools_are_not_numbers(name):
    with pytest.raises(ValueError, match=name):
        EPLLRestorer(**{name: True}).restore(NOISY, GaussianNoise(0.1))


@pytest.mark.parametrize(
    "call",
    [
        lambda: denoise_epll(NOISY, True),
        lambda: GaussianNoise(True),
        lambda: Blur(np.ones((3, 3)) / 9, sigma=np.True_),
        lambda: denoise_epll(np.stack([NOISY] * 3, 1), 0.1, channel_axis=True),
        lambda: estimate_noise_sigma(np.stack([NOISY] * 3, 1), channel_axis=True),
    ],
)
def test_bools_are_refused_for_noise_levels_and_axes(call):
    with pytest.raises((TypeError, ValueError), match="sigma|channel_axis"):
        call()


def test_numpy_integers_are_integers():
    np.testing.assert_array_equal(gaussian_kernel(1, size=np.int64(5)), gaussian_kernel(1, 5))


@pytest.fixture(scope="module")
def small_prior():
    X = np.random.default_rng(0).standard_normal((2000, 16))
    return GMMPatchPrior(n_components=3, patch_size=4, max_iter=5, random_state=0).fit(X)


def test_flat_tail_gating_works_with_a_small_prior(small_prior):
    restored = EPLLRestorer(small_prior, gating="flat-tail", **FAST).restore(
        NOISY, GaussianNoise(0.1)
    )
    assert np.all(np.isfinite(restored))


def test_clip_bounds_the_fused_result():
    restored = EPLLRestorer(stride=3, scales=3, clip=(0.4, 0.6)).restore(NOISY, GaussianNoise(0.1))
    assert restored.min() >= 0.4 and restored.max() <= 0.6


# -- the cases that failed before -----------------------------------------------------------
def test_a_kernel_scaled_by_1e300_is_refused():
    with pytest.raises(ValueError, match="kernel sums"):
        deblur_epll(NOISY, np.ones((3, 3)) / 9 * 1e-300, 0.01)


def test_patches_beyond_float32_are_refused_by_the_prior(small_prior):
    X = np.random.default_rng(1).standard_normal((200, 16))
    with pytest.raises(ValueError, match="X has values"):
        GMMPatchPrior(n_components=2, patch_size=4).fit(X * 1e30)
    with pytest.raises(ValueError, match="X has values"):
        small_prior.predict((X * 1e20).astype(np.float32))


def test_network_noise_levels_beyond_the_range_are_refused(small_prior):
    X = np.random.default_rng(1).standard_normal((200, 16))
    with pytest.raises(ValueError, match="noise_levels"):
        GatingNetwork(small_prior, n_filters=4, noise_levels=[0, 1e300]).fit(X)


@pytest.fixture
def images(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    grey = data.camera()[:64, :64]
    imsave("grey_alpha.png", np.stack([grey, np.full_like(grey, 255)], axis=-1))
    imsave("rgba.png", np.concatenate([data.astronaut()[:64, :64], grey[..., None]], axis=-1))
    imsave("g.png", grey)
    mask = np.zeros((64, 64), np.uint8)
    mask[20:30, 20:30] = 255
    imsave("mask.png", mask, check_contrast=False)
    return tmp_path


def test_rgba_into_jpeg_is_refused_before_work(images, capsys, monkeypatch):
    monkeypatch.setattr("skgate._cli.EPLLRestorer.restore", pytest.fail)  # no work may start
    assert main(["denoise", "rgba.png", "out.jpg", "--sigma", "10"]) == 2
    assert "alpha" in capsys.readouterr().err
    assert not (images / "out.jpg").exists()


def test_grey_with_alpha_is_read_by_every_command(images):
    assert main(["info", "--image", "grey_alpha.png"]) == 0
    argv = ["train-prior", "grey_alpha.png", "-o", "p.npz", "--n-patches", "500"]
    assert main([*argv, "--n-components", "2", "--warm-up-patches", "200", "-q"]) == 0


def test_inpaint_sigma_is_honoured(images):
    argv = ["inpaint", "g.png", "{}", "--mask", "mask.png", "--stride", "3", "-q"]
    assert main([a.format("low.png") for a in argv]) == 0
    assert main([a.format("high.png") for a in argv] + ["--sigma", "60"]) == 0
    from skimage.io import imread

    low, high, grey = (imread(n).astype(float) for n in ("low.png", "high.png", "g.png"))
    # a noisy observation (60 grey levels) is smoothed; a trusted one kept
    assert np.abs(high - grey).mean() > 2 * np.abs(low - grey).mean()


def test_train_gating_refuses_absurd_noise_levels(images, capsys):
    argv = ["train-gating", "g.png", "-o", "n.npz", "--noise-levels", "1e300"]
    assert main(argv) == 2 and "noise-levels" in capsys.readouterr().err
    assert not (images / "n.npz").exists()


# -- model files: sizes read from the headers ---------------------------------------------
def _prior_fields():
    with np.load(default_prior_path(), allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def test_a_huge_extra_field_is_refused_from_its_header(tmp_path):
    path = tmp_path / "big.npz"
    # compressed zeros: small on disk, gigabytes once read
    np.savez_compressed(path, **_prior_fields(), extra=np.zeros(MAX_FIELD_ELEMENTS + 1, "u1"))
    with pytest.raises(ModelFileError, match="'extra' declares"):
        load_prior(path)


def test_a_header_declaring_10_to_the_12_elements_is_refused(tmp_path):
    import io

    path = tmp_path / "lie.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in _prior_fields().items():
            if key != "weights":
                buffer = io.BytesIO()
                np.save(buffer, value)
                archive.writestr(f"{key}.npy", buffer.getvalue())
        archive.writestr("weights.npy", header.getvalue() + bytes(64))
    with pytest.raises(ModelFileError, match="'weights' declares"):
        load_prior(path)


def test_the_robustness_iii_cases_are_counted_in_the_docs():
    text = (os.path.dirname(__file__) + "/../doc/robustness.rst").replace("\\", "/")
    with open(text) as handle:
        page = handle.read()
    assert "Robustness III" in page
    json.dumps(sorted(BAD_LAZY_CALLS))  # the names are plain text for the page
