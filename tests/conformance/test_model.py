"""The run verdict: a blocking requirement left undecided, or a run that judged no service, is never conforme."""

from dui_conformance.model import Finding, Outcome, RequirementResult, RunResult


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
