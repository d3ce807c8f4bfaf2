import os
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joblib import parallel_config
from skimage import data

from skgate import Blur, EPLLRestorer, GaussianNoise, Inpainting, Likelihood, load_default_prior
from skgate._tiles import TileLayout


@given(
    rows=st.integers(1, 60),
    cols=st.integers(1, 60),
    tile=st.tuples(st.integers(1, 30), st.integers(1, 30)),
    margin=st.integers(0, 12),
    align=st.integers(1, 4),
)
@settings(max_examples=60, deadline=None)
def test_cores_partition_the_image(rows, cols, tile, margin, align):
    layout = TileLayout((rows, cols), tile, margin, align=align)
    hits = np.zeros((rows, cols), int)
    for t in layout:
        hits[t.core] += 1
        for core, outer, size in zip(t.core, t.outer, (rows, cols), strict=True):
            assert core.start % align == 0
            assert outer.start == max(0, core.start - margin)
            assert outer.stop == min(size, core.stop + margin)
        inner = np.arange(rows * cols).reshape(rows, cols)
        np.testing.assert_array_equal(inner[t.outer][t.core_in_outer], inner[t.core])
    np.testing.assert_array_equal(hits, 1)


def test_tile_layout_rejects_bad_arguments():
    with pytest.raises(TypeError, match="tile_shape"):
        TileLayout((10, 10), "big", 2)
    with pytest.raises(ValueError, match="tile_shape"):
        TileLayout((10, 10), (0, 4), 2)
    with pytest.raises(ValueError, match="margin"):
        TileLayout((10, 10), 4, -1)


@pytest.fixture(scope="module")
def clean():
    return data.camera()[100:196, 60:156] / 255.0


def _psnr(a, b):
    return 10 * np.log10(1 / np.mean((a - b) ** 2))


def test_tiled_denoising_matches_untiled(clean):
    sigma = 0.1
    noisy = clean + sigma * np.random.default_rng(0).standard_normal(clean.shape)
    whole = EPLLRestorer(stride=2).restore(noisy, GaussianNoise(sigma))
    done = []
    tiled = EPLLRestorer(stride=2, tile_shape=64).restore(
        noisy, GaussianNoise(sigma), progress=lambda i, n: done.append((i, n))
    )
    assert done == [(i, 4) for i in range(1, 5)]
    assert abs(_psnr(clean, whole) - _psnr(clean, tiled)) < 0.02
    assert np.abs(whole - tiled).max() < 0.02
    # a margin of no context is visibly different: the test can tell
    bare = EPLLRestorer(stride=2, tile_shape=40, tile_margin=0).restore(noisy, GaussianNoise(sigma))
    assert np.abs(whole - bare).max() > np.abs(whole - tiled).max()


def test_parallel_tiles_equal_serial_tiles(clean):
    sigma = 0.1
    noisy = clean + sigma * np.random.default_rng(1).standard_normal(clean.shape)
    serial = EPLLRestorer(stride=3, tile_shape=48, n_jobs=1).restore(noisy, GaussianNoise(sigma))
    parallel = EPLLRestorer(stride=3, tile_shape=48, n_jobs=2).restore(noisy, GaussianNoise(sigma))
    np.testing.assert_allclose(parallel, serial, atol=1e-6)


def test_tiled_inpainting_fills_a_tile_without_observations(clean):
    mask = np.random.default_rng(2).random(clean.shape) > 0.4
    mask[:40, :40] = False  # a whole tile's core and more is missing
    observed = np.where(mask, clean, 0.0)
    restorer = EPLLRestorer(stride=2, betas=[50, 400, 3200])
    whole = restorer.restore(observed, Inpainting(~mask))
    tiled = EPLLRestorer(stride=2, betas=[50, 400, 3200], tile_shape=32).restore(
        observed, Inpainting(~mask)
    )
    assert np.all(np.isfinite(tiled))
    np.testing.assert_allclose(tiled[mask], observed[mask], atol=0.01)
    assert abs(_psnr(clean, whole) - _psnr(clean, tiled)) < 0.1


