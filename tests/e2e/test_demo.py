"""`dui-conformance demo`: the golden run is conformant, each reference-DUI defect is caught.

A defect must fail the requirements it targets and no other: a harness is judged by its
false positives as much as by its misses.
"""

import re
import zipfile

import pytest

from dui_conformance.mocks.dui import DEFECTS
from dui_conformance.requirements import load_catalogue

from ..support.workbooks import sheet_rows

# Relying-party defects touch disjoint scenarios: one demo runs them together (each alone: tests/live_psc), except
# these, which would hide other defects' failures (or have theirs hidden) there; each runs alone like the others.
PSC_ALONE = {
    "psc-code-rejoue",  # the provider revokes each replayed login: every login refused, bad tokens (PSC-10 … 19) unseen
    "psc-identite-par-sub",  # no session under the national id: PSC-19, 22, 23 look for one and see no defect
    "psc-jwks-fige",  # psc-signature-non-verifiee accepts the new key's token without any key: PSC-20 passes
    "psc-state-rejouable",  # psc-sans-state leaves no state to replay: the replay is refused, its PSC-08 unseen
    "psc-eidas2-refuse",  # psc-acr-non-verifie accepts any acr: the eidas2 login opens a session, PSC-26 passes
    "psc-session-apres-refresh-mort",  # psc-jeton-expire-conserve never presents the dead refresh token: PSC-27 unseen
}
PSC_DEFECTS = sorted(name for name, defect in DEFECTS.items() if defect.services == {"PSC"} and name not in PSC_ALONE)

pytestmark = pytest.mark.live


PEUT = {r.id for r in load_catalogue() if r.level == "PEUT"}
WAVES = {r.id: r.waves for r in load_catalogue()}


def _waves(defects: list[str]) -> list[str]:
    """The waves whose demo judges what the defects break: vague 1 (the default) when they break a requirement it
    judges, vague 2 when they break one only vague 2 judges (vague 1 does not even run its scenarios)."""
    fails = set().union(*(DEFECTS[d].fails for d in defects))
    waves = ["1"] if any(1 in WAVES[rid] for rid in fails) else []
    return waves + (["2"] if any(1 not in WAVES[rid] for rid in fails) else [])


def _expected(defects: list[str], wave: str) -> set[str]:
    """What the defects break that the wave judges: a requirement of another wave is never listed, never failed."""
    return {rid for d in defects for rid in DEFECTS[d].fails if int(wave) in WAVES[rid]}


def _failing(run) -> set[str]:
    """The requirements the run finds broken: a DOIT fails, a PEUT is an avertissement (never a failure)."""
    outcomes = {r["id"]: r["outcome"] for r in run.report["requirements"]}
    assert not [rid for rid in PEUT if outcomes.get(rid) == "fail"]
    return {rid for rid, outcome in outcomes.items() if outcome in ("fail", "advisory")}


@pytest.mark.parametrize("wave", ["1", "2"])
def test_demo_on_the_correct_reference_dui_is_conformant(cli, wave):
    run = cli("demo", "--vague", wave, name=f"demo-vague-{wave}")
    assert run.code == 0, run.stderr
    report = run.report
    assert report["verdict"] == "conforme" and _failing(run) == set() and report["referentiel"]["vague"] == int(wave)
    assert not [s for s in report["scenarios"] if s["outcome"] == "error"]
    live = [s for s in report["scenarios"] if s["subject"] == "session directe"]
    offline = [s for s in report["scenarios"] if s["subject"] != "session directe"]
    assert live and offline, "la démonstration couvre le direct et les documents"
    assert report["exchanges"], "les échanges avec les services simulés figurent au rapport"
    not_run = [
        r["id"] for r in report["requirements"] if r["outcome"] == "not_run" and r["service"] in ("INS", "DMP", "PSC")
    ]
    assert not_run == [], "la démonstration évalue toutes les exigences INS, DMP et PSC"
    # Issue 17: a service tile « non concluant » under a profile « conforme ». One rule for tiles and the whole run.
    blocks = (run.report_dir / "summary.md").read_text().split("\n\n")
    tiles = next(b for b in blocks if b.startswith("| Service socle"))  # the first table: tiles per profile
    table = [line.strip("|").split("|") for line in tiles.splitlines()[2:]]
    whole = next(row for row in table if "**Ensemble**" in row[0])
    for column, verdict in enumerate(whole[1:], start=1):
        if "non concluant" not in verdict:
            assert not [row[0] for row in table if "non concluant" in row[column]], (column, table)
    assert _oauth_codes_in_clear(run.report_dir) == []
    # Issue 19: the run by official id, each proof pointing into the evidence pack, and the workbook to attach.
    acr = report["official"]["ids"]["SC.PSC.08"]
    proof = acr["requirements"][0]["scenarios"][0]["proofs"][0]
    assert acr["outcome"] == "pass" and proof["number"] == "SC.PSC.08.01.01" and proof["exchange"]
    with zipfile.ZipFile(run.report_dir / "evidence.zip") as pack:
        assert proof["member"] in pack.namelist()
    assert report["official"]["ids"]["SC.PSC.01"]["label"] == "conforme (couverture partielle)"
    assert "SC.PSC.08.01.01" in {row[6] for row in sheet_rows(run.report_dir / "rem-preuves.xlsx")}


def _oauth_codes_in_clear(report_dir) -> list[str]:
    """Every ``code=`` query or form parameter the report files show (evidence.zip's members included) unmasked:
    an authorization code is as good as a token until used."""
    pattern = re.compile(rb"[?&;]code=(?!\[masqu)[^&\s\"'<>]+")
    texts = {}
    for path in report_dir.rglob("*"):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                texts.update({f"{path.name}!{m}": archive.read(m) for m in archive.namelist()})
        elif path.is_file():
            texts[path.name] = path.read_bytes()
    assert any(b"code=" in text for text in texts.values()), "les échanges PSC figurent au rapport"
    return [f"{name}: {m.group()!r}" for name, text in texts.items() for m in pattern.finditer(text)]


@pytest.mark.parametrize(
    ("defect", "wave"), [(d, w) for d in sorted(set(DEFECTS) - set(PSC_DEFECTS)) for w in _waves([d])]
)
def test_each_defect_fails_exactly_its_requirements(cli, defect, wave):
    run = cli("demo", "--defaut", defect, "--vague", wave, name=f"{defect}-vague-{wave}")
    assert run.code == 3, run.stderr
    assert run.report["referentiel"]["vague"] == int(wave)
    assert _failing(run) == _expected([defect], wave)


@pytest.mark.parametrize("wave", _waves(PSC_DEFECTS))
def test_psc_defects_fail_exactly_their_requirements(cli, wave):
    run = cli("demo", *[arg for d in PSC_DEFECTS for arg in ("--defaut", d)], "--vague", wave, name=f"psc-{wave}")
    assert run.code == 3, run.stderr
    assert _failing(run) == _expected(PSC_DEFECTS, wave)


def test_unknown_defect_is_a_usage_error(cli):
    run = cli("demo", "--defaut", "inexistant", name="unknown")
    assert run.code == 2 and "inconnus" in run.stderr
