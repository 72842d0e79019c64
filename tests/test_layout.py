"""The layout rules, read from the source with `ast` so that they stay true: imports run one way
(knowledge imports none of handoff, actions, ops; handoff none of actions, ops; actions no ops), no
circular imports between the project's modules, no folder over 15 Python modules, no module outside
tests over 400 lines. Every import counts, also one inside a function or under TYPE_CHECKING."""
from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOT_PROJECT = {"tests", "var", "models", "requirements"}
MAY_NOT_IMPORT = {"knowledge": {"handoff", "actions", "ops"}, "handoff": {"actions", "ops"}, "actions": {"ops"}}
MAX_MODULES_PER_FOLDER = 15
MAX_LINES = 400


def project_files() -> list[Path]:
    """The project's Python files: every folder but hidden ones (the virtual environments) and those
    that hold no code of the running system."""
    found = []
    for folder, subfolders, files in os.walk(REPO):
        here = Path(folder)
        subfolders[:] = [name for name in subfolders if not name.startswith(".") and name != "__pycache__"
                         and not (here == REPO and name in NOT_PROJECT)]
        found += [here / name for name in files if name.endswith(".py")]
    return sorted(found)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, modules: set[str]) -> Iterator[tuple[int, str]]:
    """(line, module) for every import, relative ones resolved: `from a import b` names the module a.b
    when there is one, else a; `import a.b.c` of a name inside a.b names a.b."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for name in names:
            known = name
            while known and known not in modules:
                known = known.rpartition(".")[0]
            yield node.lineno, known or name


def import_graph() -> tuple[dict[str, Path], dict[str, set[str]]]:
    files = {module_name(path): path for path in project_files()}
    graph = {name: {imported for _, imported in imported_names(path, set(files)) if imported in files} - {name}
             for name, path in files.items()}
    return files, graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for imported in sorted(graph[name]):
            if imported not in index:
                visit(imported)
                low[name] = min(low[name], low[imported])
            elif imported in stack:
                low[name] = min(low[name], index[imported])
        if low[name] == index[name]:
            component = []
            while (member := stack.pop()) != name:
                component.append(member)
            component.append(name)
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def test_imports_run_one_way() -> None:
    files, _ = import_graph()
    wrong = [
        f"{path.relative_to(REPO)}:{line} imports {imported}"
        for name, path in files.items()
        for line, imported in imported_names(path, set(files))
        if imported.split(".")[0] in MAY_NOT_IMPORT.get(name.split(".")[0], set())
    ]
    assert wrong == []


def test_no_circular_imports() -> None:
    _, graph = import_graph()
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_folder_holds_more_than_15_python_modules() -> None:
    folders: dict[Path, int] = {}
    for path in project_files():
        folders[path.parent] = folders.get(path.parent, 0) + 1
    crowded = {str(folder.relative_to(REPO)): count for folder, count in folders.items() if count > MAX_MODULES_PER_FOLDER}
    assert crowded == {}


def test_no_module_outside_tests_is_over_400_lines() -> None:
    long = {str(path.relative_to(REPO)): lines for path in project_files()
            if (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_LINES}
    assert long == {}
