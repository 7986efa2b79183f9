"""INS-12 (CDA recordTarget): where the INS sits in a CDA header."""

import pytest

from dui_conformance.ins import check_cda_record_target, check_document, read_identities
from dui_conformance.model import Outcome
from dui_conformance.xmlsafe import parse_xml

from .conftest import FIXTURES, document, failing

VALID_CDA = (FIXTURES / "cda/ins/ins_valide_nom_compose.xml").read_text("utf-8")


def cda_findings(text):
    return check_cda_record_target(parse_xml(text.encode(), "mem.xml"))


def test_cda_valid():
    assert {f.outcome for f in cda_findings(VALID_CDA)} == {Outcome.PASS}


@pytest.mark.parametrize(
    "old, new, trait_req",
    [
        ("<county>21231</county>", "", "INS-09"),
        ('<birthTime value="19420714"/>', "", "INS-07"),
        ('<given qualifier="BR">JEAN-BAPTISTE</given>', "", "INS-06"),
        ("<given>JEAN-BAPTISTE LOUIS MARCEL</given>", "", "INS-06"),
        ('<administrativeGenderCode code="M"', '<administrativeGenderCode nullFlavor="UNK"', "INS-08"),
    ],
)
def test_cda_missing_trait_fails_ins12_and_the_trait_rule(tmp_path, old, new, trait_req):
    assert old in VALID_CDA
    doc = document(tmp_path, "d.xml", VALID_CDA.replace(old, new))
    assert failing(check_document(doc)) == {"INS-12", trait_req}


def test_cda_qualifier_not_allowed():
    text = VALID_CDA.replace('<given qualifier="CL">', '<given qualifier="SP">')
    failures = [f for f in cda_findings(text) if f.outcome is Outcome.FAIL]
    assert len(failures) == 1 and "SP" in failures[0].message and failures[0].location.line


def test_cda_without_ins_or_record_target_is_omitted():
    no_ins = VALID_CDA.replace('root="1.2.250.1.213.1.4.10"', 'root="2.25.1"')
    assert {f.outcome for f in cda_findings(no_ins)} == {Outcome.OMIT}
    assert {f.outcome for f in cda_findings('<ClinicalDocument xmlns="urn:hl7-org:v3"/>')} == {Outcome.OMIT}


INS_ID = '<id extension="142072123104565" root="1.2.250.1.213.1.4.10"/>'
INS_C_ID = '<id extension="0093876492823371705143" root="1.2.250.1.213.1.4.2"/>'


def test_cda_ins_c_before_the_ins_is_not_read_as_the_ins(tmp_path):
    [identity], _ = read_identities(document(tmp_path, "c.xml", VALID_CDA.replace(INS_ID, INS_C_ID + INS_ID)))
    assert (identity.oid, identity.matricule, identity.ins_c) == (
        "1.2.250.1.213.1.4.10",
        "142072123104565",
        "0093876492823371705143",
    )
    assert identity.where["matricule"].xpath.endswith("id[2]/@extension")


def test_cda_ins_c_alone_gets_no_ins_rule(tmp_path):
    text = VALID_CDA.replace(INS_ID, INS_C_ID).replace("<county>21231</county>", "")
    doc = document(tmp_path, "c.xml", text)
    [identity], _ = read_identities(doc)
    assert not identity.carries_ins and identity.ins_c == "0093876492823371705143"
    assert {f.outcome for f in cda_findings(text)} == {Outcome.OMIT}
    findings = check_document(doc)
    assert failing(findings) == set()
    assert [f.requirement for f in findings if "INS-C" in f.message and "obsolète, ce n'est pas" in f.message] == [
        "INS-03"
    ]