def test_tiled_deblurring_is_close_to_untiled(clean):
    kernel = np.ones((5, 5)) / 25
    lik = Blur(kernel, sigma=0.01)
    blurred = lik.forward(clean) + 0.01 * np.random.default_rng(3).standard_normal(clean.shape)
    restorer = EPLLRestorer(stride=2, betas=[50, 200, 800])
    whole = restorer.restore(blurred, lik)
    tiled = EPLLRestorer(stride=2, betas=[50, 200, 800], tile_shape=48).restore(blurred, lik)
    # inside the image the tiles see the same data; only the periodic wrap at the image's
    # own border differs (a tile wraps within itself)
    inner = (slice(12, -12), slice(12, -12))
    assert abs(_psnr(clean[inner], whole[inner]) - _psnr(clean[inner], tiled[inner])) < 0.05


def test_a_likelihood_without_tiles_is_refused_before_any_work(clean):
    class Scaled(Likelihood):
        def forward(self, x):
            return 0.5 * np.asarray(x)

        def adjoint(self, r):
            return 0.5 * np.asarray(r)

    with pytest.raises(NotImplementedError, match="does not support tiles"):
        EPLLRestorer(tile_shape=40).restore(clean, Scaled(0.1))
    # untiled it works
    assert EPLLRestorer(stride=4, betas=[100.0]).restore(clean, Scaled(0.1)).shape == clean.shape


def test_tiles_reject_callback_and_one_tile_runs_untiled(clean):
    with pytest.raises(ValueError, match="use progress"):
        EPLLRestorer(tile_shape=40).restore(clean, GaussianNoise(0.1), callback=print)
    calls = []
    EPLLRestorer(stride=4, betas=[100.0], tile_shape=500).restore(
        clean, GaussianNoise(0.1), callback=lambda *a: calls.append(a)
    )
    assert len(calls) == 1


def test_a_custom_prior_restores_in_tiles_as_untiled(clean):
    prior = load_default_prior()
    noisy = clean + 0.05 * np.random.default_rng(4).standard_normal(clean.shape)
    a = EPLLRestorer(prior, stride=4, tile_shape=48, n_jobs=2).restore(noisy, GaussianNoise(0.05))
    b = EPLLRestorer(prior, stride=4).restore(noisy, GaussianNoise(0.05))
    assert _psnr(b, a) > 45


def test_tiles_run_on_a_dask_cluster_through_joblib(clean):
    distributed = pytest.importorskip("distributed")

    sigma = 0.1
    noisy = clean + sigma * np.random.default_rng(5).standard_normal(clean.shape)
    restorer = EPLLRestorer(stride=4, tile_shape=48, betas=[100.0, 400.0])
    local = restorer.restore(noisy, GaussianNoise(sigma))
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            processes=True,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with parallel_config(backend="dask"):
            remote = restorer.restore(noisy, GaussianNoise(sigma))
        workers_used = client.run(lambda: 1)
    assert len(workers_used) == 2
    np.testing.assert_allclose(remote, local, atol=1e-6)


class _FailsInWorkers(GaussianNoise):
    """A likelihood whose tiles fail in the image step, as a crashing worker would."""

    def tile(self, window):
        return _Broken(self.sigma)


class _Broken(GaussianNoise):
    def solve(self, *args, **kwargs):
        raise RuntimeError("tile solver failed")


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_failing_tile_surfaces_as_one_clear_error(clean, n_jobs):
    restorer = EPLLRestorer(stride=4, betas=[100.0], tile_shape=48, n_jobs=n_jobs)
    with pytest.raises(RuntimeError, match="tile solver failed"):
        restorer.restore(clean, _FailsInWorkers(0.1))


