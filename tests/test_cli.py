import subprocess
import sys

import numpy as np
import pytest
from skimage import data
from skimage.io import imread, imsave

from skgate._cli import main
from skgate.models import load_prior


def test_info_prints_summary_of_shipped_prior(capsys):
    assert main(["info", "--image", "camera"]) == 0
    out = capsys.readouterr().out
    assert "200 zero-mean components over 8x8 patches" in out
    assert "image camera (512, 512): 255025 patches" in out


def test_train_prior_writes_a_loadable_prior(tmp_path):
    rng = np.random.default_rng(0)
    files = []
    for i in range(2):
        path = tmp_path / f"img{i}.png"
        imsave(path, (rng.random((40, 40)) * 255).astype(np.uint8))
        files.append(str(path))
    out = tmp_path / "prior.npz"
    args = ["train-prior", *files, "-o", str(out), "--n-patches", "3000"]
    args += ["--warm-up-patches", "1000", "--n-components", "3", "--patch-size", "4", "-q"]
    assert main(args) == 0
    prior = load_prior(out)
    assert prior.n_components == 3 and prior.patch_size == 4
    assert prior.metadata_["n_patches"] == 3000


@pytest.mark.parametrize(
    "argv,match",
    [
        (["info", "--prior", "missing.npz"], "missing.npz"),
        (["info", "--image", "no_such_image.png"], "no_such_image.png"),
        (["train-prior", "nothing.png", "-o", "x.npz"], "nothing.png"),
        (["denoise", "nothing.png", "out.png"], "nothing.png"),
        (["denoise", "noisy.png", "noisy.png"], "--overwrite"),
        (["denoise", "noisy.png", "out.png", "--sigma", "-3"], "--sigma"),
        (["denoise", "noisy.png", "out.png", "--sigma", "lots"], "--sigma"),
        (["denoise", "noisy.png", "no_such_folder/out.png", "--sigma", "20"], "no_such_folder"),
        (["denoise", "garbage.png", "out.png"], "garbage.png"),
        (["denoise", "noisy.png", "out.png", "--stride", "0"], "stride"),
        (["denoise", "noisy.png", "out.png", "--adapt", "-1"], "adapt"),
        (["deblur", "noisy.png", "out.png", "--kernel", "blur:3"], "blur:3"),
        (["deblur", "noisy.png", "out.png", "--kernel", "gaussian:-1"], "std"),
        (["deblur", "noisy.png", "out.png", "--kernel", "missing.npy"], "missing.npy"),
        (["inpaint", "noisy.png", "out.png", "--mask", "small.png"], "shape"),
        (["inpaint", "noisy.png", "out.png", "--mask", "full.png"], "every pixel"),
    ],
)
def test_user_mistakes_are_one_line_errors(argv, match, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    imsave("noisy.png", np.full((32, 40), 100, np.uint8), check_contrast=False)
    imsave("small.png", np.zeros((8, 8), np.uint8), check_contrast=False)
    imsave("full.png", np.full((32, 40), 255, np.uint8), check_contrast=False)
    (tmp_path / "garbage.png").write_bytes(b"not an image at all")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "skgate", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("skgate ")


@pytest.fixture
def noisy_files(tmp_path):
    from skimage import data

    rng = np.random.default_rng(0)
    clean = data.camera()[100:164, 100:180] / 255.0
    noisy = np.clip(clean + 20 / 255 * rng.standard_normal(clean.shape), 0, 1)
    imsave(tmp_path / "noisy.png", (noisy * 255).round().astype(np.uint8))
    imsave(tmp_path / "noisy16.tif", (noisy * 65535).round().astype(np.uint16))
    colour = data.astronaut()[:48, 200:256] / 255.0
    imsave(
        tmp_path / "colour.png",
        (np.clip(colour + 0.08 * rng.standard_normal(colour.shape), 0, 1) * 255).astype(np.uint8),
    )
    return tmp_path, clean, colour


def _psnr(a, b):
    return 10 * np.log10(1 / np.mean((a - b) ** 2))


def test_the_second_stage_option_refines_the_restoration(noisy_files):
    from skimage.io import imread

    folder, clean, _ = noisy_files
    args = ["denoise", str(folder / "noisy.png"), "--sigma", "20", "-q"]
    assert main([args[0], args[1], str(folder / "one.png"), *args[2:]]) == 0
    assert (
        main([args[0], args[1], str(folder / "two.png"), *args[2:], "--second-stage", "local"]) == 0
    )
    one, two = (imread(folder / name) / 255.0 for name in ("one.png", "two.png"))
    assert np.abs(one - two).max() > 0  # the option reached the restorer
    assert _psnr(clean, two) > _psnr(clean, one) - 0.05


def test_denoise_keeps_the_files_kind_and_improves_it(noisy_files, capsys):
    from skimage.io import imread

    folder, clean, colour = noisy_files
    out = folder / "out.png"
    assert main(["denoise", str(folder / "noisy.png"), str(out), "--gating", "exact"]) == 0
    printed = capsys.readouterr().out
    assert "estimated noise sigma" in printed
    restored = imread(out)
    assert restored.dtype == np.uint8 and restored.shape == clean.shape
    noisy = imread(folder / "noisy.png") / 255.0
    assert _psnr(clean, restored / 255.0) > _psnr(clean, noisy) + 3
    # 16-bit TIFF in, 16-bit TIFF out; sigma in the file's units
    out16 = folder / "out16.tif"
    args = ["denoise", str(folder / "noisy16.tif"), str(out16), "--sigma", str(20 * 257)]
    assert main([*args, "--gating", "exact", "--stride", "2", "-q"]) == 0
    assert capsys.readouterr().out == ""
    restored16 = imread(out16)
    assert restored16.dtype == np.uint16
    assert _psnr(clean, restored16 / 65535.0) > _psnr(clean, noisy) + 3
    # colour in, colour out
    out_rgb = folder / "out_rgb.png"
    args = ["denoise", str(folder / "colour.png"), str(out_rgb), "--sigma", "20", "-q"]
    assert main([*args, "--gating", "network+exact", "--stride", "2"]) == 0
    assert imread(out_rgb).shape == colour.shape
    # nothing but the outputs in the folder: no temporary files left behind
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["noisy.png", "noisy16.tif", "colour.png", "out.png", "out16.tif", "out_rgb.png"]
    )


