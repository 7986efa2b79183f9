"""The link from each requirement to what decides it, its negative proof and its tests: the pure computation on
made-up inputs, then the real catalogue through ``requirements --couverture``."""

from __future__ import annotations

from pathlib import Path

import pytest

from dui_conformance.cli import requirement_links
from dui_conformance.fixtures import iter_manifest
from dui_conformance.mocks.dui import DEFECTS
from dui_conformance.requirements import load_catalogue
from dui_conformance.requirements.catalogue import Catalogue, Requirement
from dui_conformance.requirements.coverage import Coverage, scan_features
from dui_conformance.requirements.links import (
    exercising_tests,
    link_requirements,
    negative_proofs,
    undeclared,
)
from dui_conformance.runner import FEATURES_DIR

CATALOGUE = Catalogue(
    [
        Requirement("INS-02", "INS", "Le NIR concorde.", "DOIT", "s"),
        Requirement("INS-16", "INS", "Le mois est calendaire.", "PEUT", "s"),
        Requirement("DMP-03", "DMP", "En-tête déclaré.", "DOIT", "s"),
    ]
)
DECIDERS = {
    "INS-02": ["dui_conformance.ins.matricule:check_nir_traits"],
    "DMP-03": ["dui_conformance.cda.header:declarations", "dui_conformance.cda.header:check_header"],
    "XYZ-01": ["dui_conformance.ins.matricule:check_other"],
}


def test_negative_proofs_gather_fixtures_then_defects():
    proofs = negative_proofs(
        {"fixtures/b.xml": ["INS-02"], "fixtures/a.xml": ["INS-02", "DMP-03"]},
        {"traits-alteres": frozenset({"INS-02"})},
    )
    assert proofs == {
        "INS-02": ["fixtures/a.xml", "fixtures/b.xml", "defaut:traits-alteres"],
        "DMP-03": ["fixtures/a.xml"],
    }


@pytest.mark.parametrize(
    "source, exercises",
    [
        ("from dui_conformance.ins.matricule import check_nir_traits\n", {"INS-02"}),
        ("import dui_conformance.ins.matricule as m\n", {"INS-02"}),
        ("from dui_conformance.ins import check_nir_traits\n", {"INS-02"}),
        ("from dui_conformance import ins\n", set()),  # the package, the id unnamed: not enough
        ("from dui_conformance.ins import check_oid\nID = 'INS-02'\n", {"INS-02"}),  # names it, imports its package
        ("ID = 'INS-02'\n", set()),  # names it, exercises no check
        ("from dui_conformance.cda import check_cda\nIDS = ['DMP-03']\n", {"DMP-03"}),
        ("from dui_conformance.model import passed\nIDS = ['DMP-03', 'INS-02']\n", set()),
        ("from .conftest import check_nir_traits\n", set()),  # a relative import is the test's own helper
    ],
)
def test_tests_are_the_files_that_import_the_deciding_code(source, exercises):
    found = exercising_tests({"tests/x/test_y.py": source}, ["INS-02", "INS-16", "DMP-03"], DECIDERS)
    assert {rid for rid, paths in found.items() if paths == ["tests/x/test_y.py"]} == exercises
    assert found["INS-16"] == []  # no code declared to decide it


def test_links_in_catalogue_order_and_the_gaps_of_a_doit():
    coverage = Coverage({"INS-02": ["ins/documents.feature : NIR"]}, {})
    proofs = {"INS-02": ["fixtures/cda/ins/ins02.xml"]}
    links = link_requirements(CATALOGUE, coverage, DECIDERS, proofs, {"INS-02": ["tests/ins/test_m.py"]})
    assert [link.id for link in links] == ["INS-02", "INS-16", "DMP-03"]
    ins02, ins16, dmp03 = links
    assert ins02.to_dict() == {
        "id": "INS-02",
        "level": "DOIT",
        "service": "INS",
        "statement": "Le NIR concorde.",
        "scenarios": ["ins/documents.feature : NIR"],
        "decided_by": ["dui_conformance.ins.matricule:check_nir_traits"],
        "negative_proof": ["fixtures/cda/ins/ins02.xml"],
        "tests": ["tests/ins/test_m.py"],
        "vagues": [1, 2],
    }
    assert ins02.gaps() == [] and ins16.gaps() == []  # a PEUT lacks nothing
    assert dmp03.gaps() == ["aucune preuve négative (fixture en échec ou défaut du DUI de référence)"]
    assert undeclared(CATALOGUE, DECIDERS) == {"XYZ-01": ["dui_conformance.ins.matricule:check_other"]}


# --- the real catalogue ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    catalogue = load_catalogue()
    # this checkout's tests, whether the package is installed from it in editable mode or not (CI installs a copy)
    repository = Path(__file__).resolve().parents[3]
    links, deciders, checkout = requirement_links(catalogue, scan_features(FEATURES_DIR, catalogue), repository)
    return catalogue, {link.id: link for link in links}, deciders, checkout


def test_every_doit_is_decided_by_code_and_proved_able_to_fail(real):
    _, links, _, _ = real
    undecided = {rid for rid, link in links.items() if link.level == "DOIT" and not link.decided_by}
    unproved = {rid for rid, link in links.items() if link.level == "DOIT" and not link.negative_proof}
    assert undecided == set()
    assert unproved == set()


def test_every_declared_or_proved_id_is_in_the_catalogue(real):
    catalogue, links, deciders, _ = real
    assert undeclared(catalogue, deciders) == {}
    assert set(deciders) <= set(links)
    fixtures = {str(e.path): e.fails | (e.undecided or set()) for e in iter_manifest()}
    proved = negative_proofs(fixtures, {name: defect.breaks for name, defect in DEFECTS.items()})
    assert set(proved) <= set(links)


def test_the_real_links_name_code_fixtures_defects_and_tests(real):
    _, links, _, checkout = real
    assert checkout  # run from the source checkout
    ins02 = links["INS-02"]
    assert ins02.decided_by == ("dui_conformance.ins.matricule:check_nir_traits",)
    assert "fixtures/cda/ins/ins02_sexe_incoherent.xml" in ins02.negative_proof
    assert "tests/conformance/ins/test_matricule.py" in ins02.tests and ins02.scenarios
    assert "dui_conformance.cda.header:check_id_keys" in links["DMP-55"].decided_by  # a CDA layer, by cda_layer
    assert {"defaut:traits-alteres", "defaut:traits-saisis"} <= set(links["INS-22"].negative_proof)
    assert "defaut:traits-alteres" in links["INS-05"].negative_proof  # also_breaks: the every-check INSi plan


def test_defects_table_declares_what_each_defect_breaks(real):
    catalogue, _, _, _ = real
    for name, defect in DEFECTS.items():
        assert defect.text and defect.fails, name
        assert defect.breaks <= {r.id for r in catalogue}, name
        # also_breaks: only the every-check INSi plan of tests/live proves it, and only beyond the demo's fails
        assert all(r.startswith("INS-") for r in defect.also_breaks) and not defect.fails & defect.also_breaks, name


def test_a_vague_2_only_doit_needs_its_deciding_code_and_negative_proof_all_the_same():
    catalogue = Catalogue([Requirement("MSS-901", "MSS", "Ajoutée par la vague 2.", "DOIT", "s", waves=(2,))])
    (link,) = link_requirements(catalogue, Coverage({}, {}), {}, {}, {})
    assert link.waves == (2,) and link.to_dict()["vagues"] == [2] and len(link.gaps()) == 2
