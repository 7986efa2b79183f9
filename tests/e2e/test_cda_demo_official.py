"""Every demo fixture of fixtures/cda/** is accepted by the official TestContenuCDA schematrons (DMP-30).

Needs a local copy of the official referential: DUI_REFERENTIEL_CDA=/path/to/TestContenuCDA.
Skipped when the variable is unset (CI has no referential); never copies anything from it.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from dui_conformance.cda import CdaContext, check_cda_input
from dui_conformance.cda.official import XSD
from dui_conformance.inputs import load
from dui_conformance.model import Outcome

from ..support.cda import ROOT

REFERENTIAL = os.environ.get("DUI_REFERENTIEL_CDA")
DEMOS = [
    manifest.parent / entry["file"]
    for manifest in sorted((ROOT / "fixtures" / "cda").glob("**/MANIFEST.toml"))
    for entry in tomllib.loads(manifest.read_text(encoding="utf-8"))["fixture"]
    if entry.get("demo")
]

pytestmark = pytest.mark.skipif(
    not REFERENTIAL or not (Path(REFERENTIAL) / XSD).is_file(),
    reason="DUI_REFERENTIEL_CDA ne désigne pas un référentiel TestContenuCDA",
)


@pytest.fixture(scope="module")
def official_ctx() -> CdaContext:
    return CdaContext.build(referential_dir=REFERENTIAL)


def test_demo_fixtures_exist():
    assert len(DEMOS) >= 3 and all(p.is_file() for p in DEMOS)


@pytest.mark.parametrize("path", DEMOS, ids=[f"{p.parent.name}/{p.name}" for p in DEMOS])
def test_demo_fixture_passes_official_schematrons(path, official_ctx):
    findings = [f for f in check_cda_input(load(path), official_ctx) if f.requirement == "DMP-30"]
    failures = [f.message for f in findings if f.outcome is not Outcome.PASS]
    assert not failures, failures
    assert any(f.outcome is Outcome.PASS for f in findings)
