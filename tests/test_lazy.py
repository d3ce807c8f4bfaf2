"""Dask arrays in, lazy dask arrays out: equal to the in-memory tiled restoration, lazy until
computed, any chunking, colour, a distributed cluster, and zarr / TIFF through the command
line."""

import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
zarr = pytest.importorskip("zarr")

from skimage import data  # noqa: E402

from skgate import (  # noqa: E402
    Blur,
    EPLLRestorer,
    GaussianNoise,
    deblur_epll,
    denoise_epll,
    estimate_noise_sigma,
    gaussian_kernel,
    inpaint_epll,
)
from skgate._cli import main  # noqa: E402

FAST = {"stride": 3, "betas": [100.0, 400.0, 1600.0]}
SIGMA = 20 / 255
CLEAN = data.camera()[100:196, 120:232] / 255.0  # 96 x 112
NOISY = CLEAN + SIGMA * np.random.default_rng(0).standard_normal(CLEAN.shape)
MASK = np.random.default_rng(1).random(CLEAN.shape) > 0.4
KERNEL = gaussian_kernel(1.0)
BLURRED = Blur(KERNEL, 0.01).forward(CLEAN) + 0.01 * np.random.default_rng(2).standard_normal(
    CLEAN.shape
)


def _psnr(x):
    return 10 * np.log10(1 / np.mean((x - CLEAN) ** 2))


def _tasks_run(build):
    """``build()``, and how many dask tasks ran meanwhile."""
    from dask.callbacks import Callback

    count = []
    with Callback(pretask=lambda key, dsk, state: count.append(key)):
        result = build()
    return result, len(count)


@pytest.mark.parametrize("gating", ["exact", "network", "network+exact"])
@pytest.mark.parametrize("task", ["denoise", "deblur", "inpaint numpy mask", "inpaint dask mask"])
def test_a_dask_array_gives_the_lazy_in_memory_tiled_result(task, gating):
    chunks = (48, 56)
    if task == "denoise":
        call = lambda image: denoise_epll(image, SIGMA, gating=gating, scales=1, **FAST)  # noqa: E731
        source = NOISY
    elif task == "deblur":
        call = lambda image: deblur_epll(image, KERNEL, 0.01, gating=gating, **FAST)  # noqa: E731
        source = BLURRED
    else:
        observed = np.where(MASK, CLEAN, 0.0)
        source = observed

        def call(image):
            mask = ~MASK
            if task == "inpaint dask mask" and not isinstance(image, np.ndarray):
                mask = da.from_array(~MASK, chunks=chunks)
            return inpaint_epll(image, mask, gating=gating, **FAST)

    lazy, ran = _tasks_run(lambda: call(da.from_array(source, chunks=chunks)))
    assert ran == 0  # nothing computed before the caller asks
    assert isinstance(lazy, da.Array)
    assert lazy.shape == source.shape and lazy.chunks == ((48, 48), (56, 56))
    restored = lazy.compute()
    # the in-memory tiled restoration with the same settings (tiles of the chunk size)
    if task == "denoise":
        in_memory = denoise_epll(
            NOISY, SIGMA, gating=gating, scales=1, tile_shape=48, n_jobs=1, **FAST
        )
    elif task == "deblur":
        in_memory = deblur_epll(
            BLURRED, KERNEL, 0.01, gating=gating, tile_shape=48, n_jobs=1, **FAST
        )
    else:
        in_memory = inpaint_epll(source, ~MASK, gating=gating, tile_shape=48, n_jobs=1, **FAST)
    assert abs(_psnr(restored) - _psnr(in_memory)) <= 0.01
    assert np.abs(restored - in_memory).max() < 0.02


def test_multiscale_denoising_is_seamless_across_chunks():
    lazy = denoise_epll(da.from_array(NOISY, chunks=(40, 40)), SIGMA, gating="network", stride=3)
    untiled = denoise_epll(NOISY, SIGMA, gating="network", stride=3)
    restored = lazy.compute()
    assert abs(_psnr(restored) - _psnr(untiled)) <= 0.01
    assert np.abs(restored - untiled).max() < 0.01


@pytest.mark.parametrize("chunks", [(7, 112), (96, 5), (33, 17), (96, 112)])
def test_any_chunking_keeps_the_chunks_and_the_result(chunks):
    lazy = denoise_epll(
        da.from_array(NOISY, chunks=chunks), SIGMA, gating="network", scales=1, **FAST
    )
    assert lazy.chunks == da.from_array(NOISY, chunks=chunks).chunks
    untiled = denoise_epll(NOISY, SIGMA, gating="network", scales=1, **FAST)
    assert abs(_psnr(lazy.compute()) - _psnr(untiled)) <= 0.01


