"""Funding rule sets: one versioned TOML file per campaign, shipped in ``campagnes/`` or added by an ARS.

A rule set holds every number and date the eligibility checks use. Each rule quotes the sentence it
rests on (``citation``, word for word) or summarises a public page (``resume``), with the document's
title, so that the output can show the reader where a rule comes from. What no source fixes is a
*parameter* (``[parametres]``): an ARS fills it in with ``--parametres``, and the output lists every
parameter an evaluation used, filled in or not. Regional variants (``[regions."Occitanie".…]``)
replace a rule's values for the clusters of that region. A rule absent from the file is not applied
(and the output says so).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .files import InputError, Loaded, schema_errors

HERE = Path(__file__).parent
BUNDLED_DIR = HERE / "campagnes"
DEFAULT_CAMPAIGN = "amorcage-2021"
SCHEMA = json.loads((HERE / "schemas" / "campagne.schema.json").read_text(encoding="utf-8"))
# Parameters an ARS fills in: what its file looks like (the values are checked against each parameter's type).
PARAMETERS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["source", "valeurs"],
    "properties": {
        "source": {"type": "string", "minLength": 3},
        "valeurs": {"type": "object", "minProperties": 1, "additionalProperties": {"type": "number", "minimum": 0}},
    },
}


@dataclass(frozen=True)
class Parameter:
    """A value no source fixes: empty until an ARS fills it in; a pre-filled value is shown unverified."""

    name: str
    label: str
    kind: str  # euros | nombre | part
    why: str
    value: float | None
    origin: str | None  # where the value comes from: a document title, or the ARS's own file
    filled_by_ars: bool = False

    @property
    def status(self) -> str:
        if self.value is None:
            return "a_renseigner"
        return "renseigne" if self.filled_by_ars else "non_verifie"

    def to_dict(self) -> dict[str, Any]:
        return {
            "nom": self.name,
            "libelle": self.label,
            "type": self.kind,
            "valeur": self.value,
            "statut": self.status,
            "origine": self.origin,
            "pourquoi": self.why,
        }


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: str
    title: str
    path: Path
    data: dict[str, Any]
    parameters: dict[str, Parameter]

    def rule(self, name: str, region: str | None = None) -> dict[str, Any] | None:
        """The rule's values, those of ``region``'s override replacing them (citations added, not replaced)."""
        base = self.data["regles"].get(name)
        override = self.data.get("regions", {}).get(region, {}).get(name) if region else None
        if base is None or override is None:
            return base
        return {**base, **override, "citations": base["citations"] + override["citations"], "region": region}

    def value(self, name: str) -> float | None:
        """A sourced amount of ``[montants]``, else the parameter's value (None: not filled in)."""
        amounts = self.data.get("montants", {})
        if name in amounts:
            return amounts[name]
        return self.parameters[name].value if name in self.parameters else None

    def defines(self, name: str) -> bool:
        return name in self.data.get("montants", {}) or name in self.parameters

    @property
    def tranches(self) -> list[dict[str, Any]]:
        return self.data["tranches"]

    def citations(self, items: list[dict[str, str]]) -> list[dict[str, str]]:
        """Citations with their document's title (and address), as the JSON output gives them."""
        out = []
        for item in items:
            document = self.data["sources"][item["source"]]
            entry = {"document": document["titre"]}
            entry.update({k: item[k] for k in ("citation", "resume") if k in item})
            if "adresse" in document:
                entry["adresse"] = document["adresse"]
            out.append(entry)
        return out

    def cite(self, items: list[dict[str, str]]) -> str:
        """One line for a reader: « the quoted sentence » (document title), or the document's gist."""
        return " ; ".join(
            f"« {c['citation']} » ({c['document']})" if "citation" in c else f"{c['document']} : {c['resume']}"
            for c in self.citations(items)
        )


def _parameters(data: dict[str, Any]) -> dict[str, Parameter]:
    sources = data["sources"]
    return {
        name: Parameter(
            name,
            spec["libelle"],
            spec["type"],
            spec["pourquoi"],
            spec.get("valeur"),
            sources[spec["source_valeur"]]["titre"] if "source_valeur" in spec else None,
        )
        for name, spec in data.get("parametres", {}).items()
    }


