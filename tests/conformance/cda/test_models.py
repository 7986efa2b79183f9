"""Document models (cda/models.py): a retired model version is named in the model's findings; the document
code is shown as found, never as None."""

from __future__ import annotations

from dui_conformance.cda import CdaContext
from dui_conformance.cda.models import check_models
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.model import Outcome
from dui_conformance.xmlsafe import parse_xml

DLU = (FIXTURES_DIR / "cda" / "dmp" / "dlu-valide.xml").read_text("utf-8")
CURRENT = '<templateId root="1.2.250.1.213.1.1.1.22" extension="2022.01"/>'


def findings(text: str):
    return check_models(parse_xml(text.encode(), "dlu.xml"), CdaContext.build())


def test_current_version_adds_no_note():
    assert all("retirée" not in f.message for f in findings(DLU))


def test_retired_version_is_named_in_every_finding_of_the_model():
    assert CURRENT in DLU
    old = DLU.replace(CURRENT, CURRENT.replace("2022.01", "2021.01")).replace('<participant typeCode="INF">', "<x>", 1)
    old = old.replace("</participant>", "</x>", 1)  # the médecin traitant participant gone: DMP-21 fails
    out = findings(old)
    [failure] = [f for f in out if f.outcome is Outcome.FAIL]
    assert failure.requirement == "DMP-21"
    assert all("version « 2021.01 » du modèle DLU" in f.message and "2022.01" in f.message for f in out)


def test_missing_document_code_is_not_none():
    text = DLU.replace('<code code="74207-2"', '<code nullFlavor="UNK" x="74207-2"', 1)
    [failure] = [f for f in findings(text) if f.requirement == "DMP-19"]
    assert "None" not in failure.message and "rien (attribut absent)" in failure.message
