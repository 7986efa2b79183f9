"""The official-id mapping is validated data, cites only ids its source names, and lists what stays uncovered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dui_conformance.requirements import load_catalogue
from dui_conformance.requirements.official import (
    VA2_FAMILIES,
    OfficialError,
    family,
    format_uncovered,
    load_official,
    parse_official,
    uncovered,
    uncovered_report,
)
from dui_conformance.requirements.rem import RemRequirement

REPO = Path(__file__).resolve().parents[3]
REFERENCE = REPO.parent / "shared" / "reference"
HEAD = """
[referential.va2]
name = "SC vague 2"
version = "2022"
status = "projet"
provisoire = true
source = "s"
reference = "vague2-and-tools.md"

[[official]]
id = "SC.PSC.08"
referential = "va2"
"""


@pytest.fixture(scope="module")
def official():
    return load_official(load_catalogue())


def test_builtin_mapping_loads_and_covers_catalogue_rows(official):
    (acr,) = [m for m in official.of("PSC-01") if m.official.id == "SC.PSC.08"]
    assert acr.to_dict()["status"] == "projet" and acr.to_dict()["provisoire"] is True
    assert (
        acr.to_dict()["referential"] == "SC vague 2 Squash export" and acr.to_dict()["draft_status"] == "UNDER_REVIEW"
    )
    assert {m.official.id for m in official.of("MSS-04")} == {"SC.MSS/CONF.14", "ECO.2.4.2"}
    assert all(m.note for m in official.mappings if m.status == "non verifie")


def test_catalogue_official_ids_are_in_the_mapping(official):
    """A catalogue row's own official_id field must be one of its mapped official ids."""
    for req in load_catalogue():
        if req.official_id:
            assert req.official_id in {m.official.id for m in official.of(req.id)}, req.id


def test_every_cited_id_is_in_its_reference_file(official):
    if not REFERENCE.is_dir():
        pytest.skip(f"{REFERENCE} absent : identifiants non vérifiés contre leur source")
    texts = {
        ref.reference: (REFERENCE / ref.reference).read_text(encoding="utf-8") for ref in official.referentials.values()
    }
    for oid in official.ids.values():
        assert oid.cite in texts[oid.referential.reference], oid.id
        # the id's last component is in its citation (« SC.DMP/UX.11/12 » cites UX.12; ranges cite their bounds)
        number = re.split(r"[./]", oid.id)[-1]
        bounds = re.findall(r"\d+", oid.cite)
        assert number in oid.cite or int(bounds[-2]) <= int(number) <= int(bounds[-1]), oid.id


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ('[[mapping]]\nrequirement = "PSC-999"\nofficial = "SC.PSC.08"\n', "absente du catalogue"),
        ('[[mapping]]\nrequirement = "PSC-01"\nofficial = "SC.PSC.99"\n', "non déclaré"),
        ('[[mapping]]\nrequirement = "PSC-01"\nofficial = "SC.PSC.08"\n' * 2, "en double"),
        ('[[mapping]]\nrequirement = "PSC-01"\nofficial = "SC.PSC.08"\nstatus = "officiel"\n', "statut 'officiel'"),
        ('[[official]]\nid = "SC.PSC.08"\nreferential = "va2"\n', "deux fois"),
        ('[[official]]\nid = "SC.PSC.09"\nreferential = "va9"\n', "non déclaré"),
        ("[[mapping\n", "TOML illisible"),
        ('[[official]]\nid = "SC.PSC.09"\nreferential = "va2"\ndraft_status = "FINAL"\n', "draft_status 'FINAL'"),
        ('[[mapping]]\nrequirement = "PSC-01"\nofficial = "SC.PSC.08"\ncouverture = "moitie"\n', "couverture 'moitie'"),
    ],
)
def test_invalid_mappings_are_refused(tail, message):
    with pytest.raises(OfficialError, match=re.escape(message)):
        parse_official(HEAD + tail, ["PSC-01"])


