"""Cluster builders: schema-valid clusters of any shape, so that each test states only what it varies (the
fixtures ``ruleset``, ``judge`` and ``fx`` in tests/conftest.py hand them to the funding tests, unit and CLI)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from dui_conformance.funding.files import Loaded, schema_errors
from dui_conformance.funding.loading import CLUSTER_SCHEMA

SOLUTION = {"editeur": "Éditeur Fictif", "nom": "DUI Test", "version": "1.0", "referencement": ["RESAH", "SEGUR"]}
# Département prefixes by territory, so that FINESS and regions match the territory.
PREFIX = {"metropole": "59", "outre_mer": "974", "corse": "2A"}


def finess(territory: str, og: int, index: int) -> str:
    prefix = PREFIX[territory]
    return f"{prefix}{og:02d}{index:03d}".ljust(9, "0")[:9] if len(prefix) == 2 else f"{prefix}{og:02d}{index:04d}"[:9]


def make_cluster(
    sizes=(5, 5, 5), *, small=None, territory="metropole", project="acquisition", services=("DMP", "MSS"), **extra
) -> dict:
    """A cluster with ``len(sizes)`` OG of ``sizes[i]`` ESMS each; ``small`` lists which OG are small."""
    small = set(range(len(sizes))) if small is None else set(small)
    cluster = {
        "nom": "Grappe de test",
        "campagne": "amorcage-2021",
        "type_projet": project,
        "territoire": territory,
        "solution": copy.deepcopy(SOLUTION),
        "services_socles": list(services),
        "dates": {"depot": "2021-03-01"},
        "organismes": [
            {
                "nom": f"OG {og}",
                "petit": og in small,
                "esms": [
                    {
                        "finess": finess(territory, og, i),
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


def all_esms(cluster: dict) -> list[dict]:
    return [e for og in cluster["organismes"] for e in og["esms"]]


def reason(result, rule: str) -> dict:
    found = [r for r in result.to_dict()["raisons"] if r["regle"] == rule]
    assert len(found) == 1, (rule, found)
    return found[0]


def write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
