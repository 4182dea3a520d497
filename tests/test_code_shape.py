"""The shape of the package's code (issue 36): short functions a reader can follow."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "drummernet"
LONGEST = 100  # lines, docstring and comments included


def test_no_function_in_the_package_is_longer_than_100_lines():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > LONGEST:
                    long.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} "
                                f"{node.name} ({lines} lines)")  # fmt: skip
    assert not long, "\n".join(long)


def _imports(path: Path, module: str, modules: set[str]) -> set[str]:
    """The package's modules that ``module`` (file ``path``) imports anywhere: at the
    top, inside functions and under ``TYPE_CHECKING``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                     for a in node.names]  # fmt: skip
        else:
            continue
        for name in names:
            while name and name not in modules:  # a name inside a module: the module
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def _modules() -> dict[str, Path]:
    """The package's modules by dotted name (a package by its own name)."""
    files = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        files[name.removesuffix(".__init__")] = path
    return files


def test_the_package_has_no_import_cycle():
    files = _modules()
    graph = {m: _imports(p, m, set(files)) for m, p in files.items()}
    cycles = []
    for start in graph:  # a path back to ``start`` through what it imports
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" -> ".join([*trail, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    assert not cycles, "\n".join(sorted(set(cycles))[:10])


def test_transcription_and_kits_stand_below_datasets_and_evaluation():
    """Re-synthesis plays one-shots through ``kits.mixing`` (not the training renders of
    ``datasets``), and kit fitting hears with ``drummernet.nmfd`` (not ``evaluation``)."""
    files = _modules()
    above = ("drummernet.datasets", "drummernet.evaluation", "drummernet.training")
    wrong = [f"{m} imports {i}" for m, p in files.items()
             if m.startswith(("drummernet.transcription", "drummernet.kits"))
             for i in _imports(p, m, set(files)) if i.startswith(above)]  # fmt: skip
    assert not wrong, "\n".join(wrong)
