"""``.. benchmark-table:: NAME.json``: a table written by a benchmark script (``benchmarks/*.py
--json doc/_data/NAME.json``, or every table a script prints with
``SKGATE_BENCH_JSON=doc/_data/NAME.json``; then ``:index: N`` picks the N-th), rendered as
it was measured, with the command, the machine and the date under it. The documentation's
numbers come from these files, never from a hand-typed copy."""

import json
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList

DATA = Path(__file__).parent.parent / "_data"


def _literal(text):
    """A cell as plain text: reStructuredText's markup characters escaped (a header such as
    ``max |diff|`` is not a substitution), an empty cell kept empty."""
    text = re.sub(r"([\\`*_|<>\[\]])", r"\\\1", str(text))
    return "\\" + text if text and text[0] in "-+#" else text


class BenchmarkTable(Directive):
    required_arguments = 1
    # exclude: a regular expression; rows whose first cell matches are left out (a page of
    # current results drops the superseded rows a recorded table still holds)
    option_spec = {"index": directives.nonnegative_int, "exclude": directives.unchanged}

    def run(self):
        path = DATA / self.arguments[0]
        env = self.state.document.settings.env
        env.note_dependency(str(path))
        record = json.loads(path.read_text())
        if isinstance(record, list):  # every table one script printed (SKGATE_BENCH_JSON)
            record = record[self.options.get("index", 0)]
        lines = [
            f".. list-table:: {record['title']}",
            "   :header-rows: 1",
            "",
        ]
        rows = record["rows"]
        if "exclude" in self.options:
            rows = [row for row in rows if not re.search(self.options["exclude"], row[0])]
        for row in [record["header"], *rows]:
            cells = [_literal(cell) for cell in row]
            lines.append(f"   * - {cells[0]}")
            lines.extend(f"     - {cell}" for cell in cells[1:])
        lines += [
            "",
            f"Measured with ``{record['command']}`` on {record['machine']}, {record['date']}.",
        ]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=str(path)), self.content_offset, container)
        return container.children


def setup(app):
    app.add_directive("benchmark-table", BenchmarkTable)
    return {"parallel_read_safe": True}
