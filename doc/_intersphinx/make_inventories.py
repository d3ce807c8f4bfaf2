"""Write the intersphinx inventories of numpy and joblib from the installed packages.

The documentation builds offline, so ``conf.py`` reads every project's inventory from this
folder rather than from the web. scipy, scikit-learn, scikit-image and dask publish theirs
in Debian's ``python-*-doc`` packages (copied here as ``scipy.inv`` etc., from
``/usr/share/doc/python-*-doc/html/objects.inv``); numpy and joblib have no such package, so
this script lists their public functions and classes with the URL layout of their sites:

    python doc/_intersphinx/make_inventories.py
"""

import inspect
import zlib
from pathlib import Path

import joblib
import numpy as np

HERE = Path(__file__).parent


def _public(module, prefix):
    """``(full name, role)`` of the public functions and classes of ``module``."""
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        obj = getattr(module, name)
        if inspect.isclass(obj):
            yield f"{prefix}.{name}", "class"
        elif callable(obj):
            yield f"{prefix}.{name}", "function"


def _write(path, project, version, entries):
    lines = [f"{name} py:{role} 1 {uri} -" for name, role, uri in sorted(set(entries), key=str)]
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    body = zlib.compress(("\n".join(lines) + "\n").encode())
    path.write_bytes(header.encode() + body)
    print(f"{path.name}: {len(lines)} entries")


def numpy_entries():
    for module, prefix in [
        (np, "numpy"),
        (np.random, "numpy.random"),
        (np.linalg, "numpy.linalg"),
        (np.fft, "numpy.fft"),
        (np.lib.stride_tricks, "numpy.lib.stride_tricks"),
    ]:
        for name, role in _public(module, prefix):
            yield name, role, f"reference/generated/{name}.html#$"
    yield "numpy.typing.ArrayLike", "data", "reference/typing.html#numpy.typing.ArrayLike"
    yield "numpy.typing.NDArray", "data", "reference/typing.html#numpy.typing.NDArray"


def joblib_entries():
    for name, role in _public(joblib, "joblib"):
        yield name, role, f"generated/{name}.html#$"


if __name__ == "__main__":
    _write(HERE / "numpy.inv", "NumPy", np.__version__, numpy_entries())
    _write(HERE / "joblib.inv", "joblib", joblib.__version__, joblib_entries())
