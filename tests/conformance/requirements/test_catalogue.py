"""The requirement catalogue is well-formed data and the plan covers it."""

from __future__ import annotations

import pytest

from dui_conformance.cda.context import load_models
from dui_conformance.live.ins import RNIV
from dui_conformance.model import Outcome, failed, passed
from dui_conformance.requirements import PROFILES, load_catalogue
from dui_conformance.requirements.catalogue import (
    Catalogue,
    CatalogueError,
    Requirement,
    check_wave,
    grade,
    run_catalogue,
)
from dui_conformance.requirements.coverage import scan_features
from dui_conformance.runner import FEATURES_DIR
from dui_conformance.xds.expected import mapping


def test_catalogue_loads_with_unique_ids():
    catalogue = load_catalogue()
    ids = [r.id for r in catalogue]
    assert len(ids) == len(set(ids)) and "INS-01" in catalogue and "GEN-01" in catalogue
    for req in catalogue:
        assert req.statement and req.source and set(req.blocking) <= set(PROFILES)


def test_extra_catalogue_is_validated(tmp_path):
    (tmp_path / "x.toml").write_text(
        '[[requirement]]\nid = "INS-01"\nservice = "INS"\nstatement = "d"\nlevel = "DOIT"\nsource = "s"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="deux fois"):
        load_catalogue([tmp_path])
    (tmp_path / "x.toml").write_text(
        '[[requirement]]\nid = "INS-900"\nservice = "INS"\nstatement = "d"\nlevel = "DEVRAIT"\nsource = "s"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="niveau"):
        load_catalogue([tmp_path])


def test_every_scenario_tag_names_a_catalogued_requirement():
    coverage = scan_features(FEATURES_DIR, load_catalogue())
    assert coverage.unknown_tags == {}


def test_every_blocking_requirement_has_a_scenario():
    catalogue = load_catalogue()
    coverage = scan_features(FEATURES_DIR, catalogue)
    missing = [r.id for r in catalogue if r.blocking and not coverage.scenarios_by_requirement.get(r.id)]
    assert missing == []


def test_every_requirement_blocks_by_the_one_principle():
    """A PEUT never blocks; bac-a-sable blocks on what breaks the exchange; recette and homologation
    on every DOIT (README « Parcours par profil », header of catalogue/gen.toml)."""
    catalogue = load_catalogue()
    for req in catalogue:
        expected = {
            "bac-a-sable": req.level == "DOIT" and req.breaks_exchange,
            "recette": req.level == "DOIT",
            "homologation": req.level == "DOIT",
        }
        assert {p: req.blocks(p) for p in PROFILES} == expected, req.id
    assert any(r.level == "PEUT" for r in catalogue) and any(r.breaks_exchange for r in catalogue)
    # what breaks the exchange is a DOIT, never a PEUT
    assert not [r.id for r in catalogue if r.breaks_exchange and r.level != "DOIT"]


def test_a_per_profile_blocking_list_is_refused(tmp_path):
    (tmp_path / "x.toml").write_text(
        '[[requirement]]\nid = "INS-901"\nservice = "INS"\nstatement = "d"\nlevel = "DOIT"\nsource = "s"\n'
        'blocking = ["homologation"]\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="principe"):
        load_catalogue([tmp_path])


@pytest.mark.parametrize("waves", ["[]", "[3]", "[1, 4]", "3", '"2"'])
def test_waves_outside_the_segur_waves_are_refused(tmp_path, waves):
    (tmp_path / "x.toml").write_text(
        '[[requirement]]\nid = "INS-902"\nservice = "INS"\nstatement = "d"\nlevel = "DOIT"\nsource = "s"\n'
        f"vagues = {waves}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="vagues"):
        load_catalogue([tmp_path])


def test_a_requirement_without_waves_belongs_to_both():
    assert load_catalogue()["INS-01"].waves == (1, 2)


WAVED = Catalogue(
    [
        Requirement("INS-01", "INS", "Des deux vagues.", "DOIT", "s"),
        Requirement("INS-901", "INS", "Ajoutée par la vague 2.", "DOIT", "s", waves=(2,)),
        Requirement("INS-902", "INS", "Vague 1 seulement.", "PEUT", "s", waves=(1,)),
    ]
)


@pytest.mark.parametrize(("wave", "judged"), [(1, ["INS-01", "INS-902"]), (2, ["INS-01", "INS-901"])])
def test_a_wave_selects_its_requirements(wave, judged):
    catalogue = WAVED.in_wave(wave)
    assert [r.id for r in catalogue] == judged
    assert catalogue.judged(["INS-01", "INS-901", "INS-902", "XYZ-01"]) == [*judged, "XYZ-01"]  # unknown: kept


def test_a_scenario_is_outside_the_wave_when_every_requirement_it_names_is():
    vague1 = WAVED.in_wave(1)
    assert vague1.outside_wave(["INS-901"])
    assert not vague1.outside_wave(["INS-901", "INS-01"])  # a mixed scenario runs, judging what the wave judges
    assert not vague1.outside_wave([])  # no requirement tag: never left out for the wave
    assert not vague1.outside_wave(["XYZ-01"]) and not WAVED.outside_wave(["INS-901"])


def test_findings_about_another_waves_requirement_are_dropped_when_graded():
    findings = [failed("INS-01", "x"), failed("INS-901", "y"), failed("INS-902", "z"), failed("XYZ-01", "w")]
    graded = WAVED.in_wave(1).grade(findings)
    assert [(f.requirement, f.outcome) for f in graded] == [
        ("INS-01", Outcome.FAIL),
        ("INS-902", Outcome.ADVISORY),  # still graded by its level
        ("XYZ-01", Outcome.FAIL),  # unknown to every wave: left for the roll-up to report
    ]
    assert len(WAVED.grade(findings)) == 4  # the whole catalogue drops nothing


@pytest.mark.parametrize("wave", [0, 3, "1", True, None])
def test_an_unknown_wave_is_refused_in_french(wave):
    with pytest.raises(CatalogueError, match="inconnue : attendue 1 ou 2"):
        check_wave(wave)
    with pytest.raises(CatalogueError):
        WAVED.in_wave(wave)  # type: ignore[arg-type]


def test_the_run_catalogue_of_a_wave(tmp_path):
    (tmp_path / "v2.toml").write_text(
        '[[requirement]]\nid = "INS-903"\nservice = "INS"\nstatement = "d"\nlevel = "DOIT"\nsource = "s"\n'
        "vagues = [2]\n",
        encoding="utf-8",
    )
    assert "INS-903" in run_catalogue((str(tmp_path),)) and "INS-903" in run_catalogue((str(tmp_path),), 2)
    assert "INS-903" not in run_catalogue((str(tmp_path),), 1) and "INS-01" in run_catalogue((str(tmp_path),), 1)


STATEMENTS = {r.id: r.statement for r in load_catalogue()}


def test_dmp22_lists_every_section_the_dlu_check_requires():
    dlu = next(m for m in load_models() if m["key"] == "DLU")
    missing = [s["loinc"] for s in dlu["sections"] if s["loinc"] not in STATEMENTS["DMP-22"]]
    assert not missing, f"DMP-22 n'énumère pas les sections {missing} que la vérification exige"


def test_ins24_and_ins25_name_the_rniv_statuses_their_checks_use():
    assert set(RNIV.values()) == {"PROV", "RECUP", "VALI", "QUAL"}
    assert all(status in STATEMENTS["INS-25"] for status in RNIV.values())
    assert all(status in STATEMENTS["INS-24"] for status in ("VALI", "PROV"))


@pytest.mark.parametrize("attribute", mapping()["vihf"]["required"])
def test_dmp44_lists_every_required_vihf_attribute(attribute):
    assert attribute.rsplit(":", 1)[-1] in STATEMENTS["DMP-44"]


def test_the_level_grades_a_finding_never_the_check():
    """Every PEUT of the catalogue: its failure is an avertissement; a DOIT's stays a failure; an id the catalogue does
    not know is left as found (the roll-up refuses it)."""
    catalogue = load_catalogue()
    peut = [r.id for r in catalogue if r.level == "PEUT"]
    assert {"DMP-55", "DMP-56", "INS-15", "INS-16", "INS-28", "INS-29"} <= set(peut)
    found = [failed(rid, "enfreinte") for rid in peut] + [failed("DMP-60", "échec"), passed("DMP-55", "ok")]
    graded = catalogue.grade([*found, failed("XYZ-01", "inconnue")])
    assert [f.outcome for f in graded] == [Outcome.ADVISORY] * len(peut) + [Outcome.FAIL, Outcome.PASS, Outcome.FAIL]
    assert grade(found) == graded[:-1]  # the built-in catalogue, for checks that wrap other checks' findings
