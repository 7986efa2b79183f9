"""DMP-56 is a setting (mapping.toml [xdm_without_ins], UNVERIFIED): it can be switched off or given another type."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from dui_conformance.model import Outcome
from dui_conformance.xds import check_xdm, check_xdm_data, xdm_documents
from dui_conformance.xds.expected import mapping

from ...support.make_xds_fixtures import DLU, DSIG, XSL, _set_everywhere, detached_signature, xdm

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "xds"


def _dmp56(name: str):
    return [f for f in check_xdm(str(FIXTURES / name)) if f.requirement == "DMP-56"]


@pytest.fixture
def rule(monkeypatch):
    def change(**values):
        for key, value in values.items():
            monkeypatch.setitem(mapping()["xdm_without_ins"], key, value)

    return change


def test_switched_off_the_rule_is_not_applicable(rule):
    rule(required=False)
    [finding] = _dmp56("xdm-sans-ins-type-nh.zip")
    assert finding.outcome is Outcome.OMIT and "required = false" in finding.message


def test_the_local_type_code_is_read_from_the_mapping(rule):
    assert [f.outcome for f in _dmp56("xdm-sans-ins-valide.zip")] == [Outcome.PASS]
    rule(type_code="MR")
    [finding] = _dmp56("xdm-sans-ins-valide.zip")
    assert finding.outcome is Outcome.FAIL and "« PI » au lieu de MR" in finding.message


def test_with_an_ins_no_local_identifier_is_asked():
    assert [f.outcome for f in _dmp56("xdm-valide.zip")] == [Outcome.OMIT]


def _findings(data: bytes, requirement: str, outcome: Outcome | None = None):
    return [
        f
        for f in check_xdm_data(data, "IHE_XDM.ZIP")
        if f.requirement == requirement and (outcome is None or f.outcome is outcome)
    ]


def test_metadata_that_is_a_soap_envelope_says_what_it_holds_and_what_is_expected():
    [finding] = _findings((FIXTURES / "xdm-metadata-soap.zip").read_bytes(), "DMP-51", Outcome.FAIL)
    for words in ("enveloppe SOAP 1.2", "ProvideAndRegisterDocumentSetRequest", "WS-Addressing", "assertion SAML"):
        assert words in finding.message
    assert "attendu : un lcm:SubmitObjectsRequest" in finding.message and "ITI-32" in finding.message
    assert finding.location.file.endswith("!IHE_XDM/SUBSET01/METADATA.XML") and finding.location.xpath


def test_metadata_of_another_xml_root():
    data = xdm(metadata=lambda submit: b"<RegistryObjectList/>")
    [finding] = _findings(data, "DMP-51", Outcome.FAIL)
    assert "racine « RegistryObjectList » (espace de noms aucun)" in finding.message


def test_stylesheets_and_signatures_are_not_documents_to_check_as_cda():
    assert list(xdm_documents((FIXTURES / "xdm-feuille-de-style.zip").read_bytes())) == ["IHE_XDM/SUBSET01/DOC0001.XML"]
    assert list(xdm_documents((FIXTURES / "xdm-signature.zip").read_bytes())) == ["IHE_XDM/SUBSET01/DOC0001.XML"]
    # a stylesheet no document calls is not a resource: the run says « document non reconnu » (GEN-01)
    assert "IHE_XDM/SUBSET01/AUTRE.XSL" in xdm_documents((FIXTURES / "xdm-xsl-orpheline.zip").read_bytes())


def test_an_undeclared_signature_file_is_still_checked_as_a_document():
    signed = detached_signature()(DLU.read_bytes(), "1.2.3")
    members = xdm_documents(xdm(files={"IHE_XDM/SUBSET01/SIGN0001.XML": signed}))
    assert "IHE_XDM/SUBSET01/SIGN0001.XML" in members


def _c14n_signature(reference: str, exclusive: bool = True):
    """A detached signature whose reference digests the canonical form of the document (a c14n transform)."""

    def make(cda: bytes, unique_id: str) -> bytes:
        canonical = etree.tostring(
            etree.fromstring(cda).getroottree(), method="c14n", exclusive=exclusive, with_comments=False
        )
        plain = detached_signature(reference=reference, digest_of=canonical)(cda, unique_id)
        algorithm = "http://www.w3.org/2001/10/xml-exc-c14n#" if exclusive else C14N_10
        transform = f'<ds:Transforms><ds:Transform Algorithm="{algorithm}"/></ds:Transforms>'
        return plain.replace(
            f'<ds:Reference URI="{reference}">'.encode(), f'<ds:Reference URI="{reference}">{transform}'.encode()
        )

    return make


C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"


@pytest.mark.parametrize("exclusive", [True, False])
def test_signature_by_file_name_in_another_case_with_a_c14n_digest(exclusive):
    data = xdm(signature=_c14n_signature("doc0001.xml", exclusive))
    assert not [f for f in check_xdm_data(data, "IHE_XDM.ZIP") if f.outcome is Outcome.FAIL]
    [signed] = [f for f in _findings(data, "DMP-51", Outcome.PASS) if f.message.startswith("Signature")]
    assert "signe DOC0001.XML" in signed.message


def test_signature_digest_over_another_canonical_form_fails():
    data = xdm(signature=_c14n_signature("urn:oid:1.2.250.1.213.1.1.9.1", True))
    # the reference names no entry of this archive (another uniqueId): no digest to compare, DMP-51 fails
    assert _findings(data, "DMP-51", Outcome.FAIL)
    assert not _findings(data, "DMP-50", Outcome.FAIL)


def test_signature_entry_that_is_not_a_signature():
    data = xdm(signature=lambda cda, unique_id: b"<pas-une-signature/>")
    [finding] = [f for f in _findings(data, "DMP-51", Outcome.FAIL) if "déclarée signature" in f.message]
    assert "racine « pas-une-signature »" in finding.message


def test_unsafe_signature_file_is_a_gen02_finding():
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><ds:Signature xmlns:ds="' + DSIG.encode() + b'"/>'
    data = xdm(signature=lambda cda, unique_id: doctype)
    assert _findings(data, "GEN-02", Outcome.FAIL)


def test_case_resolution_and_language_tag_case():
    data = (FIXTURES / "xdm-casse.zip").read_bytes()
    assert not [f for f in check_xdm_data(data, "IHE_XDM.ZIP") if f.outcome is Outcome.FAIL]
    [codes] = _findings(data, "DMP-47", Outcome.PASS)
    assert "languageCode" in codes.message
    assert [f.outcome for f in _findings(data, "DMP-50")] == [Outcome.PASS]  # the document was found and hashed


def test_lying_archive_is_never_said_readable():
    findings = _findings((FIXTURES / "xdm-menteuse.zip").read_bytes(), "DMP-52")
    assert [f.outcome for f in findings] == [Outcome.FAIL]
    assert "NOTES.TXT" in findings[0].message and "mensongère" in findings[0].message


def test_a_declared_stylesheet_is_a_resource_by_its_format_or_its_content():
    assert list(xdm_documents((FIXTURES / "xdm-feuille-de-style-declaree.zip").read_bytes())) == [
        "IHE_XDM/SUBSET01/DOC0001.XML"
    ]
    # without the CI-SIS formatCode (the DLU's codes copied), an XSLT file is still told apart from a CDA
    data = xdm(
        stylesheet=XSL, mutate=lambda submit: _set_everywhere(submit, "urn:ans:ci-sis:feuille-de-style:2023", "x")
    )
    assert not [f for f in check_xdm_data(data, "IHE_XDM.ZIP") if f.outcome is Outcome.FAIL]
    assert [f.message for f in _findings(data, "DMP-51", Outcome.PASS) if "FeuilleDeStyle01" in f.message]
