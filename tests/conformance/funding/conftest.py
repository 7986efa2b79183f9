"""Clusters built from a few numbers, so that each boundary test states only what it varies."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
import yaml

from dui_conformance.funding import evaluate, get_ruleset
from dui_conformance.funding.files import Loaded, schema_errors
from dui_conformance.funding.loading import CLUSTER_SCHEMA

SOLUTION = {"editeur": "Éditeur Fictif", "nom": "DUI Test", "version": "1.0", "referencement": ["RESAH", "SEGUR"]}


def finess(department: str, og: int, index: int) -> str:
    """A well-formed FINESS of ``department`` (2 characters, or 3 overseas), unique per (og, index)."""
    return f"{department}{og:02d}{index:0{7 - len(department)}d}"


def grappe(
    *sizes: int,
    dept: str = "59",
    territory: str = "metropole",
    project: str = "acquisition",
    campaign: str = "amorcage-2021",
    depot: str | None = "2021-03-01",
    services: tuple[str, ...] = ("DMP", "MSS"),
    **extra,
) -> dict:
    """One OG of ``sizes[i]`` PA ESMS each, all in ``dept``; ``extra`` overrides any top-level field."""
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
    assert not schema_errors(Loaded(cluster, {}), CLUSTER_SCHEMA)
    return cluster


def every_esms(cluster: dict) -> list[dict]:
    return [e for og in cluster["organismes"] for e in og["esms"]]


def reason(result, rule: str) -> dict:
    found = [r for r in result.to_dict()["raisons"] if r["regle"] == rule]
    assert len(found) == 1, (rule, found)
    return found[0]


@pytest.fixture(scope="session")
def seed_rules():
    return get_ruleset("amorcage-2021")


@pytest.fixture(scope="session")
def general_rules():
    return get_ruleset("generalisation-2022-2025")


@pytest.fixture
def bounds(seed_rules, general_rules):
    """Builders and the two bundled rule sets (test modules cannot import conftest under --import-mode=importlib)."""

    def judge(cluster, rules=None, **kwargs):
        chosen = rules or (general_rules if cluster["campagne"] == general_rules.id else seed_rules)
        return evaluate(cluster, chosen, "test", **kwargs)

    def write_yaml(path, data):
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return SimpleNamespace(
        grappe=grappe,
        esms=every_esms,
        judge=judge,
        reason=reason,
        finess=finess,
        write_yaml=write_yaml,
        seed=seed_rules,
        general=general_rules,
    )
