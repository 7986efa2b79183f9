"""INS-12 (CDA recordTarget): where the INS sits in a CDA header."""

import pytest

from dui_conformance.ins import check_cda_record_target, check_document
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
