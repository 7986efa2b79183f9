"""Regenerate fixtures/xds/ (synthetic people only): python tests/support/make_xds_fixtures.py [folder]

Each defective fixture changes one thing in the valid ITI-41 request or XDM archive, so that
exactly the requirement ids listed in fixtures/xds/MANIFEST.toml fail.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import random
import sys
import uuid
import zipfile
from pathlib import Path

from lxml import etree

from dui_conformance.xds import build, ebrim
from dui_conformance.xds.ebrim import NS
from dui_conformance.xds.expected import expected_entry
from dui_conformance.xmlsafe import parse_xml

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "xds"
DLU = OUT.parent / "cda" / "dmp" / "dlu-valide.xml"
INS = "247037511412331"  # test INS: F, born 1947-03 in Paris 14e (75114); key = 97 − (13 digits mod 97)
OTHER_INS = "152069938507182"
TEST_OID = "1.2.250.1.213.1.4.10"
PID_SUFFIX = f"^^^&{TEST_OID}&ISO^NH"

CDA = """<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <realmCode code="FR"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="2.16.840.1.113883.2.8.2.1"/>
  <templateId root="1.2.250.1.213.1.1.1.1"/>
  <templateId root="1.2.250.1.213.1.1.1.22" extension="2022.01"/>
  <id root="{doc_id}"/>
  <code code="74207-2" codeSystem="2.16.840.1.113883.6.1" displayName="Dossier de liaison d'urgence"/>
  <title>DOSSIER DE LIAISON D'URGENCE</title>
  <effectiveTime value="20240312103000+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25" displayName="Normal"/>
  <languageCode code="fr-FR"/>
  <setId root="1.2.250.1.999.1.1.20240312"/>
  <versionNumber value="{version}"/>
  <recordTarget>
    <patientRole>
      <id root="{oid}" extension="{ins}"/>
      <patient classCode="PSN">
        <name>
          <family qualifier="BR">FICTIVE</family>
          <given>MARIE LOUISE</given>
          <given qualifier="BR">MARIE</given>
        </name>
        <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
        <birthTime value="19470315"/>
        <birthplace><place><addr><county>75114</county></addr></place></birthplace>
      </patient>
    </patientRole>
  </recordTarget>
  <author>
    <time value="20240312103000+0100"/>
    <assignedAuthor>
      <id root="1.2.250.1.71.4.2.1" extension="801234567897"/>
      <code code="G15_10/SM26" codeSystem="1.2.250.1.213.1.1.4.5" displayName="Médecin - Qualifié en Médecine Générale (SM)"/>
      <assignedPerson><name><given>Paul</given><family>EXEMPLE</family></name></assignedPerson>
      <representedOrganization>
        <id root="1.2.250.1.71.4.2.2" extension="1999999999"/>
        <name>EHPAD FICTIF DES TESTS</name>
        <standardIndustryClassCode code="ESSMS" codeSystem="1.2.250.1.213.1.1.4.9" displayName="Etablissement ou Service Social ou Médico-Social"/>
      </representedOrganization>
    </assignedAuthor>
  </author>
  <custodian><assignedCustodian><representedCustodianOrganization>
    <id root="1.2.250.1.71.4.2.2" extension="1999999999"/><name>EHPAD FICTIF DES TESTS</name>
  </representedCustodianOrganization></assignedCustodian></custodian>
  <legalAuthenticator>
    <time value="20240312103000+0100"/>
    <signatureCode code="S"/>
    <assignedEntity>
      <id root="1.2.250.1.71.4.2.1" extension="801234567897"/>
      <assignedPerson><name><given>Paul</given><family>EXEMPLE</family></name></assignedPerson>
    </assignedEntity>
  </legalAuthenticator>
  <documentationOf><serviceEvent>
    <code code="34117-2" codeSystem="2.16.840.1.113883.6.1" displayName="Historique et clinique"/>
    <effectiveTime><low value="20240312100000+0100"/><high value="20240312103000+0100"/></effectiveTime>
  </serviceEvent></documentationOf>
  <componentOf><encompassingEncounter>
    <code code="AMB" codeSystem="2.16.840.1.113883.5.4"/>
    <effectiveTime><low value="20240312100000+0100"/></effectiveTime>
    <location><healthCareFacility>
      <code code="SA17" codeSystem="1.2.250.1.71.4.2.4" displayName="Etablissement pour personnes âgées"/>
    </healthCareFacility></location>
  </encompassingEncounter></componentOf>
  <component><structuredBody><component><section>
    <code code="48765-2" codeSystem="2.16.840.1.113883.6.1" displayName="Allergies et intolérances"/>
    <title>Allergies</title><text>Aucune allergie connue (données fictives).</text>
  </section></component></structuredBody></component>