def test_judgements_are_partial_coverage(official):
    """A mapping whose note says it is a judgement (partial overlap) says so as data: the report reads ``couverture``,
    not the note."""
    assert {(m.requirement, m.official.id) for m in official.mappings if m.couverture == "partielle"} == {
        (m.requirement, m.official.id) for m in official.mappings if "Jugement" in m.note
    }
    (modes,) = [m for m in official.of("PSC-01") if m.official.id == "SC.PSC.01"]
    assert modes.to_dict()["couverture"] == "partielle"


def test_family():
    assert [
        family(i) for i in ("SC.DMP/UX.07", "SC.MSS.14", "SC. DMP/HISTO.07", "SC.DMP/ALI/PROG.01", "INS/va1.53")
    ] == [
        "SC.DMP",
        "SC.MSS",
        "SC.DMP",
        "SC.DMP",
        "INS",
    ]
    assert uncovered(["SC.PSC.01", "SC.PSC.08", "SC.SSI/GEN.02"], ["SC.PSC.08"]) == {
        "SC.PSC": ["SC.PSC.01"],
        "SC.SSI": ["SC.SSI/GEN.02"],
    }


def test_va2_report_lists_uncovered_by_family_in_french(official):
    report = uncovered_report(official)
    assert set(report["uncovered"]) <= set(VA2_FAMILIES)
    assert "SC.DMP/UX.27" in report["uncovered"]["SC.DMP"] and "SC.PSC.08" in report["covered"]
    assert not {"SC.PSC.08", "SC.MSS.14"} & {i for ids in report["uncovered"].values() for i in ids}
    assert (
        report["draft_status"]["SC.MSS/UX.35"] == "WORK_IN_PROGRESS" and len(report["draft_status"]) == report["total"]
    )
    assert report["total"] == len(report["covered"]) + sum(map(len, report["uncovered"].values()))
    text = "\n".join(format_uncovered(report))
    assert "Référentiel : SC vague 2 Squash export (projet, provisoire)" in text
    assert (
        "qu'aucune exigence du catalogue ne couvre, par famille" in text and "  SC.INS (1) : SC.INS/PSC.01 (A)" in text
    )


def test_rem_report_rekeys_through_va_n_minus_1(official):
    rem = [
        RemRequirement("DUI.PSC.01", "PSC", "acr", "EXIGENCE", (), (), ("SC.PSC.08",)),
        RemRequirement("DUI.PSC.02", "PSC", "autre", "EXIGENCE", (), (), ()),
    ]
    report = uncovered_report(official, rem, "REM-MS-DUI-Va2.xlsx")
    assert report["covered"] == {"DUI.PSC.01": ["PSC-01", "PSC-26"]}
    assert report["uncovered"] == {"DUI.PSC": ["DUI.PSC.02"]}
    assert "Référentiel : REM-MS-DUI-Va2.xlsx (tel que fourni)" in format_uncovered(report)


def test_docs_show_the_current_va2_output(official):
    """docs/referentiels.md quotes `requirements --referentiel va2`: it changes with the mapping."""
    doc = (REPO / "docs" / "referentiels.md").read_text(encoding="utf-8")
    assert "\n".join(format_uncovered(uncovered_report(official))) in doc


def test_a_vendor_file_replaces_the_builtin_mapping(tmp_path):
    catalogue = load_catalogue()
    path = tmp_path / "correspondances.toml"
    path.write_text(HEAD + '[[mapping]]\nrequirement = "PSC-18"\nofficial = "SC.PSC.08"\n', encoding="utf-8")
    assert [m.requirement for m in load_official(catalogue, path).mappings] == ["PSC-18"]
    with pytest.raises(OfficialError, match="illisible"):
        load_official(catalogue, tmp_path / "absent.toml")
    path.write_text(HEAD.replace("referential.va2", "referential.autre").replace('"va2"', '"autre"'), encoding="utf-8")
    with pytest.raises(OfficialError, match="ne déclarent pas le référentiel va2"):
        uncovered_report(load_official(catalogue, path))