def test_deblur_and_inpaint_from_the_command_line(noisy_files):
    from skimage.io import imread

    folder, clean, _ = noisy_files
    mask = np.zeros(clean.shape, np.uint8)
    mask[20:26, :] = 255
    imsave(folder / "mask.png", mask, check_contrast=False)
    holes = (np.where(mask > 0, 0, clean) * 255).round().astype(np.uint8)
    imsave(folder / "holes.png", holes)
    out = folder / "filled.png"
    args = ["inpaint", str(folder / "holes.png"), str(out), "--mask", str(folder / "mask.png")]
    assert main([*args, "--gating", "exact", "--stride", "2", "-q"]) == 0
    filled = imread(out) / 255.0
    missing = mask > 0
    assert (
        np.abs(filled - clean)[missing].mean() < np.abs(holes / 255.0 - clean)[missing].mean() / 3
    )
    np.save(folder / "k.npy", np.ones((3, 3)) / 9)
    out = folder / "sharp.png"
    args = ["deblur", str(folder / "noisy.png"), str(out), "--kernel", str(folder / "k.npy")]
    assert main([*args, "--gating", "exact", "--stride", "3", "--sigma", "5", "-q"]) == 0
    assert imread(out).shape == clean.shape


def test_failed_write_leaves_nothing_behind(noisy_files, capsys):
    folder, _, _ = noisy_files
    target = folder / "out.unknownformat"
    args = ["denoise", str(folder / "noisy.png"), str(target), "--sigma", "20", "--stride", "4"]
    assert main([*args, "--gating", "exact"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not any(p.name.startswith(".") or "unknownformat" in p.name for p in folder.iterdir())


def test_progress_bar_only_on_a_terminal():
    import io

    from skgate._cli import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty = Terminal()
    bar = Progress("denoise", stream=tty)
    for done in range(1, 4):
        bar(done, 3)
    assert "3/3" in tty.getvalue() and tty.getvalue().endswith("\n")
    pipe = io.StringIO()
    Progress("denoise", stream=pipe)(1, 3)
    assert pipe.getvalue() == ""
    quiet = Terminal()
    Progress("denoise", quiet=True, stream=quiet)(1, 3)
    assert quiet.getvalue() == ""


def test_train_gating_writes_a_network_for_the_prior(tmp_path):
    from skgate.models import load_network

    rng = np.random.default_rng(1)
    files = []
    for i in range(2):
        path = tmp_path / f"img{i}.png"
        imsave(path, (rng.random((40, 40)) * 255).astype(np.uint8))
        files.append(str(path))
    prior_file = tmp_path / "prior.npz"
    args = ["train-prior", *files, "-o", str(prior_file), "--n-patches", "2000"]
    assert (
        main([*args, "--warm-up-patches", "500", "--n-components", "3", "--patch-size", "4", "-q"])
        == 0
    )
    out = tmp_path / "net.npz"
    args = ["train-gating", *files, "-o", str(out), "--prior", str(prior_file), "--n-filters", "5"]
    args += ["--n-batches", "2", "--batch-size", "500", "--max-iter", "20"]
    assert main([*args, "--noise-levels", "0.01", "-q"]) == 0
    network = load_network(out, prior=load_prior(prior_file))
    assert network.filters_.shape == (5, 16)
    np.testing.assert_array_equal(network.noise_levels_, [0.0, 0.01])


def test_tile_backends_and_worker_counts_give_the_same_file(noisy_files):
    from skimage.io import imread

    folder = noisy_files[0]
    base = ["denoise", str(folder / "noisy.png")]
    options = ["--sigma", "20", "--gating", "network", "--tile", "40", "-q"]
    results = []
    for extra in (
        ["--n-jobs", "1"],
        ["--n-jobs", "2", "--backend", "threads"],
        ["--n-jobs", "2", "--backend", "processes"],
    ):
        out = folder / f"out{len(results)}.png"
        assert main([*base, str(out), *options, *extra]) == 0
        results.append(imread(out).astype(int))
    assert results[0].shape == (64, 80)
    # 8-bit rounding may move a pixel by one level where BLAS rounding differs between runs
    assert all(np.abs(r - results[0]).max() <= 1 for r in results[1:])


def test_a_trained_network_is_used_from_the_command_line(noisy_files, capsys):
    from skimage.io import imread

    from skgate.models import load_default_network, save_network

    folder = noisy_files[0]
    network_file = folder / "net.npz"
    save_network(load_default_network(), network_file)
    base = ["denoise", str(folder / "noisy.png")]
    options = ["--sigma", "20", "--scales", "1", "-q"]
    assert main([*base, str(folder / "a.png"), *options, "--network", str(network_file)]) == 0
    assert main([*base, str(folder / "b.png"), *options, "--gating", "network"]) == 0
    # the shipped network, from its file or built in: the same result
    assert np.array_equal(imread(folder / "a.png"), imread(folder / "b.png"))
    argv = [*base, str(folder / "c.png"), *options, "--network", str(network_file)]
    assert main([*argv, "--gating", "exact"]) == 2
    assert "--network" in capsys.readouterr().err


def test_every_quiet_option_says_what_it_does():
    from skgate._cli import build_parser

    parser = build_parser()
    for action in parser._subparsers._group_actions:
        for command, subparser in action.choices.items():
            quiet = [a for a in subparser._actions if "-q" in a.option_strings]
            assert all(a.help and "progress" in a.help for a in quiet), command


def test_bundled_images_are_accepted_by_every_input(tmp_path, monkeypatch, capsys):
    pytest.importorskip("zarr")
    monkeypatch.chdir(tmp_path)
    assert main(["denoise", "camera", "cam.zarr", "--sigma", "20", "--gating", "network"]) == 0
    assert main(["inpaint", "camera", "filled.png", "--mask", "camera", "-q"]) == 0
    tp = ["--n-patches", "500", "--warm-up-patches", "500", "--n-components", "2", "-q"]
    assert main(["train-prior", "camera", "coins", "-o", "p.npz", *tp]) == 0
    tg = ["--n-batches", "1", "--batch-size", "200", "--max-iter", "2", "--noise-levels", "0.01"]
    assert main(["train-gating", "camera", "-o", "n.npz", *tg, "-q"]) == 0
    assert main(["info", "--image", "coins"]) == 0
    assert {"cam.zarr", "filled.png", "p.npz", "n.npz"} <= {p.name for p in tmp_path.iterdir()}


@pytest.mark.parametrize(
    ("option", "value"), [("--n-jobs", "0"), ("--tile", "4"), ("--stride", "0")]
)
def test_bad_options_are_named_and_refused_before_any_work(option, value, monkeypatch, capsys):
    monkeypatch.setattr("skgate._cli.estimate_noise_sigma", pytest.fail)  # no work may start
    assert main(["denoise", "camera", "out.png", option, value]) == 2
    err = capsys.readouterr().err
    assert option in err and "n_jobs" not in err and "tile_shape" not in err


def test_an_existing_output_is_replaced_only_with_overwrite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    imsave("old.png", np.zeros((64, 64), np.uint8), check_contrast=False)
    argv = ["denoise", "camera", "old.png", "--sigma", "20", "--gating", "network", "-q"]
    assert main(argv) == 2 and "--overwrite" in capsys.readouterr().err
    assert not imread("old.png").any()  # untouched
    assert main([*argv, "--overwrite"]) == 0 and imread("old.png").any()


def test_one_unit_for_sigma_in_the_summary(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["denoise", "camera", "out.png", "--add-noise", "25", "--gating", "network"]) == 0
    out = capsys.readouterr().out
    assert "in the file's units" in out and "GaussianNoise(sigma=" not in out
    estimated = float(out.split("estimated noise sigma: ")[1].split()[0])
    assert 20 < estimated < 32  # grey levels, as given to --add-noise


def test_the_progress_bar_says_what_it_counts():
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    from skgate._cli_support import Progress

    stream = Terminal()
    Progress("denoise", stream=stream, unit="iterations")(3, 15)
    assert "3/15 iterations" in stream.getvalue()


def test_colour_prior_and_its_network_from_the_command_line(tmp_path, capsys):
    from skgate.models import load_network

    prior_file, network_file = tmp_path / "colour.npz", tmp_path / "net.npz"
    args = ["train-prior", "astronaut", "coffee", "-o", str(prior_file), "--colour"]
    args += ["--n-patches", "2000", "--warm-up-patches", "500", "--n-components", "3"]
    assert main([*args, "--patch-size", "4", "-q"]) == 0
    prior = load_prior(prior_file)
    assert prior.n_channels == 3 and prior.n_features_in_ == 48
    assert main(["info", "--prior", str(prior_file), "--image", "coffee"]) == 0
    out = capsys.readouterr().out
    assert "3 zero-mean components over 4x4x3 patches" in out
    assert "image coffee (400, 600, 3)" in out
    args = ["train-gating", "astronaut", "-o", str(network_file), "--prior", str(prior_file)]
    args += ["--n-filters", "5", "--n-batches", "2", "--batch-size", "500", "--max-iter", "10"]
    assert main([*args, "--noise-levels", "0.01", "-q"]) == 0
    assert load_network(network_file, prior=prior).filters_.shape == (5, 48)
    noisy = tmp_path / "noisy.png"
    imsave(noisy, data.astronaut()[:64, :64])
    restored = tmp_path / "restored.png"
    command = ["denoise", str(noisy), str(restored), "--prior", str(prior_file)]
    assert main([*command, "--sigma", "10", "--network", str(network_file), "-q"]) == 0
    assert imread(restored).shape == (64, 64, 3)


def test_demosaic_from_the_command_line(tmp_path, capsys):
    from skgate import BayerMosaic

    rgb = data.astronaut()[120:152, 200:240]
    imsave(tmp_path / "rgb.png", rgb)
    raw = BayerMosaic(rgb.shape[:2], "GRBG").raw(rgb / 255.0)
    imsave(tmp_path / "raw.png", (raw * 255).round().astype(np.uint8))
    fast = ["--pattern", "GRBG", "--gating", "network", "--stride", "4"]
    simulated = tmp_path / "simulated.png"
    assert main(["demosaic", str(tmp_path / "rgb.png"), str(simulated), "--simulate", *fast]) == 0
    printed = capsys.readouterr().out
    assert "PSNR against the clean image: restored" in printed
    assert "GRBG mosaic" in printed and "3 channel(s)" in printed
    out = tmp_path / "out.png"
    assert main(["demosaic", str(tmp_path / "raw.png"), str(out), *fast, "-q"]) == 0
    restored = imread(out)
    assert restored.dtype == np.uint8 and restored.shape == rgb.shape
    np.testing.assert_array_equal(restored, imread(simulated))  # the file's mosaic is the same
    # far better than the mosaic's own values spread over their 2 x 2 cell
    cells = np.repeat(np.repeat(raw[::2, ::2, None], 2, 0), 2, 1)
    assert _psnr(rgb / 255.0, restored / 255.0) > _psnr(rgb / 255.0, cells) + 5
    # another layout gives another image: the option reached the likelihood
    other = tmp_path / "other.png"
    assert (
        main(["demosaic", str(tmp_path / "raw.png"), str(other), "--gating", "network", "-q"]) == 0
    )
    assert not np.array_equal(imread(other), restored)


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--add-noise", "5"], "--add-noise needs --simulate"),
        (["--chunks", "64"], "in memory"),
        (["--simulate"], "needs an RGB image"),
        (["--prior", "GREY"], "grey prior"),
    ],
)
def test_demosaic_mistakes_are_one_line_errors(extra, match, tmp_path, capsys):
    from skgate.models import default_prior_path

    imsave(tmp_path / "raw.png", data.camera()[:16, :16], check_contrast=False)
    extra = [str(default_prior_path()) if value == "GREY" else value for value in extra]
    assert main(["demosaic", str(tmp_path / "raw.png"), str(tmp_path / "o.png"), *extra]) == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def test_demosaic_reads_its_prior_file_once(tmp_path, monkeypatch):
    import skgate._cli as cli
    from skgate.models import default_colour_prior_path

    reads = []

    def counted(path):
        reads.append(path)
        return load_prior(path)

    monkeypatch.setattr(cli, "load_prior", counted)
    imsave(tmp_path / "rgb.png", data.astronaut()[120:136, 200:216])
    command = ["demosaic", str(tmp_path / "rgb.png"), str(tmp_path / "o.png"), "--simulate"]
    prior = str(default_colour_prior_path())
    assert main([*command, "--prior", prior, "--gating", "network", "--stride", "4", "-q"]) == 0
    assert reads == [prior]  # a colour prior takes seconds to load: once is enough


def test_demosaic_refuses_a_colour_file_without_simulate(tmp_path, capsys):
    imsave(tmp_path / "rgb.png", data.astronaut()[:16, :16])
    assert main(["demosaic", str(tmp_path / "rgb.png"), str(tmp_path / "o.png")]) == 2
    assert "a mosaic has one value per pixel" in capsys.readouterr().err
