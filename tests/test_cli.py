import subprocess
import sys

import numpy as np
import pytest
from skimage.io import imsave

from skgate.cli import main
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
    ],
)
def test_user_mistakes_are_one_line_errors(argv, match, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "skgate", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("skgate ")
