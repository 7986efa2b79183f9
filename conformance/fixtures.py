"""The bundled fixture manifests: which requirement ids each synthetic file must fail.

Every ``MANIFEST.toml`` under ``fixtures/`` names its files, the services whose ids are
compared (``scope``) and the exact set of ids that must fail. The demo runs the files
flagged ``demo = true``; the end-to-end tests compare a real ``check`` run with them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Iterator

FIXTURES_DIR = Path(import_module("dui_conformance_fixtures").__file__).parent


@dataclass(frozen=True)
class ManifestEntry:
    path: Path
    description: str
    fails: frozenset[str]
    scope: tuple[str, ...]
    demo: bool

    def in_scope(self, requirement_id: str) -> bool:
        return requirement_id.split("-")[0] in self.scope


def iter_manifest(root: Path = FIXTURES_DIR) -> Iterator[ManifestEntry]:
    for manifest in sorted(root.rglob("MANIFEST.toml")):
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        scope = tuple(data.get("scope", []))
        for row in data.get("fixture", []):
            yield ManifestEntry(
                path=manifest.parent / row["file"],
                description=row.get("description", ""),
                fails=frozenset(row.get("fails", [])),
                scope=scope,
                demo=bool(row.get("demo", False)),
            )
