"""The run verdict: a blocking requirement left undecided, or a run that judged no service, is never conforme; an
avertissement (a PEUT found broken) never weighs on it."""

from dui_conformance.model import (
    EXIT_OK,
    Finding,
    Outcome,
    RequirementResult,
    RunResult,
    exit_code,
    failed,
    graded,
    passed,
    requirement_outcome,
    verdict_of,
    worst,
)


def _req(rid: str, outcome: Outcome, blocking: bool = True) -> RequirementResult:
    finding = Finding(rid, outcome, "m")
    return RequirementResult(rid, rid.split("-")[0], "s", "DOIT", "src", blocking, outcome, [], [finding])


def _run(*requirements: RequirementResult) -> RunResult:
    return RunResult("r", "check", "recette", "test", "t0", "t1", [], [], list(requirements), {})


def test_conforme_needs_a_judged_service_and_no_undecided_blocking_requirement():
    assert (
        _run(_req("GEN-01", Outcome.PASS), _req("INS-01", Outcome.PASS), _req("DMP-01", Outcome.OMIT)).verdict
        == "conforme"
    )  # HL7 v2 only: DMP not concerned
    assert _run(_req("GEN-01", Outcome.PASS)).verdict == "non concluant"  # only GEN judged
    assert _run(_req("INS-01", Outcome.PASS), _req("DMP-30", Outcome.SKIP)).verdict == "non concluant"
    assert _run(_req("INS-01", Outcome.PASS), _req("DMP-30", Outcome.NOT_RUN)).verdict == "non concluant"
    assert _run(_req("INS-01", Outcome.PASS), _req("DMP-30", Outcome.SKIP, blocking=False)).verdict == "conforme"
    assert _run(_req("INS-01", Outcome.FAIL), _req("DMP-30", Outcome.SKIP)).verdict == "non conforme"


def test_a_broken_peut_is_an_avertissement_that_never_weighs():
    """Issue 17: a PEUT finding failed, blocked and stopped scenarios. Graded by its level it is an avertissement:
    known, shown, and without effect on the verdict or the exit code."""
    broken = failed("DMP-55", "clé fausse")
    assert graded(broken, "PEUT").outcome is Outcome.ADVISORY and graded(broken, "PEUT").message == "clé fausse"
    assert graded(broken, "DOIT") is broken and graded(passed("DMP-55", "ok"), "PEUT").outcome is Outcome.PASS
    assert Outcome.ADVISORY.label == "avertissement"
    assert worst([Outcome.ADVISORY, Outcome.FAIL]) is Outcome.FAIL and worst([Outcome.SKIP, Outcome.ADVISORY]) is (
        Outcome.ADVISORY
    )
    assert requirement_outcome([Outcome.PASS, Outcome.ADVISORY, Outcome.NOT_RUN]) is Outcome.ADVISORY
    run = _run(_req("INS-01", Outcome.PASS), _req("DMP-55", Outcome.ADVISORY, blocking=False))
    assert run.verdict == "conforme" and exit_code(run) == EXIT_OK and run.counts()["advisory"] == 1
    assert RunResult.from_dict(run.to_dict()).requirements[1].findings[0].outcome is Outcome.ADVISORY


def test_a_service_not_judged_is_not_covered_under_the_one_verdict_rule():
    """The same rule for a run and a service tile: nothing judged is « non concluant » for a run, « non couvert »
    (``unjudged``) for a tile; undecided blocking requirements stay « non concluant » for both."""
    only_peut = [_req("PSC-01", Outcome.PASS, blocking=False)]
    assert verdict_of(only_peut, False, False) == "non concluant"
    assert verdict_of(only_peut, False, False, "non couvert") == "non couvert"
    assert verdict_of([_req("PSC-01", Outcome.SKIP)], False, False, "non couvert") == "non concluant"
    assert verdict_of([_req("PSC-01", Outcome.PASS)], False, False, "non couvert") == "conforme"
