"""What the benchmark scripts share: timing, PSNR, tables and the data folders.

Scripts in this folder run with it on ``sys.path`` (``python benchmarks/bench_*.py``), so they
import this module as ``_common``.
"""

import contextlib
import functools
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from skimage.color import rgb2gray
from skimage.io import imread
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

#: ``../shared/data`` beside the project root, where the benchmark images live.
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}

#: Seed of the validation protocol's noise (with the image's index and the noise level).
NOISE_SEED = 20151207  # the NIPS 2015 conference's first day


def timed(call, *args, **kwargs):
    """``call(*args, **kwargs)`` and the seconds it took."""
    tic = time.perf_counter()
    result = call(*args, **kwargs)
    return result, time.perf_counter() - tic


def psnr(clean, estimate):
    """PSNR in dB of an estimate clipped to [0, 1] (data range 1)."""
    return peak_signal_noise_ratio(clean, np.clip(estimate, 0, 1), data_range=1)


def _missing(what):
    """End the script with one line saying what is missing and how to get it."""
    sys.exit(f"{Path(sys.argv[0]).name}: {what}")


def image_files(folder):
    """The image files of ``folder``, sorted by name; a missing or empty folder ends the
    script with one line (the image sets live in ``../shared/data`` beside the project)."""
    folder = Path(folder)
    files = (
        sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if folder.is_dir()
        else []
    )
    if not files:
        _missing(
            f"no images in {folder}: the benchmarks read the image sets from ../shared/data "
            "beside the project (bsds300-train, bsds500-test200, mcmaster18, set12) or "
            "from --data DIR where a script takes it"
        )
    return files


def import_bm3d():
    """The ``bm3d`` package (the reference method), or one line saying how to install it."""
    try:
        import bm3d
    except ImportError:
        _missing('BM3D is not installed: pip install ".[bench]"')
    return bm3d


def print_table(title, header, rows, rst=False):
    """Columns right-aligned; with ``rst`` a reStructuredText simple table for the docs.

    With the environment variable ``SKGATE_BENCH_JSON`` set to a file, every table a script
    prints is also appended there (a JSON list) for the documentation's
    ``benchmark-table`` directive, so that the docs show the script's own output."""
    if os.environ.get("SKGATE_BENCH_JSON"):
        _append_table_json(os.environ["SKGATE_BENCH_JSON"], title, header, rows)
    print(f"\n{title}\n")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("=" * w for w in widths)
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    head = "  ".join(str(c).rjust(w) for c, w in zip(header, widths, strict=True))
    table = [rule, head, rule, *lines, rule] if rst else [head, *lines]
    print("\n".join(table), flush=True)


def _record(title, header, rows, command):
    import datetime
    import platform

    return {
        "title": title,
        "header": [str(c) for c in header],
        "rows": [[str(c) for c in row] for row in rows],
        "command": command,
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, {_caches()}Python "
        f"{platform.python_version()}",
        "date": datetime.date.today().isoformat(),
    }


def _caches():
    """``"L2 512K, L3 32768K, "``: the data and unified caches of the first core (Linux), or
    ``""``: speed of the memory-bound steps depends on them more than on the core count."""
    sizes = {}
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        if kind != "Instruction" and int(level) >= 2:
            sizes[f"L{level}"] = size
    return "".join(f"{level} {size}, " for level, size in sizes.items())


def _append_table_json(path, title, header, rows):
    path = Path(path)
    tables = json.loads(path.read_text()) if path.exists() else []
    command = "python " + " ".join([f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    tables.append(_record(title, header, rows, command))
    path.write_text(json.dumps(tables, indent=1) + "\n")


def write_table_json(path, title, header, rows, command):
    """The table as JSON for the documentation (``.. benchmark-table::`` in ``doc/``): the
    docs render the scripts' own output, never numbers typed by hand."""
    Path(path).write_text(json.dumps(_record(title, header, rows, command), indent=1) + "\n")


def load_image(path, colour=False):
    """A validation image in [0, 1]: RGB, or grey by :func:`skimage.color.rgb2gray`."""
    image = imread(path)
    if image.dtype == np.uint8:
        image = image / 255.0
    if colour:
        return np.asarray(image[..., :3], dtype=np.float64)
    return rgb2gray(image[..., :3]) if image.ndim == 3 else image.astype(np.float64)


def quality(clean, estimate, colour=False):
    """PSNR and SSIM of an estimate clipped to [0, 1]."""
    estimate = np.clip(estimate, 0, 1)
    ssim = structural_similarity(clean, estimate, data_range=1, channel_axis=-1 if colour else None)
    return psnr(clean, estimate), ssim


@functools.lru_cache(maxsize=4)
def cached_prior(path):
    """The prior of a model file, read once per process (configurations name it by path)."""
    from skgate.models import load_prior

    return load_prior(path)


def labelled_configs(items):
    """``{label: kwargs}`` from command-line items ``'label={"key": value, ...}'``."""
    configs = {}
    for item in items:
        label, _, text = item.partition("=")
        configs[label] = json.loads(text)
    return configs


@contextlib.contextmanager
def chroma_scale(scale):
    """``skgate._colour.CHROMA_SCALE`` set to ``scale`` for the block (``None``: left as it
    is), so that one run compares colour restorations at several chroma scales."""
    from skgate import _colour

    kept = _colour.CHROMA_SCALE
    _colour.CHROMA_SCALE = kept if scale is None else float(scale)
    try:
        yield
    finally:
        _colour.CHROMA_SCALE = kept
