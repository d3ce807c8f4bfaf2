"""What the command line needs besides its commands: argument types, the checks that run
before any work (output paths, formats, noise levels), one-line errors and the progress bar."""

import argparse
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

from ._files import output_folder
from ._imageio import check_writable
from ._network import MAX_NOISE_VARIANCE
from ._validation import SIGMA_LIMITS

__all__ = [
    "BUNDLED_IMAGES",
    "is_bundled",
    "bundled_image",
    "image_or_path",
    "positive_int",
    "noise_levels",
    "positive_number",
    "noise_level_option",
    "file_scale",
    "check_output",
    "check_model_output",
    "OneLineParser",
    "DEVELOPER_WARNINGS",
    "one_line",
    "Progress",
    "StopSignals",
    "nonzero_int",
    "non_negative_int",
]


#: The scikit-image images every input accepts by name.
BUNDLED_IMAGES = (
    "camera",
    "astronaut",
    "coffee",
    "chelsea",
    "coins",
    "moon",
    "page",
    "text",
    "brick",
    "grass",
)


def is_bundled(name_or_path):
    """A bundled image's name, unless a file of that name exists (the file wins)."""
    return name_or_path in BUNDLED_IMAGES and not Path(name_or_path).exists()


def bundled_image(name):
    """The bundled scikit-image image ``name`` as stored (uint8, grey or colour)."""
    from skimage import data

    return getattr(data, name)()


def image_or_path(name_or_path):
    """A bundled image as an array, anything else as a path that must exist (checked before
    the minutes of work that follow, in one line)."""
    if is_bundled(name_or_path):
        return bundled_image(name_or_path)
    if not Path(name_or_path).is_file():
        bundled = ", ".join(BUNDLED_IMAGES)
        raise FileNotFoundError(
            f"no such image: {name_or_path} (a file, or a bundled image: {bundled})"
        )
    return name_or_path


def positive_int(text):
    """argparse type: an integer >= 1 (argparse names the option in its error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def nonzero_int(text):
    """argparse type: an integer other than 0 (``--n-jobs``: -1 means every core)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("must be a positive number of workers or -1 (every core)")
    return value


def non_negative_int(text):
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def noise_levels(text):
    """argparse type: comma-separated positive noise variances (images in [0, 1]), at most
    ``MAX_NOISE_VARIANCE``."""
    try:
        levels = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated numbers, got {text!r}") from None
    if not levels or not all(np.isfinite(v) and 0 < v <= MAX_NOISE_VARIANCE for v in levels):
        raise argparse.ArgumentTypeError(
            f"must be noise variances in (0, {MAX_NOISE_VARIANCE:g}] for images in [0, 1], "
            f"got {text!r}"
        )
    return levels


def check_model_output(path, overwrite=False):
    """Before training (minutes to hours): the model file can be written where asked, and
    an existing one is replaced only with ``--overwrite``."""
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"-o {path} is a directory, not a file name")
    if target.exists() and not overwrite:
        raise ValueError(f"-o {path} exists; pass --overwrite to replace it")
    folder = output_folder(target)
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"output folder is not writable: {folder}")


class Progress:
    """A one-line progress bar on stderr; silent when stderr is not a terminal or ``quiet``."""

    def __init__(self, label, quiet=False, stream=None, unit="steps"):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = not quiet and self.stream.isatty()
        self.label, self.unit, self.total, self.done = label, unit, 1, 0
        self.tic = time.perf_counter()

    def __call__(self, done, total):
        self.done, self.total = done, max(1, total)
        if self.enabled:
            width = 30
            filled = int(width * self.done / self.total)
            bar = "#" * filled + "-" * (width - filled)
            seconds = time.perf_counter() - self.tic
            self.stream.write(
                f"\r{self.label} [{bar}] {self.done}/{self.total} {self.unit} {seconds:.1f} s"
            )
            if self.done >= self.total:
                self.stream.write("\n")
            self.stream.flush()


def check_output(args):
    """Refuse to replace an existing output, the input included (unless ``--overwrite``),
    or to write into a missing folder, before any work is done."""

    source, target = Path(args.input), Path(args.output)
    if target.is_dir():
        raise ValueError(f"output {target} is a directory, not a file name")
    check_writable(target)
    output_folder(target)
    if target.exists() and not args.overwrite:
        if source.exists() and source.resolve() == target.resolve():
            raise ValueError(f"output {target} is the input; pass --overwrite to replace it")
        raise ValueError(f"output {target} exists; pass --overwrite to replace it")


def positive_number(text, name):
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {text}")
    return value


def noise_level_option(text, name, source):
    """A noise level given in the file's units, in float units, checked against the range
    the restoration can use."""
    scale = file_scale(source)
    value = positive_number(text, name)
    # Only what float64 holds is checked here: the restorer checks the level against the
    # image's own data range (an int64 image holding 0..255 takes --sigma 20).
    if not SIGMA_LIMITS[0] <= value / scale <= SIGMA_LIMITS[1]:
        raise ValueError(
            f"{name} {text} is out of range: at most {SIGMA_LIMITS[1] * scale:g} and at least "
            f"{SIGMA_LIMITS[0] * scale:g} in this file's units"
        )
    return value / scale


def file_scale(source):
    """Float units -> the file's units (255 for uint8, 65535 for uint16, 1 for float)."""
    if np.issubdtype(source.dtype, np.integer):
        return float(np.iinfo(source.dtype).max)
    return 1.0


DEVELOPER_WARNINGS = (
    DeprecationWarning,
    PendingDeprecationWarning,
    ImportWarning,
    ResourceWarning,
)


class OneLineParser(argparse.ArgumentParser):
    """argparse with its usage errors on one line (the usage itself is one ``-h`` away)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} -h)\n")


def one_line(exc):
    """The exception's first line; its type where it says nothing itself (e.g. MemoryError)
    or is not one of the usual user mistakes."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, (OSError, ValueError, TypeError)) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Interrupted(KeyboardInterrupt):
    """A catchable signal (Ctrl-C, ``kill``, a closed terminal) turned into an exception, so
    that every ``finally`` clean-up runs; ``signum`` gives the exit code ``128 + signum``."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# Signals that end a run: each one raises Interrupted where the run is, once.
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _raise_interrupted(signum, frame):
    # Further signals are ignored while the clean-up runs: a second Ctrl-C must not cut it
    # short (a temporary file left behind) nor print a traceback from inside it.
    for other in _STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(signum)


class StopSignals:
    """Install :func:`_raise_interrupted` for the run (main thread only) and put the previous
    handlers back afterwards (``main`` is also called from Python, e.g. by the tests), except
    after an interruption of the command itself (``process_exits``): a further signal then
    finds them ignored until the process has exited, instead of killing it mid-exit."""

    def __init__(self, process_exits=False):
        self.process_exits = process_exits

    def __enter__(self):
        self.saved = {}
        try:
            for signum in _STOP_SIGNALS:
                self.saved[signum] = signal.signal(signum, _raise_interrupted)
        except ValueError:  # not the main thread: signals stay as they are
            self.__exit__()
        return self

    def __exit__(self, *exc):
        interrupted = signal.getsignal(signal.SIGINT) is signal.SIG_IGN and bool(self.saved)
        if not (interrupted and self.process_exits):
            for signum, handler in self.saved.items():
                signal.signal(signum, handler)
        self.saved = {}
        return False