@pytest.mark.parametrize("channel_axis", [-1, 0])
def test_colour_with_channel_axis(channel_axis):
    clean = data.astronaut()[:80, :96] / 255.0
    noisy = clean + 0.08 * np.random.default_rng(3).standard_normal(clean.shape)
    image = noisy if channel_axis == -1 else np.moveaxis(noisy, -1, 0)
    chunks = (40, 48, 1) if channel_axis == -1 else (1, 40, 48)
    lazy = denoise_epll(
        da.from_array(image, chunks=chunks),
        0.08,
        channel_axis=channel_axis,
        gating="network",
        scales=1,
        **FAST,
    )
    assert lazy.chunks == da.from_array(image, chunks=chunks).chunks
    in_memory = denoise_epll(
        image, 0.08, channel_axis=channel_axis, gating="network", scales=1, **FAST
    )
    assert np.abs(lazy.compute() - in_memory).max() < 0.02


@pytest.mark.parametrize("channel_axis", [-1, 0])
def test_a_dask_mask_per_channel(channel_axis):
    # two chunks across, each at least 4 times the 146 pixels of context the inpainting needs
    clean = np.concatenate([data.coffee()[100:164], data.coffee()[164:228]], axis=1) / 255.0
    missing = np.random.default_rng(4).random(clean.shape) < 0.4  # each channel its own holes
    observed = np.where(missing, 0.0, clean)
    image, mask = (
        (observed, missing)
        if channel_axis == -1
        else (np.moveaxis(observed, -1, 0), np.moveaxis(missing, -1, 0))
    )
    chunks = (64, 600, 3) if channel_axis == -1 else (3, 64, 600)
    options = dict(channel_axis=channel_axis, gating="network", **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the two chunks are restored as they are, not merged
        lazy, ran = _tasks_run(
            lambda: inpaint_epll(
                da.from_array(image, chunks=chunks), da.from_array(mask, chunks=chunks), **options
            )
        )
    assert ran == 0 and lazy.chunks == da.from_array(image, chunks=chunks).chunks
    restored = lazy.compute()
    in_memory = inpaint_epll(image, mask, tile_shape=600, n_jobs=1, **options)
    assert np.abs(restored - in_memory).max() < 0.02
    back = restored if channel_axis == -1 else np.moveaxis(restored, 0, -1)
    error = np.abs(back - clean)[missing].mean()
    assert error < np.abs(observed - clean)[missing].mean() / 3  # the holes are filled
    # each channel was filled from its own mask: channel 0's holes are not channel 1's
    assert not np.array_equal(missing[..., 0], missing[..., 1])
    with pytest.raises(ValueError, match="pass channel_axis"):
        inpaint_epll(da.from_array(observed[..., 0]), da.from_array(missing))
    with pytest.raises(ValueError, match="mask has shape"):
        inpaint_epll(
            da.from_array(observed), da.from_array(missing[..., :2]), channel_axis=-1
        ).compute()


def test_restorer_and_noise_estimate_accept_dask_arrays():
    image = da.from_array(NOISY, chunks=48)
    lazy = EPLLRestorer(gating="network", stride=3, betas=[100.0]).restore(
        image, GaussianNoise(SIGMA)
    )
    assert isinstance(lazy, da.Array) and lazy.compute().shape == NOISY.shape
    assert abs(estimate_noise_sigma(image) - estimate_noise_sigma(NOISY)) < 0.15 * SIGMA
    with pytest.raises(ValueError, match="x0"):
        EPLLRestorer().restore(image, GaussianNoise(SIGMA), x0=NOISY)


def test_bad_dask_input_is_refused_before_computing():
    with pytest.raises(ValueError, match="2-D"):
        denoise_epll(da.zeros((4, 50, 50), chunks=10), 0.1)
    with pytest.raises(TypeError, match="real"):
        denoise_epll(da.zeros((50, 50), dtype=complex, chunks=10), 0.1)
    with pytest.raises(ValueError, match="mask"):
        inpaint_epll(da.zeros((50, 50), chunks=10), da.ones((40, 50), dtype=bool, chunks=10))


def test_a_distributed_cluster_computes_it():
    distributed = pytest.importorskip("distributed")
    lazy = denoise_epll(da.from_array(NOISY, chunks=48), SIGMA, gating="network", scales=1, **FAST)
    expected = lazy.compute(scheduler="synchronous")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster):
            restored = lazy.compute()
    np.testing.assert_allclose(restored, expected, atol=1e-6)


