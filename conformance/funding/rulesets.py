"""Funding rule sets: one versioned TOML file per campaign, shipped in ``campagnes/`` or added by an ARS.

A rule set holds every number and date the eligibility checks use, each rule with its source,
so a new campaign or a regional variant is a new file, not new code. A rule absent from the
file is not applied (and the output says so).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import InputError, Loaded, schema_errors

HERE = Path(__file__).parent
BUNDLED_DIR = HERE / "campagnes"
DEFAULT_CAMPAIGN = "amorcage-2021"
SCHEMA = json.loads((HERE / "schemas" / "campagne.schema.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: str
    title: str
    path: Path
    data: dict[str, Any]

    def rule(self, name: str) -> dict[str, Any] | None:
        return self.data["regles"].get(name)

    @property
    def amounts(self) -> dict[str, Any]:
        return self.data["montants"]

    @property
    def tranches(self) -> list[dict[str, Any]]:
        return self.data["tranches"]


def load_ruleset(path: Path) -> RuleSet:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), [f"jeu de règles illisible : {exc}"]) from None
    errors = schema_errors(Loaded(data, {}), SCHEMA)
    if not errors and sum(t["part"] for t in data["tranches"]) != 100:
        errors.append("tranches : la somme des parts doit faire 100 %")
    if errors:
        raise InputError(str(path), errors)
    return RuleSet(data["id"], data["version"], data["titre"], path, data)


def available(extra_dirs: list[Path] | None = None) -> dict[str, RuleSet]:
    """Bundled rule sets, then those of ``extra_dirs`` (an ARS's own); a later id replaces an earlier one."""
    found: dict[str, RuleSet] = {}
    for folder in [BUNDLED_DIR, *(extra_dirs or [])]:
        if not Path(folder).is_dir():
            raise FileNotFoundError(f"Dossier de jeux de règles introuvable : {folder}")
        for path in sorted(Path(folder).glob("*.toml")):
            ruleset = load_ruleset(path)
            found[ruleset.id] = ruleset
    return found


def get_ruleset(campaign: str, extra_dirs: list[Path] | None = None) -> RuleSet:
    rulesets = available(extra_dirs)
    if campaign not in rulesets:
        raise InputError(
            "campagne", [f"jeu de règles « {campaign} » inconnu (disponibles : {', '.join(sorted(rulesets))})"]
        )
    return rulesets[campaign]
