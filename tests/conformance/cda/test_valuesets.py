"""Built-in value sets (cda/valuesets.py): generated from SVS files, complete, versioned."""

from __future__ import annotations

import json
import tomllib

import pytest

from dui_conformance.cda import check_layer
from dui_conformance.cda.valuesets import builtin_data, builtin_value_sets, builtin_version, generate_builtin, read_svs
from dui_conformance.inputs import load
from dui_conformance.model import Outcome

from ...support.cda import FIXTURES, ROOT, SHARED

SVS_DIR = SHARED / "jeuxDeValeurs"
CODES = tomllib.loads((ROOT / "conformance" / "cda" / "codes.toml").read_text(encoding="utf-8"))
shared = pytest.mark.skipif(not SVS_DIR.is_dir(), reason="../shared/ans-examples absent")


def test_every_bound_value_set_is_built_in_and_versioned():
    sets = builtin_value_sets()
    assert {b["value_set"] for b in CODES["binding"]} <= set(sets)
    assert set(CODES["generation"]["value_sets"]) <= set(sets)
    data = builtin_data()
    assert data["source"]["commit"] and data["generated"]
    assert "TestContenuCDA" in builtin_version() and data["source"]["commit"] in builtin_version()
    manual = [s for s in data["value_sets"] if s["origin"] == "hand-written"]
    assert {s["name"] for s in manual} == {"JDV_J57-ClassCode-DMP", "JDV_J60-FormatCode-DMP"}
    assert all(s["fact"] for s in manual)


def test_healthcare_facility_sa99_is_refused(ctx):
    j02 = builtin_value_sets()["1.2.250.1.213.1.1.5.466"]
    assert j02.verdict("SA17", "1.2.250.1.71.4.2.4") is True
    assert j02.verdict("SA99", "1.2.250.1.71.4.2.4") is False
    findings = check_layer(load(FIXTURES / "dmp-27-secteur-sa99.xml"), "Terminologies CI-SIS", ctx)
    bad = [f for f in findings if f.outcome is Outcome.FAIL]
    assert [f.requirement for f in bad] == ["DMP-27"] and "SA99" in bad[0].message


@shared
def test_every_code_of_the_shared_svs_files_is_accepted():
    sets = builtin_value_sets()
    found = [svs for svs in read_svs(SVS_DIR)[0] if svs.oid in CODES["generation"]["value_sets"]]
    assert len(found) == 8  # J01, J02, J04, J07, J08, J11, J142, J143 (J57, J60 are not in TestContenuCDA)
    for svs in found:
        for code, system in svs.codes:
            assert sets[svs.oid].verdict(code, system) is True, (svs.name, code, system)


@shared
def test_generated_file_is_what_the_script_writes_from_the_shared_folder():
    data = generate_builtin(
        SVS_DIR, CODES["generation"]["value_sets"], CODES["value_set"], builtin_data()["source"]["name"]
    )
    committed = builtin_data()
    assert data["value_sets"] == committed["value_sets"]
    assert data["source"]["commit"] == committed["source"]["commit"]


def test_generation_refuses_a_set_found_nowhere(tmp_path):
    with pytest.raises(ValueError, match="1.2.3.4"):
        generate_builtin(tmp_path, ["1.2.3.4"], [], "vide", commit="0" * 40)


def test_generation_records_the_commit_of_a_source_commit_file(tmp_path):
    svs = tmp_path / "jeuxDeValeurs"
    svs.mkdir()
    (tmp_path / "SOURCE_COMMIT").write_text("abc123\n")
    (svs / "JDV_X.xml").write_text(
        '<RetrieveValueSetResponse xmlns="urn:ihe:iti:svs:2008"><ValueSet id="1.2.3" revisionDate="2024-01-01">'
        '<ConceptList><Concept code="A" codeSystem="9.9"/></ConceptList></ValueSet></RetrieveValueSetResponse>'
    )
    data = generate_builtin(svs, ["1.2.3"], [{"oid": "7.7", "name": "J_MAIN", "source": "fait §1"}], "essai")
    assert data["source"]["commit"] == "abc123"
    assert data["value_sets"][0] == {
        "oid": "1.2.3",
        "name": "JDV_X",
        "origin": "svs",
        "file": "JDV_X.xml",
        "revision": "2024-01-01",
        "codes": {"9.9": ["A"]},
    }
    assert data["value_sets"][1]["origin"] == "hand-written" and data["value_sets"][1]["fact"] == "fait §1"
    json.dumps(data)  # serialisable as written by the script
