"""One rule in every command (README, « Profils ») : in homologation the official referential is mandatory; without
it, the requirements it evaluates are « données insuffisantes », blocking — in check, run and demo alike, even
when the run has no CDA or no offline phase (issue 17, item 12)."""

from __future__ import annotations

import pytest

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.live.environment import LiveEnvironment
from dui_conformance.model import Outcome
from dui_conformance.runner import REFERENTIAL_MISSING, Execution, execute
from dui_conformance.settings import LIVE, OFFLINE, RunSettings

REFERENTIAL = {"DMP-30", "DMP-31"}  # referentiel = true in the catalogue


def _by_id(run) -> dict:
    return {r.id: r for r in run.requirements}


def test_check_without_a_cda_is_not_conforme_in_homologation():
    settings = RunSettings(
        mode="check", inputs=[str(FIXTURES_DIR / "hl7v2" / "adt_a28_ins_qual.hl7")], phases=[OFFLINE]
    )
    assert execute(Execution(settings)).verdict == "conforme"  # recette: DMP-30 « non applicable »
    settings.profile = "homologation"
    run = execute(Execution(settings))
    assert run.verdict == "non concluant"
    for rid in REFERENTIAL:
        result = _by_id(run)[rid]
        assert result.outcome is Outcome.SKIP and result.blocking
        assert [f.message for f in result.findings] == [REFERENTIAL_MISSING]


@pytest.mark.live
@pytest.mark.parametrize("mode", ["run", "demo"])
def test_live_commands_follow_the_same_rule(mode):
    with LiveEnvironment(reference_defects=frozenset()) as env:
        asked = ["INS-20", "DMP-30"]
        run = execute(
            Execution(RunSettings(mode, phases=[LIVE], requirements=asked, profile="homologation"), live_env=env)
        )
        by_id = _by_id(run)
        assert by_id["INS-20"].outcome is Outcome.PASS
        assert by_id["DMP-30"].outcome is Outcome.SKIP and run.verdict == "non concluant"
        assert by_id["DMP-31"].outcome is Outcome.OMIT  # not asked for (--exigence): the rule leaves it alone
        recette = execute(Execution(RunSettings(mode, phases=[LIVE], requirements=asked), live_env=env))
        assert recette.verdict == "conforme"
