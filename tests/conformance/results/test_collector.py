"""Flat memory, same reports: the streamed result pipeline (results/) against the whole-run code it replaced.

``_roll_up_before`` is ``runner.roll_up`` as it was before results were streamed (every scenario in
memory, one dict of findings per requirement): the roll-up fed one scenario at a time, in memory or
spooled to disk, must give exactly its requirements (outcomes, findings in run order, de-duplication),
and every report written from a spooled run must be byte for byte the one written from the same
results held in memory."""

from dataclasses import replace

import pytest

from dui_conformance.model import (
    Finding,
    Location,
    Outcome,
    RequirementResult,
    RunResult,
    ScenarioResult,
    omitted,
    passed,
    requirement_outcome,
)
from dui_conformance.report import write_reports
from dui_conformance.requirements import load_catalogue
from dui_conformance.results import RunCollector, ScenarioLog, Spool
from dui_conformance.runner import plan_scope

from ...support.runs import fixture_settings
from ...support.workbooks import sheet_rows
from .conftest import _odd_scenarios, _scenario


def _roll_up_before(catalogue, scenarios, profile, scope=None):
    scope = scope or {}
    tagged_by, findings_by = {}, {}
    for s in scenarios:
        for rid in dict.fromkeys(s.requirements):
            tagged_by.setdefault(rid, []).append(s)
        for f in s.findings:
            findings_by.setdefault(f.requirement, {})[f] = None
    results = []
    for req in catalogue:
        tagged = tagged_by.get(req.id, [])
        findings = list(findings_by.get(req.id, ()))
        outcomes = [f.outcome for f in findings]
        outcomes += [Outcome.ERROR for s in tagged if s.error]
        outcomes += [Outcome.SKIP for s in tagged if not s.error and not s.findings]
        if tagged and not outcomes:
            outcomes = [Outcome.OMIT]
        if not tagged and not findings and req.id in scope:
            findings = [omitted(req.id, f"Non concernée par cette exécution : {scope[req.id]}.")]
            outcomes = [Outcome.OMIT]
        results.append(
            RequirementResult(
                id=req.id,
                service=req.service,
                statement=req.statement,
                level=req.level,
                source=req.source + (f" ({req.official_id})" if req.official_id else ""),
                blocking=req.blocks(profile),
                outcome=requirement_outcome(outcomes),
                scenarios=sorted({f"{s.name} — {s.subject}" for s in tagged}),
                findings=findings,
            )
        )
    return results


def _collected(scenarios, spool, scope=None):
    collector = RunCollector(load_catalogue(), spool=spool)
    collector.extend(scenarios)
    return collector, collector.requirements("recette", scope)


def _as_dicts(requirements):
    return [r.to_dict() for r in requirements]


@pytest.mark.parametrize("spool", [False, True], ids=["en-memoire", "sur-disque"])
def test_streamed_roll_up_equals_the_whole_run_roll_up(local_run, spool):
    scenarios = list(local_run.scenarios)
    scope = plan_scope(fixture_settings())
    collector, requirements = _collected(scenarios, spool, scope)
    assert _as_dicts(requirements) == _as_dicts(_roll_up_before(load_catalogue(), scenarios, "recette", scope))
    assert isinstance(requirements[0].findings, Spool if spool else list)
    assert [s.to_dict() for s in collector.log] == [s.to_dict() for s in scenarios]


@pytest.mark.parametrize("spool", [False, True], ids=["en-memoire", "sur-disque"])
def test_de_duplication_is_exact_when_subjects_recur_or_findings_point_elsewhere(spool):
    a, b = "/x/a.xml", "/x/b.xml"
    in_a, in_b = passed("GEN-01", "lu", Location(a)), passed("GEN-01", "lu", Location(b))
    nowhere = passed("GEN-01", "sans lieu")
    scenarios = [
        _scenario(a, in_a, nowhere),
        _scenario(a, in_a),  # a background repeated in the same document
        _scenario(b, in_b, nowhere, in_a),  # a finding located in an earlier document's file
        _scenario(a, in_a, in_b, name="Autre"),  # a document seen again after another one
        _scenario("/x/c.xml", error="cassé"),
    ]
    collector, requirements = _collected(scenarios, spool)
    assert _as_dicts(requirements) == _as_dicts(_roll_up_before(load_catalogue(), scenarios, "recette"))
    gen = next(r for r in requirements if r.id == "GEN-01")
    assert list(gen.findings) == [in_a, nowhere, in_b] and gen.outcome is Outcome.ERROR
    rows = {row.subject: row for row in collector.log.rows.rows()}
    assert rows[a].cells == {"GEN": {"pass": 3}} and rows[b].cells == {"GEN": {"pass": 3}}
    assert [s.name for s in collector.log.errors] == ["Scénario"] and rows["/x/c.xml"].outcome is Outcome.ERROR


