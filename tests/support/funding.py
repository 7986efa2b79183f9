"""Cluster builders: schema-valid clusters of any shape, so that each test states only what it varies (the
fixtures ``ruleset``, ``judge`` and ``fx`` in tests/conftest.py hand them to the funding tests, unit and CLI)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path

import yaml

from dui_conformance.funding.files import Loaded, schema_errors
from dui_conformance.funding.loading import CLUSTER_SCHEMA

SOLUTION = {"editeur": "Éditeur Fictif", "nom": "DUI Test", "version": "1.0", "referencement": ["RESAH", "SEGUR"]}
# Département prefixes by territory, so that FINESS and regions match the territory.
PREFIX = {"metropole": "59", "outre_mer": "974", "corse": "2A"}


def finess(department: str, og: int, index: int) -> str:
    """A well-formed FINESS of ``department`` (2 characters, or 3 overseas), unique per (og, index) on its first
    eight digits, so that a test may set the last one to a check digit."""
    return f"{department}{og:02d}{index:0{6 - len(department)}d}0"


def grappe(
    *sizes: int,
    dept: str = "59",
    territory: str = "metropole",
    project: str = "acquisition",
    campaign: str = "amorcage-2021",
    depot: str | None = "2021-03-01",
    services: tuple[str, ...] = ("DMP", "MSS"),
    small: Iterable[int] | None = None,
    **extra,
) -> dict:
    """One OG of ``sizes[i]`` PA ESMS each, all in ``dept``; ``small`` lists the OG that declare themselves small
    (``None``: no OG declares its size); ``extra`` overrides any top-level field."""
    declared = None if small is None else set(small)
    cluster = {
        "nom": "Grappe de test",
        "campagne": campaign,
        "type_projet": project,
        "territoire": territory,
        "solution": copy.deepcopy(SOLUTION),
        "services_socles": list(services),
        "dates": {"depot": depot} if depot else {},
        "organismes": [
            {
                "nom": f"OG {og}",
                **({} if declared is None else {"petit": og in declared}),
                "esms": [
                    {
                        "finess": finess(dept, og, i),
                        "nom": f"ESMS {og}-{i}",
                        "categorie": "PA",
                        "equipement": False,
                        "sans_dui": False,
                    }
                    for i in range(n)
                ],
            }
            for og, n in enumerate(sizes)
        ],
    }
    cluster.update(extra)
    errors = schema_errors(Loaded(cluster, {}), CLUSTER_SCHEMA)
    assert not errors, errors
    return cluster


def make_cluster(sizes=(5, 5, 5), *, small=None, territory="metropole", **extra) -> dict:
    """:func:`grappe` in ``territory``'s department, every OG declaring itself small unless ``small`` lists them."""
    declared = range(len(sizes)) if small is None else small
    return grappe(*sizes, dept=PREFIX[territory], territory=territory, small=declared, **extra)


def all_esms(cluster: dict) -> list[dict]:
    return [e for og in cluster["organismes"] for e in og["esms"]]


def reason(result, rule: str) -> dict:
    found = [r for r in result.to_dict()["raisons"] if r["regle"] == rule]
    assert len(found) == 1, (rule, found)
    return found[0]


def write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
