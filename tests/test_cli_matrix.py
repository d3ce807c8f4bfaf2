"""The hostile-input matrix over the command line (doc/robustness.rst counts it).

Every case must end with exit code 2 and exactly one line on stderr that names the option or
file at fault: no traceback, and no file left behind (neither the output nor a temporary).
Runs that succeed must write the input's own sample type.
"""

import json

import numpy as np
import pytest
import tifffile
from skimage import data
from skimage.io import imsave

from skgate import _cli
from skgate._cli import main
from skgate.models import default_prior_path, load_default_network, save_network


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    grey = data.camera()[200:264, 200:264]
    imsave(root / "g.png", grey)
    imsave(root / "g16.png", grey.astype(np.uint16) * 257)
    imsave(root / "tiny.png", grey[:4, :4])
    imsave(root / "colour.png", data.astronaut()[:64, :64])
    imsave(root / "mask.png", (np.arange(64 * 64).reshape(64, 64) % 3 == 0).astype(np.uint8) * 255)
    imsave(root / "mask_small.png", np.zeros((10, 10), np.uint8))
    imsave(root / "mask_white.png", np.full((64, 64), 255, np.uint8), check_contrast=False)
    tifffile.imwrite(root / "i16.tif", (grey.astype(np.int16) - 128) * 200)
    tifffile.imwrite(root / "u32.tif", grey.astype(np.uint32) * 10_000_000)
    tifffile.imwrite(root / "f32.tif", grey.astype(np.float32) / 255 * 2 - 0.5)
    tifffile.imwrite(root / "huge.tif", np.full((64, 64), 3e38, np.float32))
    tifffile.imwrite(root / "bool.tif", grey > 128)
    (root / "garbage.png").write_bytes(b"not an image at all")
    (root / "empty.png").write_bytes(b"")
    (root / "notes.txt").write_text("hello")
    (root / "adir").mkdir()
    imsave(root / "exists.png", grey)
    (root / "exists.npz").write_bytes(b"an earlier model")
    np.save(root / "k3d.npy", np.ones((3, 3, 3)))
    np.save(root / "knan.npy", np.full((3, 3), np.nan))
    np.save(root / "kzero.npy", np.array([[1.0, -1.0]]))
    np.save(root / "kobject.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(root / "kbig.npy", np.ones((100, 100)) / 1e4)
    np.save(root / "model.npy", np.zeros(3))
    save_network(load_default_network(), root / "network.npz")
    with np.load(default_prior_path(), allow_pickle=False) as archive:
        prior_arrays = {key: archive[key] for key in archive.files}
    np.savez(root / "list_meta.npz", **{**prior_arrays, "metadata": np.array(json.dumps([1]))})
    return root


def _bad_values(option):
    return [
        (f"{option} {value}", [option, value])
        for value in ("0", "-1", "nan", "inf", "abc", "1e300", "1e-300", "", "1,2")
    ]


D = ["denoise", "g.png", "out.png"]
B = ["deblur", "g.png", "out.png", "--kernel", "gaussian:1"]
I = ["inpaint", "g.png", "out.png", "--mask", "mask.png"]
TP = ["train-prior", "g.png", "-o", "p.npz", "--n-patches", "500", "--n-components", "2"]
TG = ["train-gating", "g.png", "-o", "n.npz", "--n-batches", "1", "--batch-size", "100"]

CASES = []
CASES += [(f"denoise {name}", [*D, *argv], "sigma") for name, argv in _bad_values("--sigma")]
CASES += [
    (f"denoise {name}", [*D, "--sigma", "20", *argv], "add-noise")
    for name, argv in _bad_values("--add-noise")
]
CASES += [(f"deblur {name}", [*B, *argv], "sigma") for name, argv in _bad_values("--sigma")]
for option, values in {
    "--stride": ["0", "-1", "9", "abc", "1.5"],
    "--tile": ["0", "-1", "1", "abc"],
    "--n-jobs": ["0", "abc"],
    "--scales": ["0", "-1", "abc"],
    "--adapt": ["-1", "abc"],
    "--gating": ["fast"],
    "--second-stage": ["global", "1"],
    "--backend": ["gpu"],
}.items():
    name = option.lstrip("-").replace("-", "_")
    words = f"{option}|{name}|stride|tile|scales|adapt|second.stage"
    CASES += [(f"denoise {option} {v}", [*D, "--sigma", "20", option, v], words) for v in values]
CASES += [
    ("missing input", ["denoise", "nothere.png", "out.png"], "nothere"),
    ("garbage input", ["denoise", "garbage.png", "out.png"], "garbage"),
    ("empty input", ["denoise", "empty.png", "out.png"], "empty"),
    ("text input", ["denoise", "notes.txt", "out.png"], "notes"),
    ("directory input", ["denoise", "adir", "out.png"], "adir"),
    ("tiny input", ["denoise", "tiny.png", "out.png", "--sigma", "20"], "smaller|8x8"),
    ("float32 near max", ["denoise", "huge.tif", "out.tif", "--sigma", "1"], "image"),
    ("output is a directory", ["denoise", "g.png", "adir"], "adir"),
    ("output folder missing", ["denoise", "g.png", "no/out.png"], "no"),
    ("output extension unknown", ["denoise", "g.png", "out.xyz"], "out.xyz"),
    ("output without extension", ["denoise", "g.png", "out"], "out"),
    ("output is the input", ["denoise", "g.png", "g.png"], "overwrite"),
    ("output exists", ["denoise", "g.png", "exists.png"], "exists.png.*--overwrite"),
    ("bundled name misspelt", ["denoise", "cameraa", "out.png"], "cameraa"),
    ("--tile below the patch size", [*D, "--tile", "4"], "--tile 4"),
    ("int16 into PNG", ["denoise", "i16.tif", "out.png", "--sigma", "20"], "int16"),
    ("uint32 into JPEG", ["denoise", "u32.tif", "out.jpg", "--sigma", "20"], "uint32"),
    ("uint32 into PNG", ["denoise", "u32.tif", "out.png", "--sigma", "20"], "uint32"),
    ("float beyond [0, 1] into PNG", ["denoise", "f32.tif", "out.png", "--sigma", "0.1"], "float"),
    ("16-bit into JPEG", ["denoise", "g16.png", "out.jpg", "--sigma", "20"], "uint16"),
    ("bilevel image", ["denoise", "bool.tif", "out.tif", "--sigma", "0.1"], "bool"),
    ("PNG with --chunks", ["denoise", "g.png", "out.zarr", "--chunks", "64"], "zarr"),
    ("zarr output of a missing store", ["denoise", "none.zarr", "out.zarr"], "none.zarr"),
    ("chunked output as PNG", ["denoise", "g.png", "out.png", "--chunks", "64"], "out.png"),
    ("--chunks 0", ["denoise", "g.png", "out.tif", "--chunks", "0"], "--chunks"),
]
CASES += [
    (f"deblur --kernel {spec}", ["deblur", "g.png", "out.png", "--kernel", spec], words)
    for spec, words in [
        ("gaussian:abc", "kernel"),
        ("gaussian:-1", "std"),
        ("gaussian:1e6", "std"),
        ("motion:1e9", "length"),
        ("motion:1,2,3", "kernel"),
        ("foo:1", "kernel"),
        ("missing.npy", "missing"),
        ("k3d.npy", "kernel"),
        ("knan.npy", "kernel"),
        ("kzero.npy", "kernel"),
        ("kobject.npy", "kobject|pickle|kernel"),
        ("kbig.npy", "kernel"),
        ("gaussian:50", "kernel"),
    ]
]
CASES += [
    (f"inpaint --mask {mask}", ["inpaint", "g.png", "out.png", "--mask", mask], words)
    for mask, words in [
        ("nothere.png", "nothere"),
        ("garbage.png", "garbage"),
        ("mask_small.png", "mask"),
        ("mask_white.png", "mask"),
        ("notes.txt", "notes"),
    ]
]
CASES += [
    ("train-prior -o missing folder", [*TP[:2], "-o", "no/p.npz", *TP[4:]], "no"),
    ("train-prior -o directory", [*TP[:2], "-o", "adir", *TP[4:]], "adir"),
    ("train-prior missing image", ["train-prior", "nothere.png", *TP[2:]], "nothere"),
    ("train-prior garbage image", ["train-prior", "garbage.png", *TP[2:]], "garbage"),
    ("train-prior -o exists", [*TP[:2], "-o", "exists.npz", *TP[4:]], "--overwrite"),
    ("train-prior bundled name misspelt", ["train-prior", "coin", *TP[2:]], "coin"),
    ("train-gating missing image", ["train-gating", "nothere.png", *TG[2:]], "nothere"),
    ("train-gating -o exists", [*TG[:2], "-o", "exists.npz", *TG[4:]], "--overwrite"),
]
for option, values in {
    "--n-patches": ["0", "-1", "abc", "1000000000000"],
    "--n-components": ["0", "abc"],
    "--patch-size": ["0", "-3"],
    "--max-iter": ["0"],
    "--warm-up-patches": ["0"],
}.items():
    name = option.lstrip("-").replace("-", "_")
    CASES += [(f"train-prior {option} {v}", [*TP, option, v], f"{option}|{name}") for v in values]
for option, values in {
    "--n-batches": ["0", "abc"],
    "--batch-size": ["0", "-5"],
    "--n-filters": ["0"],
    "--max-iter": ["0"],
    "--noise-levels": ["a,b", "-1", "nan", "0"],
}.items():
    CASES += [(f"train-gating {option} {v}", [*TG, option, v], option) for v in values]
CASES += [
    ("train-gating --prior missing", [*TG, "--prior", "nothere.npz"], "nothere"),
    ("train-gating --prior garbage", [*TG, "--prior", "garbage.png"], "garbage"),
    ("train-gating -o directory", [*TG[:2], "-o", "adir", *TG[4:]], "adir"),
    ("info --prior missing", ["info", "--prior", "nothere.npz"], "nothere"),
    ("info --prior .npy", ["info", "--prior", "model.npy"], "npy"),
    ("info --prior JSON list metadata", ["info", "--prior", "list_meta.npz"], "metadata"),
    ("info --prior garbage", ["info", "--prior", "garbage.png"], "garbage"),
    ("info --prior a network", ["info", "--prior", "network.npz"], "GatingNetwork"),
    ("info --image missing", ["info", "--image", "nothere.png"], "nothere"),
    ("info --image garbage", ["info", "--image", "garbage.png"], "garbage"),
    ("no command", [], "command"),
    ("unknown command", ["sharpen"], "sharpen"),
    ("unknown option", [*D, "--fast"], "--fast"),
]


def _files(folder):
    return sorted(p.name for p in folder.rglob("*"))


@pytest.mark.parametrize("case", CASES, ids=[name for name, *_ in CASES])
def test_no_input_gives_a_traceback_or_leaves_a_file(case, folder, capsys, monkeypatch):
    name, argv, words = case
    monkeypatch.chdir(folder)
    before = _files(folder)
    code = main(argv)  # argparse's own errors included
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert __import__("re").search(words, err), err
    assert _files(folder) == before  # no output, no temporary file


def test_the_cli_matrix_is_as_large_as_documented():
    assert len(CASES) >= 100  # doc/robustness.rst quotes the count


@pytest.mark.parametrize(
    ("source", "target", "dtype"),
    [
        ("i16.tif", "o_i16.tif", np.int16),
        ("u32.tif", "o_u32.tif", np.uint32),
        ("f32.tif", "o_f32.tif", np.float32),
        ("g16.png", "o_g16.png", np.uint16),
        ("g.png", "o_g.png", np.uint8),
    ],
)
def test_outputs_keep_the_inputs_sample_type_and_range(source, target, dtype, folder, monkeypatch):
    from skimage.io import imread

    monkeypatch.chdir(folder)
    top = np.iinfo(dtype).max if np.issubdtype(dtype, np.integer) else 1.0
    tiny = f"{1e-5 * top:g}"  # a noise level of 1e-5 of the file's range
    argv = ["denoise", source, target, "--sigma", tiny, "--gating", "network", "-q"]
    assert main([*argv, "--scales", "1"]) == 0
    written, original = imread(target), imread(source)
    assert written.dtype == dtype and written.shape == original.shape
    # at a negligible noise level the result is the input: nothing clipped or rescaled
    spread = float(original.max()) - float(original.min())
    assert np.abs(written.astype(float) - original.astype(float)).max() <= 0.02 * spread
    if dtype == np.int16:
        assert written.min() < 0  # negatives survive


def test_ctrl_c_is_one_line_and_exit_130(folder, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(folder)
    monkeypatch.setattr(_cli.EPLLRestorer, "restore", interrupted)
    before = _files(folder)
    assert main(["denoise", "g.png", "out.png", "--sigma", "20"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "skgate denoise: interrupted"
    assert _files(folder) == before


def test_an_unexpected_error_is_one_line_with_its_type(folder, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise MemoryError

    monkeypatch.chdir(folder)
    monkeypatch.setattr(_cli.EPLLRestorer, "restore", broken)
    assert main(["denoise", "g.png", "out.png", "--sigma", "20"]) == 2
    assert capsys.readouterr().err.strip() == "skgate denoise: error: MemoryError"
    monkeypatch.setenv("SKGATE_TRACEBACK", "1")
    with pytest.raises(MemoryError):
        main(["denoise", "g.png", "out.png", "--sigma", "20"])


def test_warnings_are_one_line_too(folder, capfd, monkeypatch):
    monkeypatch.chdir(folder)
    # 1000 grey levels on an 8-bit image: beyond its whole range, a mistake worth a warning
    assert main(["denoise", "g.png", "o_warn.png", "--sigma", "1000", "-q", "--scales", "1"]) == 0
    err = capfd.readouterr().err
    assert err.startswith("skgate denoise: warning: sigma=")
    assert len(err.strip().splitlines()) == 1