</ClinicalDocument>
"""


def synthetic_cda(doc_id: str = "1.2.250.1.999.1.1.20240312.1", version: int = 1, ins: str = INS) -> bytes:
    return CDA.format(doc_id=doc_id, version=version, oid=TEST_OID, ins=ins).encode("utf-8")


def expected(data: bytes):
    return expected_entry(parse_xml(data, "cda.xml"), data)


def patient_id(ins: str = INS) -> str:
    return ins + PID_SUFFIX


def iti41(
    mutate=None,
    vihf_mutate=None,
    soap_ns=ebrim.SOAP12,
    cda: bytes | None = None,
    inline: bool = False,
    href: str | None = None,
    replaces=None,
) -> tuple[str, bytes]:
    """The valid request, with an optional change to the ProvideAndRegister tree or the VIHF attributes."""
    cda = cda or synthetic_cda()
    exp = expected(cda)
    submit = build.submit_objects_request([("Document01", exp)], replaces=replaces)
    cid = "doc1@dui-conformance"
    body = build.provide_and_register(submit, {"Document01": cid})
    if mutate:
        mutate(body)
    if inline:
        doc = body.find(f"{{{ebrim.XDSB}}}Document")
        doc.remove(doc[0])
        import base64

        doc.text = base64.b64encode(cda).decode()
    if href:
        body.find(f"{{{ebrim.XDSB}}}Document")[0].set("href", href)
    attrs = build.default_vihf(exp.patient_id)
    if vihf_mutate:
        vihf_mutate(attrs)
    envelope = build.soap_envelope(
        body, build.ITI41_ACTION, "http://127.0.0.1/dmp/iti41", build.vihf_assertion(attrs), soap_ns
    )
    if inline:
        return "application/soap+xml; charset=UTF-8", envelope
    return build.mtom(envelope, {cid: (cda, "text/xml")}, build.ITI41_ACTION, boundary="MIMEBoundary_fixture")


def capture(content_type: str, body: bytes) -> bytes:
    """A saved request as the harness reads it: the Content-Type header, a blank line, the body."""
    if content_type.startswith("application/soap+xml"):
        return body
    return f"Content-Type: {content_type}\r\n\r\n".encode() + body


def _first(node, expr):
    return node.xpath(expr, namespaces=NS)[0]


def _set_everywhere(body, old: str, new: str) -> None:
    for node in body.iter():
        for key, value in node.attrib.items():
            if old in value:
                node.set(key, value.replace(old, new))
        if node.text and old in node.text:
            node.text = node.text.replace(old, new)


def _slot(body, name: str):
    return _first(body, f"//rim:ExtrinsicObject/rim:Slot[@name='{name}']/rim:ValueList/rim:Value")


def _drop_has_member(body):
    assoc = _first(body, f"//rim:Association[@associationType='{ebrim.HAS_MEMBER}']")
    assoc.getparent().remove(assoc)


def _wrong_patient(body):
    _set_everywhere(body, INS, OTHER_INS)


def _wrong_class(body):
    _first(body, f"//rim:Classification[@classificationScheme='{ebrim.DE_CLASS}']").set("nodeRepresentation", "10")


def _class_outside_j57(body):
    _first(body, f"//rim:Classification[@classificationScheme='{ebrim.DE_CLASS}']").set("nodeRepresentation", "99")


def _local_time(body):
    _slot(body, "creationTime").text = "20240312103000"


def _wrong_legal(body):
    _slot(body, "legalAuthenticator").text = "899999999999^AUTRE^Jean^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"


def _wrong_hash(body):
    _slot(body, "hash").text = "0" * 40


def _doctype(ct_body):
    content_type, body = ct_body
    return content_type, body.replace(
        b"<?xml version='1.0' encoding='UTF-8'?>",
        b"<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>",
        1,
    )


def _vihf_drop(name):
    return lambda attrs: attrs.pop(name)


def _vihf_other_patient(attrs):
    attrs["urn:oasis:names:tc:xacml:2.0:resource:resource-id"] = patient_id(OTHER_INS)


ITI41 = {
    "iti41-valide.mtom": {},
    "iti41-soap11.mtom": {"soap_ns": ebrim.SOAP11},
    "iti41-non-mtom.xml": {"inline": True},
    "iti41-xop-casse.mtom": {"href": "cid:absent@dui-conformance"},
    "iti41-sans-hasmember.mtom": {"mutate": _drop_has_member},
    "iti41-rplc-invalide.mtom": {"replaces": {"Document01": "Document00"}},
    "iti41-vihf-incomplet.mtom": {"vihf_mutate": _vihf_drop("LPS_Nom")},
    "iti41-vihf-autre-patient.mtom": {"vihf_mutate": _vihf_other_patient},
    "iti41-patientid-faux.mtom": {
        "mutate": _wrong_patient,
        "vihf_mutate": lambda a: a.update({"urn:oasis:names:tc:xacml:2.0:resource:resource-id": patient_id(OTHER_INS)}),
    },
    "iti41-classcode-faux.mtom": {"mutate": _wrong_class},
    "iti41-classcode-hors-j57.mtom": {"mutate": _class_outside_j57},
    "iti41-date-locale.mtom": {"mutate": _local_time},
    "iti41-auteur-faux.mtom": {"mutate": _wrong_legal},
    "iti41-hash-faux.mtom": {"mutate": _wrong_hash},
}


def xdm(
    files: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    mutate=None,
    extra=(),
    cda: bytes | None = None,
    signature=None,
    stylesheet: bytes | None = None,
    metadata=None,
    after=None,
) -> bytes:
    """The valid IHE_XDM.ZIP, optionally without some members, with METADATA.XML changed, or extra raw entries.

    Its document is the valid DLU of fixtures/cda/dmp: the CDA inside an archive runs the CDA and INS scenarios too.
    ``signature(cda, uniqueId)`` → ds:Signature bytes: declared as a second DocumentEntry (IHE DSG detached
    signature, SIGN0001.XML); ``stylesheet``: FEUILLE_DE_STYLE.XSL declared as a DocumentEntry (CI-SIS formatCode),
    which the CDA calls; ``metadata(submit)`` → METADATA.XML bytes; ``after(archive)`` → archive bytes."""
    cda = cda or (stylesheet_cda(CISIS_STYLESHEET) if stylesheet else DLU.read_bytes())
    exp = expected(cda)
    submit = build.submit_objects_request([("Document01", exp)], uris={"Document01": "DOC0001.XML"})
    members = {
        "INDEX.HTM": b"<html><body><p>Document de liaison d'urgence (fictif) : "
        b'<a href="IHE_XDM/SUBSET01/DOC0001.XML">DOC0001.XML</a></p></body></html>\n',
        "README.TXT": b"Support IHE XDM produit par un DUI de test (donnees fictives).\r\n",
        "IHE_XDM/SUBSET01/METADATA.XML": b"",
        "IHE_XDM/SUBSET01/DOC0001.XML": cda,
    }
    if signature:
        signed = signature(cda, exp.unique_id)
        _declare(submit, exp, "Signature01", "SIGN0001.XML", signed, SIGNATURE_CODES)
        submit.find(f"{{{ebrim.RIM}}}RegistryObjectList").append(
            build.association(ebrim.SIGNS, "Signature01", "Document01")
        )
        members["IHE_XDM/SUBSET01/SIGN0001.XML"] = signed
    if stylesheet is not None:
        _declare(submit, exp, "FeuilleDeStyle01", CISIS_STYLESHEET, stylesheet, STYLESHEET_CODES)
        members[f"IHE_XDM/SUBSET01/{CISIS_STYLESHEET}"] = stylesheet
    if mutate:
        mutate(submit)
    members["IHE_XDM/SUBSET01/METADATA.XML"] = (
        metadata(submit) if metadata else etree.tostring(submit, xml_declaration=True, encoding="UTF-8")
    )
    members.update(files or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if name not in drop:
                info = zipfile.ZipInfo(name, date_time=(2024, 3, 12, 10, 30, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        for name, data in extra:
            info = zipfile.ZipInfo(name, date_time=(2024, 3, 12, 10, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return after(out.getvalue()) if after else out.getvalue()


# IHE DSG detached signature (ITI TF-3 §5.5): a DocumentEntry of its own, text/xml, formatCode
# urn:ihe:iti:dsg:detached:2014, whose ds:Manifest references each signed document by urn:oid:<uniqueId>
# with the SHA-256 of its octets, and an association « signs » to the signed entry.
SIGNATURE_FORMAT = "urn:ihe:iti:dsg:detached:2014"
DSIG = "http://www.w3.org/2000/09/xmldsig#"


def detached_signature(reference: str | None = None, digest_of: bytes | None = None):
    """A ds:Signature builder (signature value fictitious: never verified offline) referencing the CDA by
    ``urn:oid:<uniqueId>``, or by ``reference``; its digest is that of ``digest_of`` (default: the CDA)."""

    def make(cda: bytes, unique_id: str) -> bytes:
        digest = base64.b64encode(hashlib.sha256(digest_of if digest_of is not None else cda).digest()).decode()
        uri = reference or f"urn:oid:{unique_id}"
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<ds:Signature xmlns:ds="{DSIG}" Id="signature-0001">
  <ds:SignedInfo>
    <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
    <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
    <ds:Reference URI="#manifest-0001" Type="http://www.w3.org/2000/09/xmldsig#Manifest">
      <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
      <ds:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</ds:DigestValue>
    </ds:Reference>
  </ds:SignedInfo>
  <ds:SignatureValue>ZmljdGlm</ds:SignatureValue>
  <ds:Object>
    <ds:Manifest Id="manifest-0001">
      <ds:Reference URI="{uri}">
        <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
        <ds:DigestValue>{digest}</ds:DigestValue>
      </ds:Reference>
    </ds:Manifest>
  </ds:Object>
</ds:Signature>
""".encode()

    return make