class _DiesInWorkers(GaussianNoise):
    """A likelihood whose tiles kill their worker process (as a segfault or the OOM killer
    would), but never the process that created it."""

    def tile(self, window):
        return _Dying(self.sigma, os.getpid())


class _Dying(GaussianNoise):
    def __init__(self, sigma, parent_pid):
        super().__init__(sigma)
        self.parent_pid = parent_pid

    def solve(self, *args, **kwargs):
        if os.getpid() != self.parent_pid:
            os._exit(3)
        return super().solve(*args, **kwargs)


def test_a_dying_worker_surfaces_as_one_clear_error(clean):
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    restorer = EPLLRestorer(stride=4, betas=[100.0], tile_shape=48, n_jobs=2)
    with parallel_config(backend="loky"):
        with pytest.raises(TerminatedWorkerError, match="terminated"):
            restorer.restore(clean, _DiesInWorkers(0.1))
        # the pool recovers: the next restoration works
        out = restorer.restore(clean, GaussianNoise(0.1))
    assert out.shape == clean.shape and np.all(np.isfinite(out))


class _RecordsWorkers(GaussianNoise):
    """A likelihood whose tiles note the process and thread that restore them."""

    seen = []

    def tile(self, window):
        return _Recording(self.sigma)


class _Recording(GaussianNoise):
    def solve(self, *args, **kwargs):
        _RecordsWorkers.seen.append((os.getpid(), threading.get_ident()))
        return super().solve(*args, **kwargs)


def test_tiles_run_in_threads_of_this_process_by_default(clean):
    _RecordsWorkers.seen = []
    restorer = EPLLRestorer(stride=4, betas=[100.0, 400.0], tile_shape=32, n_jobs=2)
    restorer.restore(clean, _RecordsWorkers(0.1))
    pids = {pid for pid, _ in _RecordsWorkers.seen}
    threads = {thread for _, thread in _RecordsWorkers.seen}
    assert pids == {os.getpid()}
    assert threading.get_ident() not in threads  # the tiles ran in worker threads


def test_process_backend_gives_the_thread_result(clean):
    noisy = clean + 0.1 * np.random.default_rng(3).standard_normal(clean.shape)
    restorer = EPLLRestorer(stride=2, betas=[100.0, 400.0], tile_shape=48, n_jobs=2)
    in_threads = restorer.restore(noisy, GaussianNoise(0.1))
    with parallel_config(backend="loky"):
        in_processes = restorer.restore(noisy, GaussianNoise(0.1))
    np.testing.assert_allclose(in_processes, in_threads, atol=1e-6)


def test_small_tiles_grow_to_four_times_their_margin_and_tiny_images_restore_untiled():
    likelihood = GaussianNoise(0.1)
    tiles_of = EPLLRestorer(stride=2, tile_shape=40)._settings_for(likelihood)
    assert tiles_of._tile_layout((96, 96), likelihood, 8) is not None  # the tests' tiles
    with pytest.warns(UserWarning, match="tile_shape"):
        settings = EPLLRestorer(stride=1, tile_shape=10)._settings_for(likelihood)
        layout = settings._tile_layout((512, 512), likelihood, 8)
    assert min(layout.tile_shape) >= 4 * layout.margin
    # windows adding up to more than three images: one piece is cheaper
    settings = EPLLRestorer(stride=1, tile_shape=32)._settings_for(likelihood)
    assert settings._tile_layout((64, 64), likelihood, 8) is None


def test_a_small_blur_in_small_tiles_is_not_minutes():
    kernel = np.ones((9, 9)) / 81
    image = np.random.default_rng(0).random((128, 128))
    restorer = EPLLRestorer(stride=3, betas=[5.0, 20.0], tile_shape=64, n_jobs=1)
    with pytest.warns(UserWarning, match="tile_shape"):
        blur = Blur(kernel, 0.01)
        layout = restorer._settings_for(blur)._tile_layout(image.shape, blur, 8)
    assert layout is None or min(layout.tile_shape) >= 4 * layout.margin
