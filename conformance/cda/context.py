"""What the CDA layers need besides the document: value sets, document models, the official referential.

Value sets come from the built-in lists (``valuesets.json``, generated from the CI-SIS SVS files by
``scripts/generate_value_sets.py``; header bindings in ``codes.toml``) unless a folder of SVS files is
given, whose sets then replace them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .official import OfficialReferential
from .valuesets import ValueSet, builtin_value_sets, load_value_sets


@dataclass(frozen=True)
class Binding:
    """A header element whose code must belong to a value set (data from codes.toml)."""

    requirement: str
    xpath: str
    value_set: str
    label: str


def _read_toml(name: str) -> dict:
    return tomllib.loads((resources.files(__package__) / name).read_text(encoding="utf-8"))


def builtin_bindings() -> list[Binding]:
    return [Binding(**row) for row in _read_toml("codes.toml")["binding"]]


def load_models() -> list[dict]:
    return _read_toml("models.toml")["model"]


@dataclass
class CdaContext:
    """Everything a layer reads besides the document; build once per run."""

    value_sets: dict[str, ValueSet]
    bindings: list[Binding]
    models: list[dict]
    value_set_dir: Path | None = None
    value_set_problems: list[str] = field(default_factory=list)
    referential: OfficialReferential | None = None
    referential_required: bool = False  # homologation: a missing referential is « données insuffisantes »

    @classmethod
    def build(
        cls,
        value_set_dir: str | Path | None = None,
        referential_dir: str | Path | None = None,
        cache_dir: str | Path | None = None,
        referential_required: bool = False,
    ) -> CdaContext:
        sets = builtin_value_sets()
        problems: list[str] = []
        if value_set_dir is not None:
            loaded, problems = load_value_sets(value_set_dir)
            sets.update(loaded)
        referential = None
        if referential_dir is not None:
            referential = OfficialReferential(referential_dir, cache_dir=cache_dir)
        return cls(
            sets,
            builtin_bindings(),
            load_models(),
            Path(value_set_dir) if value_set_dir else None,
            problems,
            referential,
            referential_required,
        )
