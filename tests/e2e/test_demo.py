"""`dui-conformance demo`: the golden run is conformant, each reference-DUI defect is caught.

A defect must fail the requirements it targets and no other: a harness is judged by its
false positives as much as by its misses.
"""

import pytest

# Defect → requirement ids that must fail (and only those) in the default profile.
EXPECTED = {
    "ins-non-qualifiee": {"INS-25"},
    "traits-alteres": {"INS-22"},
    "ignore-cr02": {"INS-23"},
    "sans-insi": {"INS-20", "INS-28"},
    "rniv-cr01-prov": {"INS-24"},
    "fiabilite-malformee": {"INS-11", "INS-14"},
    "traits-saisis": {"INS-22"},
    "dmp-identite-non-qualifiee": {"DMP-62"},
    "dmp-metadonnees-incoherentes": {"DMP-47"},
    "dmp-sans-rplc": {"DMP-61"},
    "dmp-empreinte-remplacement": {"DMP-50", "DMP-61"},
    "dmp-erreur-ignoree": {"DMP-63"},
    "dmp-integration-mauvais-dossier": {"DMP-64"},
    "psc-signature-non-verifiee": {"PSC-10", "PSC-11", "PSC-12"},
    "psc-nonce-ignore": {"PSC-17"},
    "psc-acr-non-verifie": {"PSC-18"},
    "psc-state-ignore": {"PSC-03"},
    "psc-session-apres-deconnexion": {"PSC-22"},
    "psc-vihf-identite-fixe": {"PSC-24"},
    "tls-sans-verification": {"GEN-12"},
    "tls-sans-certificat": {"GEN-11"},
    "mss-sans-demande-accuse": {"MSS-20"},
    "mss-patient-non-qualifie": {"MSS-21"},
    "mss-sans-accuse-erreur": {"MSS-22"},
    "mss-erreur-ignoree": {"MSS-23"},
}
# Relying-party defects touch disjoint scenarios: one demo runs them together (each alone: tests/live_psc).
PSC_DEFECTS = sorted(d for d in EXPECTED if d.startswith("psc-"))

pytestmark = pytest.mark.live


def _failing(run) -> set[str]:
    return {r["id"] for r in run.report["requirements"] if r["outcome"] == "fail"}


def test_demo_on_the_correct_reference_dui_is_conformant(cli):
    run = cli("demo", name="demo")
    assert run.code == 0, run.stderr
    report = run.report
    assert report["verdict"] == "conforme" and _failing(run) == set()
    assert not [s for s in report["scenarios"] if s["outcome"] == "error"]
    live = [s for s in report["scenarios"] if s["subject"] == "session directe"]
    offline = [s for s in report["scenarios"] if s["subject"] != "session directe"]
    assert live and offline, "la démonstration couvre le direct et les documents"
    assert report["exchanges"], "les échanges avec les services simulés figurent au rapport"
    not_run = [
        r["id"] for r in report["requirements"] if r["outcome"] == "not_run" and r["service"] in ("INS", "DMP", "PSC")
    ]
    assert not_run == [], "la démonstration évalue toutes les exigences INS, DMP et PSC"


def test_every_defect_has_an_expectation():
    from dui_conformance.mocks.dui import DEFECTS

    assert set(EXPECTED) == set(DEFECTS)


@pytest.mark.parametrize("defect", sorted(set(EXPECTED) - set(PSC_DEFECTS)))
def test_each_defect_fails_exactly_its_requirements(cli, defect):
    run = cli("demo", "--defaut", defect, name=defect)
    assert run.code == 3, run.stderr
    assert _failing(run) == EXPECTED[defect]


def test_psc_defects_fail_exactly_their_requirements(cli):
    run = cli("demo", *[arg for d in PSC_DEFECTS for arg in ("--defaut", d)], name="psc")
    assert run.code == 3, run.stderr
    assert _failing(run) == set().union(*(EXPECTED[d] for d in PSC_DEFECTS))


def test_unknown_defect_is_a_usage_error(cli):
    run = cli("demo", "--defaut", "inexistant", name="unknown")
    assert run.code == 2 and "inconnus" in run.stderr
