"""Every measured number lives in the benchmark tables of the documentation: docstrings and
the command-line help state trade-offs in words and point to the tables (issue: one source
for every number). A measured dB or seconds figure typed into a docstring drifts from the
tables the next time a default changes."""

import inspect
import pkgutil
import re

import pytest

import skgate
from skgate._cli import build_parser

# "0.2 dB", "+0.07 dB", "3.4 s", "12 seconds", "0.5 ms", "9x faster", "4 times the time"
_NUMBER = r"(?:(?<![\w.])[-+]?\d+(?:\.\d+)?|\b(?:two|three|four|five|six|seven|eight|nine|ten))"
MEASURED = re.compile(
    rf"{_NUMBER}\s*(?:dB|ms|s|sec|seconds?)\b|{_NUMBER}\s*(?:x|times)\s+(?:faster|slower|the time)"
)


def _docstrings():
    for module_info in pkgutil.walk_packages(skgate.__path__, "skgate."):
        if module_info.name.endswith("__main__"):  # runs the command line on import
            continue
        module = __import__(module_info.name, fromlist=["_"])
        yield module_info.name, inspect.getdoc(module) or ""
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{module.__name__}.{name}", inspect.getdoc(obj) or ""
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if callable(member) or isinstance(member, (classmethod, staticmethod)):
                        doc = inspect.getdoc(member) or ""
                        yield f"{module.__name__}.{name}.{attr}", doc


def _help_texts():
    parser = build_parser()
    yield "skgate", parser.format_help()
    for action in parser._subparsers._group_actions:
        for command, subparser in action.choices.items():
            yield f"skgate {command}", subparser.format_help()


@pytest.mark.parametrize("source", ["docstrings", "help"])
def test_no_docstring_or_help_text_carries_a_measured_figure(source):
    texts = _docstrings() if source == "docstrings" else _help_texts()
    offenders = [
        f"{where}: {match.group(0)!r}" for where, text in texts for match in MEASURED.finditer(text)
    ]
    assert not offenders, "\n".join(offenders)


def _site_texts():
    """The hand-written pages of the site, the changelog (a page of it) and the README."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path in sorted((root / "doc").glob("*.rst")):
        if path.name != "sg_execution_times.rst":  # sphinx-gallery's own output
            yield path.name, path.read_text()
    for name in ("CHANGELOG.md", "README.md"):
        yield name, (root / name).read_text()
    for path in sorted((root / "examples").rglob("*.py")):  # the gallery's prose
        yield path.name, path.read_text()


def test_pages_carry_no_typed_measurement():
    # Measured numbers reach the site only through the benchmark-table directive (JSON
    # written by the benchmark scripts) and the gallery's own printed output.
    offenders = [
        f"{where}: {match.group(0)!r}"
        for where, text in _site_texts()
        for match in MEASURED.finditer(text)
    ]
    assert not offenders, "\n".join(offenders)


def test_the_site_check_says_what_to_install_without_chromium(monkeypatch):
    import importlib.util
    import shutil
    from pathlib import Path

    path = Path(skgate.__file__).parents[1] / "doc" / "check_site.py"
    spec = importlib.util.spec_from_file_location("check_site", path)
    check_site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_site)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SystemExit) as stop:
        check_site.browser(1400)
    assert "apt install chromium chromium-driver" in str(stop.value)
