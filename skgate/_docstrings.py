"""Parameter descriptions written once: the functions take most of their parameters from
:class:`~skgate.EPLLRestorer` and its ``restore``, so their docstrings copy those entries at
import time instead of repeating them (and drifting from them)."""

import inspect
import re

__all__ = ["parameter_entries", "shares_parameters"]

# A docstring line ``.. parameters:: a b c`` stands for the entries of a, b and c.
_MARKER = re.compile(r"^(?P<indent>\s*)\.\. parameters:: (?P<names>.+)$")


def parameter_entries(docstring):
    """The Parameters section of a numpydoc ``docstring`` as ``{name: lines}``, each entry
    its ``name : type`` line and description, without the common indentation."""
    lines = inspect.cleandoc(docstring).splitlines()
    start = lines.index("Parameters") + 2
    entries, name = {}, None
    for line, following in zip(lines[start:], lines[start + 1 :] + [""], strict=True):
        if following.startswith("---"):
            break  # the next section's title
        if line and not line[0].isspace():
            name = line.split(" : ")[0].strip()
            entries[name] = []
        if name is not None:
            entries[name].append(line)
    return {name: "\n".join(body).rstrip() for name, body in entries.items()}


def shares_parameters(*sources):
    """Decorator: fill each ``.. parameters:: names`` line of the function's docstring with
    those parameters' entries in the docstrings of ``sources`` (the first that has each)."""
    entries = {}
    for source in reversed(sources):
        entries.update(parameter_entries(source.__doc__))

    def fill(line):
        match = _MARKER.match(line)
        if not match:
            return line
        indent = match["indent"]
        blocks = [entries[name] for name in match["names"].split()]
        return "\n".join(indent + row if row else row for b in blocks for row in b.splitlines())

    def decorate(function):
        function.__doc__ = "\n".join(map(fill, function.__doc__.splitlines()))
        return function

    return decorate