SIGNATURE_CODES = {
    "mime_type": "text/xml",
    "class_code": ebrim.Code("urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1", "URN", "Signature"),
    "type_code": ebrim.Code("E1762", "ASTM", "Full Document"),
    "format_codes": (ebrim.Code(SIGNATURE_FORMAT, "1.3.6.1.4.1.19376.1.2.3", "Signature détachée"),),
    "title": "Signature",
}
# CI-SIS JDV_J10: a stylesheet may be declared in the metadata (formatCode urn:ans:ci-sis:feuille-de-style:2023).
CISIS_STYLESHEET = "FEUILLE_DE_STYLE.XSL"
STYLESHEET_CODES = {
    "mime_type": "text/xsl",
    "format_codes": (ebrim.Code("urn:ans:ci-sis:feuille-de-style:2023", None, "Feuille de style"),),
    "title": "Feuille de style",
}


def _declare(submit, exp, entry_id: str, uri: str, data: bytes, codes: dict) -> None:
    """A DocumentEntry for a file that is not the CDA (the document's metadata with ``codes``, the file's own hash,
    size and uniqueId) and its HasMember."""
    unique = f"{exp.unique_id}.{len(_first(submit, 'rim:RegistryObjectList'))}"
    entry = dataclasses.replace(exp, hash=hashlib.sha1(data).hexdigest(), size=len(data), unique_id=unique, **codes)
    rol = _first(submit, "rim:RegistryObjectList")
    rol.append(build.extrinsic_object(entry, entry_id, uri=uri))
    rol.append(build.association(ebrim.HAS_MEMBER, "SubmissionSet01", entry_id, submission_set_status=True))