def test_every_report_of_a_spooled_run_is_the_one_of_the_same_run_in_memory(local_run, tmp_path):
    """The same results, held in memory (the writers as they were) or spooled: the same bytes in every file."""
    scenarios = list(local_run.scenarios)
    scope = plan_scope(fixture_settings())
    head = replace(local_run, scenarios=[], requirements=[])
    in_memory = replace(
        head, scenarios=scenarios, requirements=_roll_up_before(load_catalogue(), scenarios, "recette", scope)
    )
    collector, requirements = _collected(scenarios, True, scope)
    spooled = replace(head, scenarios=collector.log, requirements=requirements)
    assert isinstance(spooled.scenarios, ScenarioLog) and spooled.scenarios.spooled
    write_reports(in_memory, tmp_path / "memoire")
    write_reports(spooled, tmp_path / "disque")
    names = sorted(p.name for p in (tmp_path / "memoire").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "disque").iterdir())
    assert {"report.json", "index.html", "junit.xml", "cucumber.json", "summary.md", "evidence.zip"} <= set(names)
    for name in names:
        if name == "rem-preuves.xlsx":  # the workbook's bytes hold its date: its cells are compared
            assert sheet_rows(tmp_path / "memoire" / name) == sheet_rows(tmp_path / "disque" / name)
            continue
        assert (tmp_path / "memoire" / name).read_bytes() == (tmp_path / "disque" / name).read_bytes(), name


def test_a_lone_surrogate_gives_the_same_report_line_spooled_or_not(tmp_path):
    hostile = Finding("GEN-01", Outcome.FAIL, "texte \udcff illisible", Location("/x/a.xml"))
    scenarios = [_scenario("/x/a.xml", hostile), _scenario("/x/b.xml", passed("GEN-01", "lu", Location("/x/b.xml")))]
    runs = []
    for spool in (False, True):
        collector, requirements = _collected(scenarios, spool)
        runs.append(RunResult("r", "check", "recette", "test", "a", "b", [], collector.log, requirements, {}))
    for n, run in enumerate(runs):
        write_reports(run, tmp_path / str(n), ["json", "junit", "cucumber"])
    for name in ("report.json", "junit.xml", "cucumber.json"):
        assert (tmp_path / "0" / name).read_bytes() == (tmp_path / "1" / name).read_bytes(), name


def test_ctrl_c_while_a_batch_goes_in_lets_the_whole_batch_in():
    import os
    import signal

    collector = RunCollector(load_catalogue(), spool=True)

    def batch():
        for n in range(4):
            if n == 1:
                os.kill(os.getpid(), signal.SIGINT)
            yield _scenario(f"/x/{n}.xml")

    with pytest.raises(KeyboardInterrupt):
        collector.extend(batch())
    assert len(collector.log) == 4


def test_the_spool_directory_goes_with_the_run():
    import gc

    collector = RunCollector(load_catalogue(), spool=True)
    collector.extend([_scenario("/x/a.xml", passed("GEN-01", "lu", Location("/x/a.xml")))])
    requirements = collector.requirements("recette")
    folder = collector._dir.path
    assert any(folder.iterdir()) and "/x" not in str(folder)
    del collector, requirements
    gc.collect()
    assert not folder.exists()


_SECRETS = [
    "Authorization: Bearer abcdef123456",
    "jeton token=abc123",
    '{"password": "x"}',
    "eyJabcd.efgh1234.ij",
    "-----BEGIN RSA PRIVATE KEY-----abc",
    "<wsse:Password>x</wsse:Password>",
    "Set-Cookie: a=b",
    "basic QWxhZGRpbjpvcGVu",
    "client_secret=s3cr3t",
]


