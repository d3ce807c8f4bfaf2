"""Arrays of other libraries than NumPy (skgate._backend): the same restoration on
``array-api-strict`` (the standard and nothing more: the generic paths), on PyTorch's CPU
build (its fast paths) and, where a GPU is, on CUDA tensors and CuPy, equal to NumPy's. Each
library's tests skip cleanly where it is not installed; CUDA and CuPy tests skip without a
GPU."""

import numpy as np
import pytest

from skgate import (
    BayerMosaic,
    Blur,
    EPLLRestorer,
    ExactGating,
    FlatTailGating,
    GaussianNoise,
    Inpainting,
    MixtureTables,
    NetworkGating,
    deblur_epll,
    demosaic_epll,
    denoise_epll,
    gaussian_kernel,
    inpaint_epll,
    load_default_network,
    load_default_prior,
)
from skgate._backend import namespace, to_numpy
from skgate._linalg import grouped_matmul, packed_by_gathers, packed_by_rows, packed_outer
from skgate._multiscale import downsample, upsample
from skgate._patches import PatchGrid


def _strict():
    xs = pytest.importorskip("array_api_strict")
    return lambda a, dtype=None: xs.asarray(np.asarray(a, dtype=dtype))


def _torch():
    torch = pytest.importorskip("torch")
    return lambda a, dtype=None: torch.asarray(np.array(a, dtype=dtype))


def _cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return lambda a, dtype=None: torch.asarray(np.array(a, dtype=dtype), device="cuda")


def _cupy():
    cupy = pytest.importorskip("cupy")
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception:  # cupy installed, no GPU: whatever CUDA raises
        pytest.skip("no CUDA device for CuPy")
    return lambda a, dtype=None: cupy.asarray(np.array(a, dtype=dtype))


LIBRARIES = {"array-api-strict": _strict, "torch": _torch, "torch-cuda": _cuda, "cupy": _cupy}


@pytest.fixture(params=list(LIBRARIES))
def convert(request):
    """A function making an array of the library from a NumPy array."""
    return LIBRARIES[request.param]()


@pytest.fixture(scope="module")
def tables():
    return MixtureTables(load_default_prior())


@pytest.fixture(scope="module")
def noisy_case():
    rng = np.random.default_rng(0)
    from skimage import data

    clean = data.camera()[140:236, 200:328].astype(np.float64) / 255
    return clean, clean + 25 / 255 * rng.standard_normal(clean.shape)


def _psnr(x, clean):
    return 10 * np.log10(1.0 / np.mean((np.asarray(x, dtype=np.float64) - clean) ** 2))


@pytest.mark.parametrize("stride, offset", [(1, (0, 0)), (3, (1, 2)), (8, (0, 5))])
@pytest.mark.parametrize("channels", [1, 3])
def test_patches_and_aggregation_equal_numpy(convert, stride, offset, channels):
    rng = np.random.default_rng(1)
    shape = (21, 26) + ((channels,) if channels > 1 else ())
    image = rng.random(shape).astype(np.float32)
    grid = PatchGrid(shape[:2], 8, stride, offset, channels)
    rows = slice(1, None)
    expected = grid.extract(image, rows, dtype=np.float32)
    device_image = convert(image)
    xp, _ = namespace(device_image)
    patches = grid.extract(device_image, rows, dtype=xp.float32)
    assert type(patches) is type(device_image)
    np.testing.assert_array_equal(to_numpy(patches), expected)

    estimates = rng.random(expected.shape).astype(np.float32)
    summed = grid.aggregate_into(np.zeros(grid.array_shape, np.float32), estimates, rows)
    device_sum = grid.aggregate_into(
        convert(np.zeros(grid.array_shape, np.float32)), convert(estimates), rows
    )
    np.testing.assert_allclose(to_numpy(device_sum), summed, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(9, 12), (10, 13, 3)])
