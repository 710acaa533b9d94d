"""The package's own imports go one way: no import circle between modules, none between packages.

Every module of lipglance is parsed with `ast` (not imported), and every import counts: at the top, inside
functions (imported on first use) and under `if TYPE_CHECKING:` (for type hints only). Two graphs are built from
them: (a) modules, (b) packages, each module standing for its package directory (lipglance's own top-level
modules, such as lipglance/cli.py, stand for themselves). Both must be acyclic; a failure names the circle. And no
module imports a package it lives in (running back up a floor).
"""

from __future__ import annotations

import ast
from pathlib import Path

import lipglance

ROOT = Path(lipglance.__file__).resolve().parent


def module_files() -> dict[str, Path]:
    """Dotted module name -> its file, for every module of lipglance (a package by its __init__.py)."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = ("lipglance",) + path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The lipglance modules that module `name` (at `path`) imports, anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per extra dot
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            # `from package import module` imports the module; `from module import name` the module
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import a.b.c` of a name inside a module
                target = target.rpartition(".")[0]
            if target.startswith("lipglance") and target != name:
                found.add(target)
    return found


def package_of(module: str, modules: dict[str, Path]) -> str:
    """The node of `module` in the package graph: its package (a package stands for itself); lipglance's
    top-level modules stand for themselves."""
    if modules[module].name == "__init__.py" or module.count(".") == 1:
        return module
    return module.rsplit(".", 1)[0]


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of `graph` as [a, b, ..., a], or None when it has none (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def graphs() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = module_files()
    by_module = {name: imported(name, path, modules) for name, path in modules.items()}
    by_package: dict[str, set[str]] = {}
    for name, targets in by_module.items():
        here = package_of(name, modules)
        by_package.setdefault(here, set()).update(package_of(t, modules) for t in targets)
        by_package[here].discard(here)
    return by_module, by_package


def test_the_graphs_see_the_imports() -> None:
    """The parser finds top-level, in-function and TYPE_CHECKING imports, and `from package import module`."""
    by_module, by_package = graphs()
    assert "lipglance.inference.model.lipsync" in by_module["lipglance.inference"]  # TYPE_CHECKING, in a function
    assert "lipglance.inference.video.dub" in by_module["lipglance.inference"]  # `from package import module`
    assert "lipglance.inference.cli.batch_jobs" in by_module["lipglance.inference.cli.generate"]
    assert "lipglance.inference.model.protocol" in by_module["lipglance.inference.video.dub"]  # TYPE_CHECKING only
    assert "lipglance.errors" in by_module["lipglance.inference.model.lipsync"]
    assert "lipglance.inference.faces" in by_package["lipglance.inference.render"]
    assert len(by_module) > 100


def test_no_import_circle_between_modules() -> None:
    found = cycle(graphs()[0])
    assert found is None, "import circle between modules: " + " -> ".join(found or [])


def test_no_import_runs_back_up() -> None:
    """No module imports a package it lives in (that package's __init__ is a floor above it)."""
    up = sorted(f"{a} -> {t}" for a, targets in graphs()[0].items() for t in targets if a.startswith(t + "."))
    assert not up, "imports running back up: " + ", ".join(up)


def test_no_import_circle_between_packages() -> None:
    found = cycle(graphs()[1])
    assert found is None, "import circle between packages: " + " -> ".join(found or [])