def lying(name: str, size: int):
    """The archive with ``name`` declaring ``size`` uncompressed bytes in both of its headers (CRC kept): its
    deflate stream goes on far past what it declares."""

    def patch(data: bytes) -> bytes:
        out = bytearray(data)
        for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
            at = out.find(signature)
            while out[at + name_at : at + name_at + len(name)] != name.encode():
                at = out.find(signature, at + 4)
            out[at + size_at : at + size_at + 4] = size.to_bytes(4, "little")
        return bytes(out)

    return patch


def soap_metadata(submit) -> bytes:
    """METADATA.XML holding a whole ITI-41 request (SOAP 1.2, WS-Addressing, VIHF) instead of the
    SubmitObjectsRequest alone: a vendor that saved its DMP request on the media."""
    exp = expected(DLU.read_bytes())
    body = build.provide_and_register(submit, {"Document01": "doc1@dui-conformance"})
    assertion = build.vihf_assertion(build.default_vihf(exp.patient_id))
    return build.soap_envelope(body, build.ITI41_ACTION, "http://127.0.0.1/dmp/iti41", assertion)


def stylesheet_cda(href: str) -> bytes:
    """The valid DLU asking a browser to render it with the stylesheet ``href``."""
    return DLU.read_bytes().replace(b"?>\n", f'?>\n<?xml-stylesheet type="text/xsl" href="{href}"?>\n'.encode(), 1)


XSL = b"""<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:n1="urn:hl7-org:v3">
  <xsl:output method="html"/>
  <xsl:template match="/"><html><body><h1><xsl:value-of select="n1:ClinicalDocument/n1:title"/></h1></body></html>
  </xsl:template>
</xsl:stylesheet>
"""