def test_scales_equal_numpy(convert, shape):
    image = np.random.default_rng(2).random(shape)
    out_shape = (2 * (shape[0] // 2) + 1, 2 * (shape[1] // 2))
    np.testing.assert_allclose(to_numpy(downsample(convert(image))), downsample(image))
    small = downsample(image)
    np.testing.assert_allclose(
        to_numpy(upsample(convert(small), out_shape)), upsample(small, out_shape), atol=1e-12
    )


def test_upsample_is_scikit_images_bilinear():
    from skimage.transform import resize

    small = np.random.default_rng(3).random((7, 5))
    expected = resize(small, (14, 10), order=1, mode="edge", anti_aliasing=False)
    np.testing.assert_allclose(upsample(small, (14, 10)), expected, atol=1e-12)
    np.testing.assert_allclose(upsample(small, (15, 11))[:14, :10], expected, atol=1e-12)
    np.testing.assert_array_equal(upsample(small, (15, 11))[14], upsample(small, (15, 11))[13])


def test_grouped_filters_equal_numpy(convert, tables):
    rng = np.random.default_rng(4)
    rows = rng.standard_normal((500, 64)).astype(np.float32)
    labels = rng.integers(0, 5, 500)  # a few components present, most absent
    filters = tables.wiener_patch_filters(0.01)
    expected = grouped_matmul(rows, labels, filters)
    got = grouped_matmul(convert(rows), convert(labels), convert(filters))
    np.testing.assert_allclose(to_numpy(got), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("counts", [[64], [0, 65, 1], [128, 0, 0, 63, 2], [1] * 9])
def test_batched_block_products_at_batch_edges(convert, counts):
    """Blocks of exactly one batch, one row more, empty labels: every row once, in order."""
    rng = np.random.default_rng(10)
    labels = np.repeat(np.arange(len(counts)), counts)
    rows = rng.standard_normal((labels.size, 6)).astype(np.float32)
    matrices = rng.standard_normal((len(counts), 6, 4)).astype(np.float32)
    expected = np.einsum("nd,nde->ne", rows, matrices[labels])
    got = grouped_matmul(convert(rows), convert(labels), convert(matrices))
    np.testing.assert_allclose(to_numpy(got), expected, rtol=1e-5, atol=1e-5)


def test_both_packings_equal_numpys(convert):
    """The accelerator's packing (gathers) and the CPU's (rows) give NumPy's products."""
    Y = np.random.default_rng(11).standard_normal((37, 9)).astype(np.float32)
    expected = packed_outer(Y)
    for packed in (packed_by_rows, packed_by_gathers):
        np.testing.assert_allclose(to_numpy(packed(convert(Y))), expected, rtol=1e-6)


def _strategies(tables):
    network = load_default_network()
    return {
        "exact": ExactGating(tables),
        "flat-tail": FlatTailGating(tables),
        "network": NetworkGating(network, tables),
        "network+exact": NetworkGating(network, tables, top_k=2),
    }


@pytest.mark.parametrize("name", ["exact", "flat-tail", "network", "network+exact"])
def test_gating_labels_equal_numpy(convert, tables, noisy_case, name):
    _, noisy = noisy_case
    patches = PatchGrid(noisy.shape, 8, 2).extract(noisy, dtype=np.float32)
    strategy = _strategies(tables)[name]
    expected = strategy.assign(patches, 0.005)
    got = to_numpy(strategy.assign(convert(patches), 0.005))
    assert got.shape == expected.shape
    # Another GEMM may order its sums differently: a near tie can flip, nothing more.
    assert np.mean(got == expected) > 0.995


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gating", ["exact", "network", "network+exact", "flat-tail"])
def test_denoise_equals_numpy(convert, noisy_case, dtype, gating):
    clean, noisy = noisy_case
    noisy = noisy.astype(dtype)
    expected = denoise_epll(noisy, sigma=25 / 255, gating=gating)
    image = convert(noisy)
    before = to_numpy(image).copy()
    got = denoise_epll(image, sigma=25 / 255, gating=gating)
    assert type(got) is type(image)
    assert got.dtype == image.dtype and tuple(got.shape) == noisy.shape
    assert str(namespace(got)[1]) == str(namespace(image)[1])
    np.testing.assert_array_equal(to_numpy(image), before)  # the input is left alone
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01


def test_every_setting_of_the_core_on_an_array(convert, noisy_case):
    """One scale, stride 1, penalties, clip, x0, callback and progress: the same result."""
    clean, noisy = noisy_case
    kwargs = dict(scales=1, stride=1, betas=[50, 200, 800, 3200], clip=(0.0, 1.0))
    restorer = EPLLRestorer(**kwargs)
    start = np.clip(noisy, 0, 1)
    seen, done = [], []
    expected = restorer.restore(noisy, GaussianNoise(0.1), x0=start)
    got = restorer.restore(
        convert(noisy),
        GaussianNoise(0.1),
        x0=convert(start),
        callback=lambda i, beta, x: seen.append((i, type(x))),
        progress=lambda d, t: done.append((d, t)),
    )
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01
    assert [i for i, _ in seen] == [0, 1, 2, 3] and seen[0][1] is type(got)
    assert done[-1] == (4, 4)
    assert float(to_numpy(got).min()) >= 0.0 and float(to_numpy(got).max()) <= 1.0


def test_estimated_sigma_and_numpy_start(convert, noisy_case):
    clean, noisy = noisy_case
    expected = denoise_epll(noisy)
    got = denoise_epll(convert(noisy))
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01
    # a NumPy x0 beside a tensor image is moved to the image's device
    restored = EPLLRestorer(scales=1).restore(convert(noisy), GaussianNoise(0.1), x0=noisy)
    assert type(restored) is type(convert(noisy))


@pytest.fixture(scope="module")
def blur_case(noisy_case):
    clean, _ = noisy_case
    kernel = gaussian_kernel(1.6, 9)
    rng = np.random.default_rng(5)
    return (
        clean,
        kernel,
        Blur(kernel, 0.01).forward(clean) + 0.01 * rng.standard_normal(clean.shape),
    )


def test_deblur_equals_numpy(convert, blur_case):
    clean, kernel, blurred = blur_case
    expected = deblur_epll(blurred, kernel, sigma=0.01)
    got = deblur_epll(convert(blurred), convert(kernel), sigma=0.01)
    assert type(got) is type(convert(blurred))
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01
    # the degradation itself: forward and adjoint on the device equal NumPy's
    blur = Blur(kernel, 0.01)
    x = np.random.default_rng(6).random(clean.shape)
    np.testing.assert_allclose(to_numpy(blur.forward(convert(x))), blur.forward(x), atol=1e-5)
    np.testing.assert_allclose(to_numpy(blur.adjoint(convert(x))), blur.adjoint(x), atol=1e-5)


def test_inpaint_equals_numpy(convert, noisy_case):
    clean, _ = noisy_case
    mask = np.random.default_rng(7).random(clean.shape) < 0.5
    observed = np.where(mask, np.nan, clean)  # missing pixels may hold anything
    betas = 50 * 2.0 ** np.arange(8)
    expected = inpaint_epll(observed, mask, betas=betas)
    got = inpaint_epll(convert(observed), convert(mask), betas=betas)
    assert type(got) is type(convert(observed))
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01
    # the smoothed start is computed on the host and comes back to the device
    start = Inpainting(mask).initial_estimate(convert(np.where(mask, 0.0, clean)))
    assert type(start) is type(got)


@pytest.fixture(scope="module")
def colour_case():
    from skimage import data

    clean = data.astronaut()[100:164, 100:196].astype(np.float64) / 255
    return clean, clean + 25 / 255 * np.random.default_rng(8).standard_normal(clean.shape)


@pytest.mark.parametrize("route", ["opponent", "colour prior"])
def test_colour_equals_numpy(convert, colour_case, route):
    clean, noisy = colour_case
    kwargs = dict(sigma=25 / 255, gating="network")
    if route == "colour prior":
        kwargs = dict(sigma=25 / 255, prior=load_default_prior(colour=True), scales=1)
    noisy = np.moveaxis(noisy, -1, 0)  # channels first: channel_axis=0
    expected = denoise_epll(noisy, channel_axis=0, **kwargs)
    got = denoise_epll(convert(noisy), channel_axis=0, **kwargs)
    assert type(got) is type(convert(noisy)) and tuple(got.shape) == noisy.shape
    clean = np.moveaxis(clean, -1, 0)
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01


def test_one_kernel_per_channel(convert, colour_case):
    clean, _ = colour_case
    kernels = np.stack([gaussian_kernel(s, 7) for s in (1.0, 1.6, 2.0)], axis=-1)
    rng = np.random.default_rng(9)
    blurred = np.stack(
        [Blur(kernels[..., c], 0.01).forward(clean[..., c]) for c in range(3)], axis=-1
    ) + 0.01 * rng.standard_normal(clean.shape)
    expected = deblur_epll(blurred, kernels, sigma=0.01, channel_axis=-1)
    got = deblur_epll(convert(blurred), convert(kernels), sigma=0.01, channel_axis=-1)
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01


@pytest.mark.filterwarnings("ignore:tile_shape:UserWarning")
def test_tiles_run_in_sequence_on_the_device(convert, noisy_case, blur_case):
    clean, noisy = noisy_case
    kwargs = dict(sigma=25 / 255, gating="network", tile_shape=48)
    expected = denoise_epll(noisy, **kwargs)
    got = denoise_epll(convert(noisy), n_jobs=2, **kwargs)  # one device: n_jobs changes nothing
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01
    # a blurred tile's image step: conjugate gradients (on the host) with its valid pixels
    clean, kernel, blurred = blur_case
    expected = deblur_epll(blurred, kernel, sigma=0.01, tile_shape=48, betas=[5.0, 20.0, 80.0])
    got = deblur_epll(convert(blurred), kernel, sigma=0.01, tile_shape=48, betas=[5.0, 20.0, 80.0])
    assert type(got) is type(convert(blurred))
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01


def test_adaptation_estimates_on_the_host_and_restores_on_the_device(convert, noisy_case):
    clean, noisy = noisy_case
    kwargs = dict(sigma=25 / 255, adapt=1, scales=1, gating="network")
    expected = denoise_epll(noisy, **kwargs)
    got = denoise_epll(convert(noisy), **kwargs)
    assert type(got) is type(convert(noisy))
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01


def test_demosaic_equals_numpy(convert, colour_case):
    clean, _ = colour_case
    raw = BayerMosaic(clean.shape[:2], "GRBG").raw(clean)
    betas = 200 * 2.0 ** np.arange(6)
    expected = demosaic_epll(raw, "GRBG", betas=betas)
    got = demosaic_epll(convert(raw), "GRBG", betas=betas)
    assert type(got) is type(convert(raw)) and tuple(got.shape) == clean.shape
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01


@pytest.mark.parametrize("gating", ["exact", "network"])
def test_second_stage_estimates_on_the_host_and_restores_on_the_device(convert, noisy_case, gating):
    clean, noisy = noisy_case
    kwargs = dict(sigma=25 / 255, second_stage="local", gating=gating, scales=1)
    expected = denoise_epll(noisy, **kwargs)
    got = denoise_epll(convert(noisy), **kwargs)
    assert type(got) is type(convert(noisy))
    assert abs(_psnr(to_numpy(got), clean) - _psnr(expected, clean)) < 0.01


def test_a_tensor_that_requires_grad_restores_without_a_graph(noisy_case):
    torch = pytest.importorskip("torch")
    _, noisy = noisy_case
    image = torch.asarray(noisy).requires_grad_()
    restored = denoise_epll(image, sigma=25 / 255, scales=1)
    assert not restored.requires_grad and restored.grad_fn is None
    assert image.requires_grad  # the caller's tensor keeps its flag


def test_what_arrays_do_not_support_yet_is_refused_by_name(convert, noisy_case):
    _, noisy = noisy_case
    image = convert(noisy)

    class Doubled(GaussianNoise):  # a user's own degradation: NumPy only
        pass

    with pytest.raises(TypeError, match="GaussianNoise, Blur or Inpainting"):
        EPLLRestorer().restore(image, Doubled(0.1))
    bad = noisy.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="image contains NaN"):
        denoise_epll(convert(bad), sigma=0.1)
