"""``--vague``: a run judges only its wave's requirements, through both engines, on a generated plan.

No vague-2-only requirement is in the built-in catalogue yet: an extra catalogue (``--catalogue``) adds one for
vague 2 only (INS-901) and one for vague 1 only (INS-902), and a generated feature tags a scenario with each, beside
one of both waves (INS-02). The plan's folder is pointed at that feature for the test."""

from __future__ import annotations

import shutil

import pytest

from dui_conformance.execution import plan
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.model import Outcome
from dui_conformance.runner import Execution, execute, run_plan
from dui_conformance.settings import FEATURES_DIR, OFFLINE, RunSettings

from .conftest import run_cli

FEATURE = """# language: fr
@hors-ligne @cda
Fonctionnalité: Exigences par vague
  Contexte:
    Soit un document exporté par le DUI
    Quand le harnais lit les identités de patient qu'il porte

  @INS-901
  Scénario: Une exigence que la vague 2 ajoute
    Alors chaque matricule INS compte 15 caractères dont une clé de contrôle exacte

  @INS-902
  Scénario: Une exigence de la vague 1 seulement
    Alors chaque INS porte l'OID de son autorité d'affectation

  @INS-02
  Scénario: Une exigence des deux vagues
    Alors chaque NIR concorde avec le sexe, la date et le lieu de naissance
"""

CATALOGUE = """[[requirement]]
id = "INS-901"
service = "INS"
statement = "Exigence ajoutée par la vague 2 (essai)."
level = "DOIT"
source = "essai"
vagues = [2]

[[requirement]]
id = "INS-902"
service = "INS"
statement = "Exigence de la vague 1 seulement (essai)."
level = "DOIT"
source = "essai"
vagues = [1]
"""

DOCUMENT = FIXTURES_DIR / "cda" / "ins" / "ins01_cle_erronee.xml"  # fails INS-01: the INS-901 scenario's check


@pytest.fixture
def generated(tmp_path, monkeypatch):
    """A plan of one generated feature (with the real plan's pytest entry points) and the extra catalogue."""
    features = tmp_path / "plan"
    features.mkdir()
    (features / "vagues.feature").write_text(FEATURE, encoding="utf-8")
    for name in ("test_plan.py", "pytest.ini"):
        shutil.copy(FEATURES_DIR / name, features / name)
    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    (catalogue / "essai.toml").write_text(CATALOGUE, encoding="utf-8")
    monkeypatch.setattr(plan, "FEATURES_DIR", features)
    monkeypatch.setattr("dui_conformance.runner.FEATURES_DIR", features)
    plan.offline_plan.cache_clear()
    yield str(catalogue)
    plan.offline_plan.cache_clear()


def _settings(catalogue: str, wave: int) -> RunSettings:
    return RunSettings(mode="check", inputs=[str(DOCUMENT)], phases=[OFFLINE], catalogue_dirs=[catalogue], wave=wave)


@pytest.mark.parametrize(("wave", "judged", "left_out"), [(1, "INS-902", "INS-901"), (2, "INS-901", "INS-902")])
def test_a_run_judges_only_its_waves_requirements(generated, wave, judged, left_out):
    run = execute(Execution(_settings(generated, wave)))
    ids = {r.id for r in run.requirements}
    assert run.wave == wave and judged in ids and "INS-02" in ids and left_out not in ids
    ran = {tuple(s.requirements) for s in run.scenarios}
    assert ran == {(judged,), ("INS-02",)}  # the other wave's scenario did not run
    outcomes = {r.id: r.outcome for r in run.requirements}
    assert outcomes["INS-01"] is (Outcome.FAIL if wave == 2 else Outcome.NOT_RUN)  # only INS-901's check reads it


@pytest.mark.parametrize("wave", [1, 2])
def test_the_pytest_plugin_selects_as_the_in_process_plan(generated, tmp_path, wave):
    scenarios = run_plan(_settings(generated, wave), tmp_path, jobs=1)
    in_process = plan.evaluate_document(str(DOCUMENT), DOCUMENT.name, _settings(generated, wave))
    assert sorted(s.name for s in scenarios) == sorted(s.name for s in in_process)
    assert len(scenarios) == 2


def test_the_cli_writes_the_wave_and_its_referential(tmp_path):
    """The real plan, in a subprocess: vague 2 names its prepublication in report.json and summary.md."""
    run = run_cli(["check", str(DOCUMENT), "--vague", "2", "--formats", "json,markdown"], tmp_path / "rapport")
    assert run.report["referentiel"]["vague"] == 2 and run.report["referentiel"]["statut"] == "projet"
    summary = (tmp_path / "rapport" / "summary.md").read_text(encoding="utf-8")
    assert "Référentiel jugé : Vague 2" in summary


def test_an_unknown_wave_is_a_usage_error_in_french(tmp_path):
    run = run_cli(["check", str(DOCUMENT), "--vague", "3"], tmp_path / "rapport")
    assert run.code == 2 and "vague « 3 » inconnue : attendue 1 ou 2" in " ".join((run.stdout + run.stderr).split())