@pytest.fixture
def stores(tmp_path):
    import tifffile

    noisy8 = (np.clip(NOISY, 0, 1) * 255).round().astype(np.uint8)
    source = zarr.open_array(
        str(tmp_path / "in.zarr"), mode="w", shape=noisy8.shape, chunks=(48, 48), dtype="uint8"
    )
    source[:] = noisy8
    tifffile.imwrite(tmp_path / "in.tif", noisy8, tile=(48, 48))
    return tmp_path, noisy8


@pytest.mark.parametrize(
    ("source", "target"), [("in.zarr", "out.zarr"), ("in.tif", "out.tif"), ("in.zarr", "out.tif")]
)
def test_zarr_and_tiff_round_trips_through_the_command_line(stores, source, target, monkeypatch):
    import tifffile

    folder, noisy8 = stores
    monkeypatch.chdir(folder)
    argv = [
        "denoise",
        source,
        target,
        "--sigma",
        "20",
        "--gating",
        "network",
        "--scales",
        "1",
        "-q",
    ]
    assert main([*argv, "--chunks", "48"] if source.endswith(".tif") else argv) == 0
    out = zarr.open_array(target)[:] if target.endswith(".zarr") else tifffile.imread(target)
    assert out.dtype == np.uint8 and out.shape == noisy8.shape
    expected = denoise_epll(noisy8, SIGMA, gating="network", scales=1)
    assert np.abs(out.astype(float) - expected * 255).max() <= 3
    assert sorted(p.name for p in folder.iterdir()) == sorted(["in.zarr", "in.tif", target])


def test_a_failed_chunked_run_leaves_nothing_behind(stores, monkeypatch, capsys):
    from skgate import _lazy as lazy

    folder = stores[0]
    monkeypatch.chdir(folder)

    def failing(self, *args, **kwargs):
        raise RuntimeError("a worker died")

    monkeypatch.setattr(lazy._Block, "restore", failing)
    for target in ("out.zarr", "out.tif"):
        assert main(["denoise", "in.zarr", target, "--sigma", "20", "--gating", "network"]) == 2
        assert "a worker died" in capsys.readouterr().err
        assert sorted(p.name for p in folder.iterdir()) == ["in.tif", "in.zarr"]


def test_without_zarr_the_command_line_says_what_to_install(stores, monkeypatch, capsys):
    import sys

    monkeypatch.chdir(stores[0])
    monkeypatch.setitem(sys.modules, "zarr", None)  # as if it were not installed
    assert main(["denoise", "in.zarr", "out.zarr", "--sigma", "20"]) == 2
    err = capsys.readouterr().err
    assert 'pip install "skgate[dask]"' in err and len(err.strip().splitlines()) == 1
    assert 'pip install ".[dask]"' in err  # what works from a clone


def test_a_custom_prior_travels_fitted_with_the_graph():
    from skgate import load_default_prior

    prior = load_default_prior()
    lazy = denoise_epll(da.from_array(NOISY, chunks=48), SIGMA, prior=prior, scales=1, **FAST)
    in_memory = denoise_epll(NOISY, SIGMA, prior=prior, scales=1, tile_shape=48, n_jobs=1, **FAST)
    assert abs(_psnr(lazy.compute(scheduler="processes")) - _psnr(in_memory)) <= 0.01


def test_chunk_progress_reaches_its_total_when_small_chunks_are_merged():
    from skgate._bigfiles import ChunkProgress

    # a last column of 16 pixels is thinner than the margin: it is restored merged
    lazy = denoise_epll(da.from_array(NOISY, chunks=48), SIGMA, gating="network", scales=1, **FAST)
    seen = []
    with ChunkProgress(lambda done, total: seen.append((done, total)), lazy):
        lazy.compute()
    assert seen and seen[-1][0] == seen[-1][1]
    assert [done for done, _ in seen] == list(range(1, len(seen) + 1))


def test_a_write_waits_for_zarrs_background_io_before_cleaning_up():
    # The main thread's wait on zarr's loop can be cut by Ctrl-C while the write goes on; the
    # clean-up must not remove the temporary folder under a write still in flight.
    import asyncio
    import time

    from zarr.core.sync import _get_loop

    from skgate._bigfiles import _settle_zarr_io

    finished = []

    async def slow_write():
        await asyncio.sleep(0.3)
        finished.append(time.monotonic())

    asyncio.run_coroutine_threadsafe(slow_write(), _get_loop())  # abandoned, as after Ctrl-C
    start = time.monotonic()
    _settle_zarr_io()
    assert finished and finished[0] >= start