def dlu_without_ins() -> bytes:
    """The valid DLU whose patientRole keeps only the structure's IPP (an identity not yet qualified)."""
    return DLU.read_bytes().replace(b'      <id root="1.2.250.1.213.1.4.10" extension="248055145412365"/>\n', b"")


def _xdm_wrong_hash(submit):
    _wrong_hash(submit)


def _xdm_wrong_uri(submit):
    _slot(submit, "URI").text = "DOC0002.XML"


def _other_case(submit):
    """The URI and the language tag in another letter case than the member name and the CDA's fr-FR."""
    _slot(submit, "URI").text = "doc0001.xml"
    _slot(submit, "languageCode").text = "FR-fr"


def _other_language(submit):
    _slot(submit, "languageCode").text = "en-US"


XDM = {
    "xdm-valide.zip": {},
    "xdm-sans-readme-index.zip": {"drop": ("README.TXT", "INDEX.HTM")},
    "xdm-traversee.zip": {"extra": (("../../etc/evil.txt", b"x"),)},
    "xdm-bombe.zip": {"extra": (("IHE_XDM/SUBSET01/ZEROS.BIN", bytes(10 * 1024 * 1024)),)},
    "xdm-hash-faux.zip": {"mutate": _xdm_wrong_hash},
    "xdm-uri-absente.zip": {"mutate": _xdm_wrong_uri},
    # the DLU of a resident known by the EHPAD's IPP only (INS removed from the CDA): patientId ^PI, two wrong ones
    "xdm-sans-ins-valide.zip": {"cda": dlu_without_ins()},
    "xdm-sans-ins-type-nh.zip": {
        "cda": dlu_without_ins(),
        "mutate": lambda s: _set_everywhere(s, "&ISO^PI", "&ISO^NH"),
    },
    "xdm-sans-ins-autre-ipp.zip": {
        "cda": dlu_without_ins(),
        "mutate": lambda s: _set_everywhere(s, "IPP000123", "IPP999999"),
    },
    # issue 17 item 3: what a subset legitimately holds besides its documents
    "xdm-feuille-de-style.zip": {
        "cda": stylesheet_cda("cda.xsl"),
        "files": {"IHE_XDM/SUBSET01/CDA.XSL": XSL, "IHE_XDM/SUBSET01/FEUILLE_DE_STYLE.XSL": XSL},
    },
    "xdm-xsl-orpheline.zip": {"files": {"IHE_XDM/SUBSET01/AUTRE.XSL": XSL}},
    "xdm-feuille-de-style-declaree.zip": {"stylesheet": XSL},
    "xdm-feuille-de-style-fausse.zip": {"stylesheet": b"<html><body>pas une feuille de style</body></html>"},
    "xdm-signature.zip": {"signature": detached_signature()},
    "xdm-signature-orpheline.zip": {"signature": detached_signature(reference="urn:oid:1.2.250.1.999.404")},
    "xdm-signature-empreinte-fausse.zip": {"signature": detached_signature(digest_of=b"un autre document")},
    # issue 17 item 4: letter case in URIs and language tags
    "xdm-casse.zip": {"mutate": _other_case},
    "xdm-casse-collision.zip": {"files": {"IHE_XDM/SUBSET01/Doc0001.xml": DLU.read_bytes()}},
    "xdm-langue-differente.zip": {"mutate": _other_language},
    # issue 17 item 8: METADATA.XML that is a saved ITI-41 request
    "xdm-metadata-soap.zip": {"metadata": soap_metadata},
    # issue 21 item 2: a member whose deflate stream runs far past its declared size (bad CRC)
    "xdm-menteuse.zip": {
        "extra": (("IHE_XDM/SUBSET01/NOTES.TXT", b"Notes de transmission (fictives).\n" * 2000),),
        "after": lying("IHE_XDM/SUBSET01/NOTES.TXT", 34),
    },
}


def _deterministic() -> None:
    """Fixed identifiers and clock, so that regenerating gives the committed bytes."""
    rng = random.Random(41)
    build.uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
    build.now_dtm = lambda: "20240312093500"
    build.now_instant = lambda: "2024-03-12T09:35:00Z"


def main(out: Path = OUT) -> None:
    _deterministic()
    out.mkdir(parents=True, exist_ok=True)
    for name, options in ITI41.items():
        (out / name).write_bytes(capture(*iti41(**options)))
    (out / "iti41-doctype.mtom").write_bytes(capture(*_doctype(iti41())))
    for name, options in XDM.items():
        (out / name).write_bytes(xdm(**options))
    print(f"{len(ITI41) + 1 + len(XDM)} fixtures écrites dans {out}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
