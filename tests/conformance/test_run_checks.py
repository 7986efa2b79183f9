"""Run-level checks: the runner hands every requirement that has one its findings over the whole run
(INS-04: a run whose INS are all production ones suggests the --environnement option)."""

import subprocess
import sys

import pytest

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.ins.matricule import PRODUCTION_HINT
from dui_conformance.model import Outcome
from dui_conformance.run_checks import RUN_CHECKS, register_run_check
from dui_conformance.runner import Execution, execute
from dui_conformance.settings import OFFLINE, RunSettings

PRODUCTION = FIXTURES_DIR / "cda" / "ins" / "ins04_oid_production.xml"
TEST_INS = FIXTURES_DIR / "cda" / "ins" / "ins_valide_nom_compose.xml"


def _ins04(*documents, environment="test", jobs=1):
    settings = RunSettings(mode="check", inputs=[str(d) for d in documents], phases=[OFFLINE], environment=environment)
    run = execute(Execution(settings, jobs=jobs))
    return next(r for r in run.requirements if r.id == "INS-04")


def test_a_run_of_production_ins_only_says_the_option_is_the_likely_mistake():
    req = _ins04(PRODUCTION)
    assert req.outcome is Outcome.FAIL
    assert [f.message.endswith(PRODUCTION_HINT) for f in req.findings] == [True]


def test_a_run_with_a_test_ins_too_gets_no_advice():
    req = _ins04(PRODUCTION, TEST_INS)
    assert req.outcome is Outcome.FAIL
    assert not any(PRODUCTION_HINT in f.message for f in req.findings)
    assert {f.outcome for f in req.findings} == {Outcome.FAIL, Outcome.PASS}


def test_the_registry_is_complete_when_other_processes_evaluated_the_documents():
    """With worker processes the controller never reads an INS itself: its registry is complete all the same."""
    code = (
        "import sys\n"
        "from dui_conformance.runner import Execution, execute\n"
        "from dui_conformance.settings import OFFLINE, RunSettings\n"
        f"settings = RunSettings(mode='check', inputs=[{str(PRODUCTION)!r}], phases=[OFFLINE])\n"
        "before = 'dui_conformance.ins' in sys.modules\n"
        "run = execute(Execution(settings, jobs=2))\n"
        "req = next(r for r in run.requirements if r.id == 'INS-04')\n"
        "print(before, all('--environnement production' in f.message for f in req.findings))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.split() == ["False", "True"]


def test_one_run_level_check_per_requirement():
    registered = RUN_CHECKS["INS-04"]
    with pytest.raises(ValueError, match="INS-04"):
        register_run_check("INS-04", lambda findings, settings: findings)
    assert RUN_CHECKS["INS-04"] is registered
