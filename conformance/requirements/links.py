"""From each requirement to what decides it, what proves it can fail and what tests it.

``dui-conformance requirements --couverture`` reads, for every catalogue requirement:

- ``scenarios``: the Gherkin scenarios tagged with its id (:func:`.coverage.scan_features`);
- ``decided_by``: the checks declared with ``@decides`` (:data:`dui_conformance.decides.DECIDERS`,
  ``module:function``);
- ``negative_proof``: the bundled fixtures whose ``MANIFEST.toml`` says they fail it, or leave it undecided
  for a requirement a breach never fails (repository-relative paths), and the reference DUI's defects that
  fail it (``defaut:<nom>``, ``mocks/dui/defects.py``);
- ``tests``: the test files that import the code deciding it: its module, its function (from the module or
  a package above it), or — for a test that names the id — the service package holding that module. A cheap reading
  of the source (:mod:`ast`), not a trace of what runs: a requirement no code decides yet lists no test.

Everything is handed in (registry, manifests, defects, test sources), so the computation is pure; the
CLI gathers it. A DOIT must be decided by code and proved able to fail (:meth:`RequirementLink.gaps`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .catalogue import WAVES, Catalogue
from .coverage import Coverage

DEFECT_PREFIX = "defaut:"


@dataclass(frozen=True)
class RequirementLink:
    id: str
    level: str
    service: str
    statement: str
    scenarios: tuple[str, ...]
    decided_by: tuple[str, ...]
    negative_proof: tuple[str, ...]
    tests: tuple[str, ...]
    waves: tuple[int, ...] = WAVES  # the Ségur waves that judge it: a vague-2-only DOIT needs its links all the same

    def gaps(self) -> list[str]:
        """What a DOIT lacks (French): the code that decides it, a proof that it can fail. A PEUT lacks nothing."""
        if self.level != "DOIT":
            return []
        return [
            gap
            for gap, missing in (
                ("aucun code qui la décide (@decides)", not self.decided_by),
                ("aucune preuve négative (fixture en échec ou défaut du DUI de référence)", not self.negative_proof),
            )
            if missing
        ]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "level": self.level,
            "service": self.service,
            "statement": self.statement,
            "scenarios": list(self.scenarios),
            "decided_by": list(self.decided_by),
            "negative_proof": list(self.negative_proof),
            "tests": list(self.tests),
            "vagues": list(self.waves),
        }


def negative_proofs(
    fixtures: Mapping[str, Iterable[str]], defects: Mapping[str, Iterable[str]]
) -> dict[str, list[str]]:
    """Requirement id -> its proofs: ``fixtures`` maps a fixture's path to the ids its manifest says it fails,
    ``defects`` a reference-DUI defect's name to the ids it fails."""
    proofs: dict[str, list[str]] = {}
    for path, failing in sorted(fixtures.items()):
        for requirement in failing:
            proofs.setdefault(requirement, []).append(path)
    for name, failing in defects.items():
        for requirement in failing:
            proofs.setdefault(requirement, []).append(DEFECT_PREFIX + name)
    return proofs


def read_test_sources(root: Path) -> dict[str, str]:
    """The sources of ``tests/**/test_*.py`` under a source checkout ``root``, by repository-relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted((root / "tests").rglob("test_*.py"))
    }


def _imports(source: str) -> set[str]:
    """Dotted names a test imports: ``import a.b`` gives ``a.b``; ``from a.b import c`` gives ``a.b`` and ``a.b.c``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _exercises(imported: set[str], decider: str, named: bool) -> bool:
    """The test imports the deciding module, or its function from the module or a package above it
    (``from dui_conformance.ins import check_nir_traits``), or — when it names the id — the service package that
    holds it (``dui_conformance.cda``; never the library as a whole)."""
    module, function = decider.split(":")
    package = module.rpartition(".")[0]
    parts = module.split(".")
    return (
        module in imported
        or any(f"{'.'.join(parts[:n])}.{function.split('.')[0]}" in imported for n in range(1, len(parts) + 1))
        or (named and "." in package and any(name == package or name.startswith(package + ".") for name in imported))
    )


def exercising_tests(
    tests: Mapping[str, str], ids: Iterable[str], deciders: Mapping[str, Iterable[str]]
) -> dict[str, list[str]]:
    """Requirement id -> the test files (``tests``: path -> source) that exercise the code deciding it."""
    imported = {path: _imports(source) for path, source in tests.items()}
    out: dict[str, list[str]] = {}
    for requirement in ids:
        pattern = re.compile(rf"\b{re.escape(requirement)}\b")
        out[requirement] = [
            path
            for path, source in sorted(tests.items())
            if any(
                _exercises(imported[path], decider, bool(pattern.search(source)))
                for decider in deciders.get(requirement, ())
            )
        ]
    return out


def link_requirements(
    catalogue: Catalogue,
    coverage: Coverage,
    deciders: Mapping[str, Iterable[str]],
    proofs: Mapping[str, Iterable[str]],
    tests: Mapping[str, Iterable[str]],
) -> list[RequirementLink]:
    """One :class:`RequirementLink` per catalogue requirement, in catalogue order."""
    return [
        RequirementLink(
            id=req.id,
            level=req.level,
            service=req.service,
            statement=req.statement,
            scenarios=tuple(coverage.scenarios_by_requirement.get(req.id, ())),
            decided_by=tuple(deciders.get(req.id, ())),
            negative_proof=tuple(proofs.get(req.id, ())),
            tests=tuple(tests.get(req.id, ())),
            waves=req.waves,
        )
        for req in catalogue
    ]


def undeclared(catalogue: Catalogue, deciders: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Ids declared by ``@decides`` that the catalogue does not know, with the checks that declare them."""
    return {rid: list(names) for rid, names in sorted(deciders.items()) if rid not in catalogue}
