"""Atomic file writes shared by model files and images."""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def output_folder(path):
    """The folder a file ``path`` is written into; ``FileNotFoundError`` if it does not
    exist (checked before any work by the command line, and again when writing)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"output folder does not exist: {folder}")
    return folder


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path`` (same suffix, so writers pick the format from
    it); on success it replaces ``path`` in one rename, on failure it is removed. A crash
    never leaves a half-written file at ``path``."""
    path = Path(path)
    folder = output_folder(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(handle)
    try:
        yield temporary
        # mkstemp creates the file private (0600); the result is ordinary data.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
