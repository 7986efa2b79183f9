"""The layers of the installed package, read from every module's imports (``ast``, nothing imported).

Leaf utilities at the bottom import nothing but other leaves; the library never imports the mocks or
the plan (except the live environment, the one seam where it starts the mocks and hands them to the
direct-mode modules, and the CLI); the mocks import the library, never the plan; no two modules import each
other, even through others; and no module hides a cycle in an import inside a function (only the CLI and
the runner import on demand, to start fast).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
ROOTS = {  # as setup.py maps the repository's folders to the one installed package
    "dui_conformance": "conformance",
    "dui_conformance.features": "features",
    "dui_conformance.mocks": "mocks",
    "dui_conformance.fixtures": "fixtures",
}
LIBRARY_EXCLUDED = ("dui_conformance.features", "dui_conformance.mocks", "dui_conformance.fixtures")
LEAVES = {
    f"dui_conformance.{name}"
    for name in ("model", "settings", "decides", "redact", "xmlsafe", "safezip", "files", "run_checks", "exchanges")
}
LAZY_ALLOWED = {"dui_conformance.cli", "dui_conformance.runner"}  # start-up time
LIBRARY_SEAMS = {"dui_conformance.cli", "dui_conformance.live.environment"}  # start the mocks, run the demo


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported (a submodule when ``from package import submodule``)
    line: int
    in_function: bool
    type_checking: bool

    def __str__(self) -> str:
        return f"{self.module} (ligne {self.line}) → {self.target}"


def _modules() -> dict[str, tuple[Path, bool]]:
    """Module name → (file, whether it is a package's ``__init__``)."""
    found = {}
    for package, folder in ROOTS.items():
        for path in sorted((REPOSITORY / folder).rglob("*.py")):
            parts = list(path.relative_to(REPOSITORY / folder).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join([package, *(parts[:-1] if is_package else parts)])] = (path, is_package)
    return found


MODULES = _modules()


def _known(name: str) -> str | None:
    """The module ``name`` is, or lives in (``package.attribute``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".")[: len(module.split(".")) + (1 if is_package else 0) - node.level]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    return [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names]


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports_of(module: str, path: Path, is_package: bool) -> list[Import]:
    """Every import of another ``dui_conformance`` module in ``module``, wherever it stands."""
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in _targets(module, is_package, child):
                    known = _known(target) if target.startswith("dui_conformance") else None
                    if known is not None and known != module:
                        found.append(Import(module, known, child.lineno, in_function, type_checking))
            else:
                function = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                visit(child, function, type_checking or _is_type_checking(child))

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False, False)
    return list(dict.fromkeys(found))  # ``from m import a, b``: m once


IMPORTS = [i for module, (path, is_package) in MODULES.items() for i in _imports_of(module, path, is_package)]


def _in(module: str, packages: tuple[str, ...] | str) -> bool:
    return any(
        module == p or module.startswith(p + ".") for p in ((packages,) if isinstance(packages, str) else packages)
    )


def _library(module: str) -> bool:
    return not _in(module, LIBRARY_EXCLUDED)


def test_every_module_is_read():
    assert {"dui_conformance.runner", "dui_conformance.mocks.dui.app", "dui_conformance.features.steps"} <= set(MODULES)
    assert LEAVES | LAZY_ALLOWED | LIBRARY_SEAMS <= set(MODULES)
    assert any(i.in_function for i in IMPORTS) and any(i.type_checking for i in IMPORTS)


def test_only_the_cli_and_the_runner_import_inside_a_function():
    lazy = [str(i) for i in IMPORTS if i.in_function and i.module not in LAZY_ALLOWED]
    assert lazy == [], "imports dans une fonction (à remonter en tête de module) :\n" + "\n".join(lazy)


def _upward(i: Import) -> bool:
    return _library(i.module) and _in(i.target, ("dui_conformance.mocks", "dui_conformance.features"))


def test_the_library_never_imports_the_mocks_or_the_plan():
    upward = [str(i) for i in IMPORTS if _upward(i) and i.module not in LIBRARY_SEAMS]
    assert upward == [], "la bibliothèque importe les simulateurs ou le plan :\n" + "\n".join(upward)


def test_the_mocks_import_the_library_only():
    wrong = [
        str(i)
        for i in IMPORTS
        if _in(i.module, "dui_conformance.mocks") and not (_library(i.target) or _in(i.target, "dui_conformance.mocks"))
    ]
    assert wrong == [], "les simulateurs importent autre chose que la bibliothèque :\n" + "\n".join(wrong)


def test_leaves_import_only_leaves():
    wrong = [str(i) for i in IMPORTS if i.module in LEAVES and i.target not in LEAVES]
    assert wrong == [], "un module feuille importe un module plus haut :\n" + "\n".join(wrong)


def _edges() -> dict[str, set[str]]:
    """What importing each module runs first, at its top level: every module it imports, and the packages
    above them (``__init__``) that are not its own."""
    edges: dict[str, set[str]] = {module: set() for module in MODULES}
    for i in IMPORTS:
        if i.in_function or i.type_checking:
            continue
        parts = i.target.split(".")
        for n in range(1, len(parts) + 1):
            ran = ".".join(parts[:n])
            if ran in MODULES and ran != i.module and not i.module.startswith(ran + "."):
                edges[i.module].add(ran)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle():
    cycles = _cycles(_edges())
    assert cycles == [], "modules qui s'importent mutuellement :\n" + "\n".join(" ↔ ".join(c) for c in cycles)


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
