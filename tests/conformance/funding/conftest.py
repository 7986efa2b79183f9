"""Clusters built from a few numbers, so that each boundary test states only what it varies."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dui_conformance.funding import evaluate, get_ruleset

from ...support.funding import all_esms, finess, grappe, reason, write_yaml


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

    return SimpleNamespace(
        grappe=grappe,
        esms=all_esms,
        judge=judge,
        reason=reason,
        finess=finess,
        write_yaml=write_yaml,
        seed=seed_rules,
        general=general_rules,
    )