def _consistency_errors(data: dict[str, Any]) -> list[str]:
    """What the schema cannot say: sources cited exist, tranches add up, regional overrides stay valid."""
    errors = []
    if sum(t["part"] for t in data["tranches"]) != 100:
        errors.append("tranches : la somme des parts doit faire 100 %")
    sources = data["sources"]
    cited: list[tuple[str, str]] = []

    def collect(where: str, value: Any) -> None:
        if isinstance(value, dict):
            if "source" in value and ("citation" in value or "resume" in value):
                cited.append((where, value["source"]))
            for key, inner in value.items():
                collect(f"{where}.{key}", inner)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                collect(f"{where}[{index}]", inner)

    collect("", data)
    errors += [f"{where[1:]} : source « {key} » absente de [sources]" for where, key in cited if key not in sources]
    for name, spec in data.get("parametres", {}).items():
        if name in data.get("montants", {}):
            errors.append(f"parametres.{name} : déjà fixé dans [montants]")
        if spec.get("source_valeur") not in (None, *sources):
            errors.append(f"parametres.{name}.source_valeur : source « {spec['source_valeur']} » absente de [sources]")
        if "valeur" in spec and spec["type"] != "part" and spec["valeur"] != int(spec["valeur"]):
            errors.append(f"parametres.{name}.valeur : un entier attendu")
    rules = data["regles"]
    if ("equipement" in rules or "accompagnement" in rules) and "petit_og" not in rules:
        errors.append("regles : « equipement » et « accompagnement » demandent la règle « petit_og »")
    # every amount a rule can grant is either fixed by the sources or a parameter, never silently absent
    needed = {"acquisition", "mise_en_conformite", "sans_dui"}
    needed |= {"equipement"} if "equipement" in rules else set()
    needed |= {"usage_sons"} if "bon_commande_sons" in rules else set()
    needed |= {"amoa", "pilotage"} if "accompagnement" in rules else set()
    defined = set(data.get("montants", {})) | set(data.get("parametres", {}))
    errors += [f"montant « {name} » ni dans [montants] ni dans [parametres]" for name in sorted(needed - defined)]
    for region, overrides in data.get("regions", {}).items():
        unknown = sorted(set(overrides) - set(rules))
        if unknown:
            errors.append(f"regions.{region} : règle(s) absente(s) du jeu : {', '.join(unknown)}")
        merged = {**rules, **{k: {**rules[k], **v} for k, v in overrides.items() if k in rules}}
        errors += [f"regions.{region} : {e}" for e in schema_errors(Loaded({**data, "regles": merged}, {}), SCHEMA)]
    return errors


def load_ruleset(path: Path) -> RuleSet:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), [f"jeu de règles illisible : {exc}"]) from None
    errors = schema_errors(Loaded(data, {}), SCHEMA)
    if not errors:
        errors = _consistency_errors(data)
    if errors:
        raise InputError(str(path), errors)
    return RuleSet(data["id"], data["version"], data["titre"], path, data, _parameters(data))


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


def with_parameters(ruleset: RuleSet, path: Path) -> RuleSet:
    """``ruleset`` with the parameters an ARS filled in (``--parametres``): only parameters, never a sourced value."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), [f"fichier de paramètres illisible : {exc}"]) from None
    errors = schema_errors(Loaded(data, {}), PARAMETERS_SCHEMA)
    if errors:
        raise InputError(str(path), errors)
    known = ruleset.parameters
    filled = dict(known)
    for name, value in data["valeurs"].items():
        if name not in known:
            sourced = " (montant fixé par les sources)" if ruleset.defines(name) else ""
            errors.append(
                f"valeurs.{name} : pas un paramètre du jeu « {ruleset.title} »{sourced} "
                f"(paramètres : {', '.join(sorted(known)) or 'aucun'})"
            )
        elif known[name].kind != "part" and value != int(value):
            errors.append(f"valeurs.{name} : valeur {value!r} : un entier attendu")
        elif known[name].kind == "part" and not 0 < value <= 1:
            errors.append(f"valeurs.{name} : valeur {value!r} : une part entre 0 et 1 attendue")
        else:
            number = value if known[name].kind == "part" else int(value)
            filled[name] = replace(known[name], value=number, origin=data["source"], filled_by_ars=True)
    if errors:
        raise InputError(str(path), errors)
    return replace(ruleset, parameters=filled)