def _with_secret(s: ScenarioResult, secret: str) -> list[ScenarioResult]:
    """``s`` with ``secret`` in each of its texts in turn (and as a header pair among its tags)."""
    step, finding = s.steps[0], s.steps[0].findings[0]
    loc = finding.location
    out = [replace(s, **{name: secret}) for name in ("nodeid", "feature", "feature_file", "name", "subject", "error")]
    out += [replace(s, tags=[secret]), replace(s, tags=["authorization", "valeur"]), replace(s, requirements=[secret])]
    out += [replace(s, steps=[replace(step, **{name: secret})]) for name in ("keyword", "text", "error")]
    findings = [
        replace(finding, message=secret),
        replace(finding, evidence=secret),
        replace(finding, requirement=secret),
    ]
    findings += [replace(finding, location=replace(loc, **{name: secret})) for name in ("file", "xpath", "exchange")]
    return out + [replace(s, steps=[replace(step, findings=[f])]) for f in findings]


def test_a_scenario_is_left_unmasked_only_when_masking_leaves_it_as_it_is(local_run):
    """The collector masks a scenario only when one of its texts is new and holds a trigger word: whatever
    ``redact`` would change is never skipped, in any text, alone or among texts already seen."""
    from dui_conformance.redact import CleanTexts, redact
    from dui_conformance.results.collector import _texts

    clean = CleanTexts()
    base = _scenario("/x/a.xml", passed("GEN-01", "lu", Location("/x/a.xml", "/a", 3)))
    unmasked = 0
    for s in [*local_run.scenarios, *_odd_scenarios(), base]:  # the clean ones (mostly), seen first
        if clean.all_clean(_texts(s)):
            assert redact(s.to_dict()) == s.to_dict(), s
            unmasked += 1
    assert unmasked > len(local_run.scenarios) / 2
    for s in (v for secret in _SECRETS for v in _with_secret(base, secret)):
        assert redact(s.to_dict()) != s.to_dict() and not clean.all_clean(_texts(s)), s
    assert not clean.all_clean([None, "lu", ["pas un texte"]])  # anything else than texts: masked the long way


@pytest.mark.parametrize("spool", [False, True], ids=["en-memoire", "sur-disque"])
def test_secrets_are_masked_in_the_log_and_in_the_findings_of_each_requirement(spool):
    base = _scenario("/x/a.xml", passed("GEN-01", "lu", Location("/x/a.xml", "/a", 3)))
    scenarios = [
        v
        for secret in _SECRETS
        for v in _with_secret(base, secret)
        if {rid for f in v.findings for rid in (f.requirement, *v.requirements)} == {"GEN-01"}
    ]
    collector, requirements = _collected(scenarios, spool)
    from dui_conformance.redact import redact

    assert [s.to_dict() for s in collector.log] == [redact(s.to_dict()) for s in scenarios]
    gen = next(r for r in requirements if r.id == "GEN-01")
    masked = {Finding.from_dict(redact(f.to_dict())) for s in scenarios for f in s.findings}
    assert set(gen.findings) == masked and "abc123" not in str(list(gen.findings))


def test_a_spooled_log_is_written_once_its_features_select_their_lines(local_run):
    collector, _ = _collected(list(local_run.scenarios), True)
    files = [p for p in collector._dir.path.iterdir() if p.read_text(encoding="utf-8").startswith('{"nodeid": ')]
    assert len(files) == 1  # no copy per feature
    groups = collector.log.features()
    assert sum(len(g.scenarios) for g in groups) == len(collector.log) > len(groups) > 1
    by_feature = {(g.feature_file, g.feature): [s.to_dict() for s in g.scenarios] for g in groups}
    for key, scenarios in by_feature.items():
        assert scenarios == [s.to_dict() for s in local_run.scenarios if (s.feature_file, s.feature) == key]


def test_spooled_document_rows_equal_the_rows_in_memory_and_keep_no_failure_in_memory(local_run):
    """A large run freezes each finished document's row (counts shared, failures in the spool): the rows
    read back are those of the run held in memory, failures included."""
    from dui_conformance.results.rows import SpooledFindings

    scenarios = list(local_run.scenarios)
    in_memory = _collected(scenarios, False)[0].log.rows
    spooled = _collected(scenarios, True)[0].log.rows
    failing = [row for row in spooled.rows() if row.failures]
    # every finished document's failures are in the spool (the document still being fed is not frozen yet)
    assert len(failing) > 1 and sum(not isinstance(row.failures, SpooledFindings) for row in failing) <= 1
    assert spooled.rows() == in_memory.rows()
    assert [list(r.failures) for r in spooled.rows()] == [list(r.failures) for r in in_memory.rows()]
