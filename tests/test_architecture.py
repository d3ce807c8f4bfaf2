"""The package's import graph, read from its source: a DAG, with no module reaching into
another module's private names (modules private as a whole, ``_linalg`` and the like, are
there to be shared)."""

import ast
from pathlib import Path

import skgate

PACKAGE = Path(skgate.__file__).parent


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _absolute(module, is_package, node):
    """The module an ``ImportFrom`` node names, made absolute."""
    if node.level == 0:
        return node.module
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports():
    """``(importer, imported module, imported names, at module level)`` for every import of a
    skgate module inside skgate."""
    found = []
    for module, path in _modules():
        tree = ast.parse(path.read_text())
        top_level = set(map(id, tree.body))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _absolute(module, path.name == "__init__.py", node)
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                target, names = None, []
                for alias in node.names:
                    if alias.name.startswith("skgate"):
                        target = alias.name
            else:
                continue
            if target and target.split(".")[0] == "skgate":
                found.append((module, target, names, id(node) in top_level))
    return found


def _resolve(target, names, modules):
    """``from pkg import mod`` imports the module ``pkg.mod``."""
    return [f"{target}.{n}" for n in names if f"{target}.{n}" in modules] or [target]


def test_import_graph_is_a_dag():
    modules = {name for name, _ in _modules()}
    edges = {name: set() for name in modules}
    for importer, target, names, _ in _imports():
        for imported in _resolve(target, names, modules):
            if imported in modules and imported != importer:
                edges[importer].add(imported)
    # The package's __init__ imports everything; nothing may import it back.
    importers_of_root = {m for m, targets in edges.items() if "skgate" in targets}
    command_line = {"skgate.__main__", "skgate._cli", "skgate._cli_models", "skgate._cli_parser"}
    assert importers_of_root <= command_line, importers_of_root
    edges = {m: t - {"skgate"} for m, t in edges.items()}

    state, cycle = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycle.extend(stack[stack.index(nxt) :] + [node, nxt])
                return True
            if nxt not in state and visit(nxt, stack + [nxt]):
                return True
        state[node] = "done"
        return False

    for start in sorted(edges):
        if start not in state and visit(start, [start]):
            break
    assert not cycle, " -> ".join(cycle)


def test_no_import_inside_functions_except_optional_dependencies():
    late = [(m, t) for m, t, _, top in _imports() if not top]
    assert late == []


def test_no_private_names_imported_across_modules():
    offenders = []
    for importer, target, names, _ in _imports():
        private_module = any(part.startswith("_") for part in target.split("."))
        if private_module or target == importer:
            continue
        offenders += [
            (importer, target, n)
            for n in names
            if n.startswith("_") and not (n.startswith("__") and n.endswith("__"))
        ]
    assert offenders == []


def _mapped_modules():
    """The module names in the architecture page's map (its first column)."""
    import re

    page = (PACKAGE.parent / "doc" / "architecture.rst").read_text()
    table = page.split(".. the module map")[1].split("The estimators")[0]
    return {
        name
        for pair in re.findall(r"^``(\w+)``(?:, ``(\w+)``)?", table, flags=re.M)
        for name in pair
        if name
    }


def test_the_architecture_page_maps_every_module():
    modules = {name.split(".")[-1] for name, _ in _modules()} - {"skgate", "__main__"}
    assert modules == _mapped_modules()


def test_only_the_public_surface_is_public():
    """Implementation modules are private; the public ones are the package and its model
    files."""
    public = {name for name, _ in _modules() if not any(p.startswith("_") for p in name.split("."))}
    assert public == {"skgate", "skgate.models"}
    exported = {n for n in dir(skgate) if not n.startswith("_")} - {"models"}
    assert set(skgate.__all__) == exported | {"__version__"}


def test_docs_and_examples_import_only_the_public_surface():
    import re

    root = PACKAGE.parent
    texts = [*root.glob("examples/**/*.py"), *root.glob("doc/*.rst"), root / "README.md"]
    private = re.compile(r"(?:from|import)\s+skgate\._\w+|skgate\._\w+")
    offenders = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in texts
        for match in private.finditer(path.read_text())
    ]
    assert not offenders, offenders


# numpydoc's checks that make a docstring complete: a summary, every parameter documented with
# a type and a description in signature order, a Returns section, and, for the public
# functions and classes themselves, a See Also section.
NUMPYDOC_CHECKS = {"GL08", "SS01", "PR01", "PR02", "PR03", "PR04", "PR07", "RT01"}
TOP_LEVEL_CHECKS = NUMPYDOC_CHECKS | {"SA01"}


def _public_objects():
    """``(dotted name, checks)`` of every public function, class and class member."""
    import inspect

    import skgate.models

    for module in (skgate, skgate.models):
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue  # __version__, file paths: data, documented where they are listed
            yield f"{module.__name__}.{name}", TOP_LEVEL_CHECKS
            if not inspect.isclass(obj):
                continue
            for member, value in vars(obj).items():
                kinds = (property, classmethod, staticmethod)
                if member.startswith("_") or not (callable(value) or isinstance(value, kinds)):
                    continue
                own = value.fget.__doc__ if isinstance(value, property) else value.__doc__
                inherited = any(
                    getattr(getattr(base, member, None), "__doc__", None)
                    for base in obj.__mro__[1:]
                )
                if own is None and inherited:
                    continue  # an override documented by the method it overrides (autodoc)
                yield f"{module.__name__}.{name}.{member}", NUMPYDOC_CHECKS


def test_every_public_object_has_a_numpydoc_complete_docstring():
    from numpydoc.validate import validate

    problems = [
        f"{name}: {code} {message}"
        for name, checks in _public_objects()
        for code, message in validate(name)["errors"]
        if code in checks
    ]
    assert not problems, "\n".join(problems)


def test_shared_parameter_entries_are_filled_in_where_they_are_used():
    from skgate import EPLLRestorer, deblur_epll, denoise_epll
    from skgate._docstrings import parameter_entries

    restorer = parameter_entries(EPLLRestorer.__doc__)
    for function in (denoise_epll, deblur_epll):
        entries = parameter_entries(function.__doc__)
        assert entries["gating"] == restorer["gating"]
        assert entries["adapt"] == restorer["adapt"]
    assert (
        parameter_entries(deblur_epll.__doc__)["data_range"]
        == parameter_entries(EPLLRestorer.restore.__doc__)["data_range"]
    )
    documented = [obj.__doc__ or "" for name, _ in _public_objects() for obj in [_lookup(name)]]
    assert not [doc for doc in documented if ".. parameters::" in doc]


def _lookup(dotted):
    import importlib

    module, _, rest = dotted.partition(".")
    obj = importlib.import_module(module)
    for part in rest.split("."):
        obj = getattr(obj, part)
    return obj


def test_the_api_page_documents_exactly_the_public_surface():
    import re

    import skgate.models

    page = (PACKAGE.parent / "doc" / "api.rst").read_text()
    documented, module = set(), None
    for line in page.splitlines():
        if line.startswith(".. module:: "):
            module = line.split()[-1]
        elif re.fullmatch(r"   [A-Za-z_][\w.]*", line) and module:
            documented.add(f"{module}.{line.strip()}")
    public = {f"skgate.{n}" for n in skgate.__all__ if n != "__version__"}
    # a model function skgate also exports is documented once, under skgate
    public |= {f"skgate.models.{n}" for n in skgate.models.__all__ if n not in skgate.__all__}
    public = {n for n in public if callable(_lookup(n))}  # file names are data, not API pages
    assert documented == public
