"""Write XDS.b messages from expected metadata: the mirror image of the readers.

The DMP mock answers queries with these registry objects, the fixture generator builds
its valid ITI-41 request and XDM archive from them, and a reference DUI can feed the mock
with them. Slot formats follow the CNAM/ANS sample quoted in facts §3.2.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import datetime, timezone

from lxml import etree

from ..xmlsafe import parse_xml
from . import ebrim
from .ebrim import NS, Code
from .expected import ExpectedEntry, Institution, Person, expected_entry

PSN_OID = "1.2.250.1.71.4.2.1"
ORG_OID = "1.2.250.1.71.4.2.2"
ITI41_ACTION = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
ITI18_ACTION = "urn:ihe:iti:2007:RegistryStoredQuery"
ITI43_ACTION = "urn:ihe:iti:2007:RetrieveDocumentSet"


def q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def new_urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def now_dtm() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")


def now_instant() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def xcn(person: Person) -> str:
    return (
        f"{person.id or ''}^{person.family or ''}^{person.given or ''}^^^^^^&{person.id_root or PSN_OID}&ISO^D^^^IDNPS"
    )


def xon(institution: Institution) -> str:
    """XON of a structure, its assigning authority (XON-6 &OID&ISO) always written."""
    i = institution
    return f"{i.name or ''}^^^^^&{i.id_root or ORG_OID}&ISO^IDNST^^^{i.id or ''}"


def add_slot(parent: etree._Element, name: str, values: list[str]) -> None:
    slot = etree.SubElement(parent, q("rim", "Slot"), name=name)
    value_list = etree.SubElement(slot, q("rim", "ValueList"))
    for value in values:
        etree.SubElement(value_list, q("rim", "Value")).text = value


def _name(parent: etree._Element, text: str | None) -> None:
    if text:
        etree.SubElement(etree.SubElement(parent, q("rim", "Name")), q("rim", "LocalizedString"), value=text)


def _classify(
    parent: etree._Element, scheme: str, code: Code | None, slots: dict[str, list[str]] | None = None
) -> None:
    node = etree.SubElement(
        parent,
        q("rim", "Classification"),
        classificationScheme=scheme,
        classifiedObject=parent.get("id"),
        nodeRepresentation=code.code if code else "",
        id=new_urn(),
    )
    for name, values in (slots or {}).items():
        add_slot(node, name, values)
    if code:
        add_slot(node, "codingScheme", [code.scheme or ""])
        _name(node, code.display or code.code)


def _external(parent: etree._Element, scheme: str, value: str, label: str) -> None:
    node = etree.SubElement(
        parent,
        q("rim", "ExternalIdentifier"),
        identificationScheme=scheme,
        value=value,
        registryObject=parent.get("id"),
        id=new_urn(),
    )
    _name(node, label)


def _patient_id(exp: ExpectedEntry) -> str | None:
    """The INS, or without one the CDA's local identifier (PI), as a conformant XDM source sends it (DMP-56)."""
    return exp.patient_id or next(iter(exp.local_patient_ids), None)


def extrinsic_object(
    exp: ExpectedEntry,
    entry_id: str,
    status: str | None = None,
    repository_id: str | None = None,
    uri: str | None = None,
) -> etree._Element:
    """The DocumentEntry a conformant source would send for this CDA."""
    eo = etree.Element(
        q("rim", "ExtrinsicObject"),
        nsmap={"rim": ebrim.RIM},
        id=entry_id,
        mimeType=exp.mime_type,
        objectType=ebrim.DOC_ENTRY_STABLE,
    )
    if status:
        eo.set("status", status)
    for name, value in (
        ("creationTime", exp.creation_time),
        ("hash", exp.hash),
        ("languageCode", exp.language_code),
        ("serviceStartTime", exp.service_start_time),
        ("serviceStopTime", exp.service_stop_time),
        ("size", str(exp.size)),
        ("sourcePatientId", _patient_id(exp)),
        ("repositoryUniqueId", repository_id),
        ("URI", uri),
    ):
        if value:
            add_slot(eo, name, [value])
    if exp.legal_authenticator:
        add_slot(eo, "legalAuthenticator", [xcn(exp.legal_authenticator)])
    if exp.source_patient_info:
        add_slot(eo, "sourcePatientInfo", [f"{k}|{v}" for k, v in exp.source_patient_info.items()])
    _name(eo, exp.title)
    for author in exp.authors:
        slots = {}
        if author.person:
            slots["authorPerson"] = [xcn(author.person)]
        if author.institution:
            slots["authorInstitution"] = [xon(author.institution)]
        if author.specialty:
            s = author.specialty
            slots["authorSpecialty"] = [f"{s.code}^{s.display or ''}^{s.scheme or ''}"]
        _classify(eo, ebrim.DE_AUTHOR, None, slots)
    for scheme, code in (
        (ebrim.DE_CLASS, exp.class_code),
        (ebrim.DE_FORMAT, (exp.format_codes or (None,))[0]),
        (ebrim.DE_FACILITY, exp.healthcare_facility_type_code),
        (ebrim.DE_PRACTICE, exp.practice_setting_code),
        (ebrim.DE_TYPE, exp.type_code),
    ):
        if code:
            _classify(eo, scheme, code)
    for code in exp.confidentiality_codes:
        _classify(eo, ebrim.DE_CONFIDENTIALITY, code)
    if patient_id := _patient_id(exp):
        _external(eo, ebrim.DE_PATIENT_ID, patient_id, "XDSDocumentEntry.patientId")
    if exp.unique_id:
        _external(eo, ebrim.DE_UNIQUE_ID, exp.unique_id, "XDSDocumentEntry.uniqueId")
    return eo


def submission_set(
    set_id: str,
    patient_id: str,
    source_id: str,
    unique_id: str | None = None,
    author: ExpectedEntry | None = None,
    content_type: Code = Code("04", "1.2.250.1.213.2.2", "Hospitalisation de jour"),
) -> etree._Element:
    """A SubmissionSet RegistryPackage; contentTypeCode default is the sample's (UNVERIFIED, facts §3.2)."""
    rp = etree.Element(q("rim", "RegistryPackage"), nsmap={"rim": ebrim.RIM}, id=set_id)
    add_slot(rp, "submissionTime", [now_dtm()])
    if author and author.authors and author.authors[0].person:
        _classify(rp, ebrim.SS_AUTHOR, None, {"authorPerson": [xcn(author.authors[0].person)]})
    _classify(rp, ebrim.SS_CONTENT_TYPE, content_type)
    etree.SubElement(
        rp,
        q("rim", "Classification"),
        classifiedObject=set_id,
        classificationNode=ebrim.SUBMISSION_SET_NODE,
        id=new_urn(),
    )
    _external(rp, ebrim.SS_UNIQUE_ID, unique_id or f"2.25.{uuid.uuid4().int}", "XDSSubmissionSet.uniqueId")
    _external(rp, ebrim.SS_SOURCE_ID, source_id, "XDSSubmissionSet.sourceId")
    _external(rp, ebrim.SS_PATIENT_ID, patient_id, "XDSSubmissionSet.patientId")
    return rp


def association(kind: str, source: str, target: str, submission_set_status: bool = False) -> etree._Element:
    node = etree.Element(
        q("rim", "Association"),
        nsmap={"rim": ebrim.RIM},
        associationType=kind,
        sourceObject=source,
        targetObject=target,
        id=new_urn(),
    )
    if submission_set_status:
        add_slot(node, "SubmissionSetStatus", ["Original"])
    return node


def submit_objects_request(
    entries: list[tuple[str, ExpectedEntry]],
    source_id: str = "1.2.250.1.999.1",
    replaces: dict[str, str] | None = None,
    set_id: str = "SubmissionSet01",
    uris: dict[str, str] | None = None,
) -> etree._Element:
    """SubmissionSet + DocumentEntries + HasMember (+ RPLC for ``replaces``: entry id → replaced entryUUID;
    ``uris``: entry id → file name, for XDM media)."""
    request = etree.Element(q("lcm", "SubmitObjectsRequest"), nsmap={"lcm": ebrim.LCM, "rim": ebrim.RIM})
    rol = etree.SubElement(request, q("rim", "RegistryObjectList"))
    first = entries[0][1]
    rol.append(submission_set(set_id, _patient_id(first) or "", source_id, author=first))
    for entry_id, exp in entries:
        rol.append(extrinsic_object(exp, entry_id, uri=(uris or {}).get(entry_id)))
        rol.append(association(ebrim.HAS_MEMBER, set_id, entry_id, submission_set_status=True))
    for entry_id, old in (replaces or {}).items():
        rol.append(association(ebrim.RPLC, entry_id, old))
    return request


def provide_and_register(submit: etree._Element, documents: dict[str, str]) -> etree._Element:
    """ProvideAndRegisterDocumentSetRequest with one xop:Include per document (entry id → content id)."""
    root = etree.Element(q("xdsb", "ProvideAndRegisterDocumentSetRequest"), nsmap={"xdsb": ebrim.XDSB})
    root.append(submit)
    for entry_id, cid in documents.items():
        doc = etree.SubElement(root, q("xdsb", "Document"), id=entry_id)
        etree.SubElement(doc, q("xop", "Include"), nsmap={"xop": ebrim.XOP}, href=f"cid:{cid}")
    return root


def default_vihf(patient_id: str, mode: str = "INDIRECTE") -> dict[str, str | Code]:
    """Synthetic VIHF attributes for a test structure (facts §3.3)."""
    return {
        "VIHF_Version": "3.0",
        "Identifiant_Structure": "3" + "1750803447",
        "Secteur_Activite": "SA17^1.2.250.1.71.4.2.4",
        "urn:oasis:names:tc:xspa:1.0:subject:subject-id": "BOILEAU Charles",
        "urn:oasis:names:tc:xacml:2.0:subject:role": Code("10", "1.2.250.1.213.1.1.4.5", "Médecin"),
        "Authentification_mode": mode,
        "urn:oasis:names:tc:xacml:2.0:resource:resource-id": patient_id,
        "Ressource_URN": "urn:dmp",
        "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse": Code("normal", "1.2.250.1.213.1.1.4.248", "Accès normal"),
        "LPS_Nom": "DUI-SYNTHETIQUE",
        "LPS_Version": "1.0",
        "LPS_ID_HOMOLOGATION_DMP": "DMP-TEST-0000",
    }


def vihf_assertion(attributes: dict[str, str | Code], subject: str = "801234567897") -> etree._Element:
    """An (unsigned) SAML 2.0 VIHF assertion carrying ``attributes``."""
    a = etree.Element(
        q("saml2", "Assertion"),
        nsmap={"saml2": ebrim.SAML2},
        ID=f"_{uuid.uuid4().hex}",
        IssueInstant=now_instant(),
        Version="2.0",
    )
    issuer = etree.SubElement(
        a, q("saml2", "Issuer"), Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"
    )
    issuer.text = "CN=DUI SYNTHETIQUE,O=TEST,C=FR"
    etree.SubElement(etree.SubElement(a, q("saml2", "Subject")), q("saml2", "NameID")).text = subject
    statement = etree.SubElement(a, q("saml2", "AttributeStatement"))
    for name, value in attributes.items():
        attr = etree.SubElement(statement, q("saml2", "Attribute"), Name=name)
        holder = etree.SubElement(attr, q("saml2", "AttributeValue"))
        if isinstance(value, Code):
            tag = "PurposeOfUse" if name.endswith("purposeofuse") else "Role"
            etree.SubElement(
                holder,
                f"{{{ebrim.HL7}}}{tag}",
                nsmap={None: ebrim.HL7},
                code=value.code,
                codeSystem=value.scheme or "",
                displayName=value.display or "",
            )
        else:
            holder.text = value
    return a


def soap_envelope(
    body: etree._Element,
    action: str,
    to: str | None = None,
    assertion: etree._Element | None = None,
    soap_ns: str = ebrim.SOAP12,
    relates_to: str | None = None,
) -> bytes:
    env = etree.Element(f"{{{soap_ns}}}Envelope", nsmap={"soap": soap_ns, "wsa": ebrim.WSA})
    header = etree.SubElement(env, f"{{{soap_ns}}}Header")
    etree.SubElement(
        header, q("wsa", "Action"), {f"{{{soap_ns}}}mustUnderstand": "1" if soap_ns == ebrim.SOAP11 else "true"}
    ).text = action
    etree.SubElement(header, q("wsa", "MessageID")).text = new_urn()
    if relates_to:
        etree.SubElement(header, q("wsa", "RelatesTo")).text = relates_to
    if to:
        etree.SubElement(header, q("wsa", "To")).text = to
    if assertion is not None:
        etree.SubElement(header, q("wsse", "Security"), nsmap={"wsse": ebrim.WSSE}).append(assertion)
    etree.SubElement(env, f"{{{soap_ns}}}Body").append(body)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def mtom(
    envelope: bytes, attachments: dict[str, tuple[bytes, str]], action: str, boundary: str | None = None
) -> tuple[str, bytes]:
    """MTOM/XOP multipart/related packaging: (Content-Type header, body). attachments: cid → (bytes, type)."""
    boundary = boundary or f"MIMEBoundary_{uuid.uuid4().hex}"
    root_cid = "root.message@dui-conformance"
    content_type = (
        f'multipart/related; boundary="{boundary}"; type="application/xop+xml"; '
        f'start="<{root_cid}>"; start-info="application/soap+xml"; action="{action}"'
    )
    out = [
        f'--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"; '
        f'action="{action}"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{root_cid}>\r\n\r\n'.encode(),
        envelope,
    ]
    for cid, (data, mime) in attachments.items():
        out += [
            f"\r\n--{boundary}\r\nContent-Type: {mime}\r\nContent-Transfer-Encoding: binary\r\n"
            f"Content-ID: <{cid}>\r\n\r\n".encode(),
            data,
        ]
    out.append(f"\r\n--{boundary}--\r\n".encode())
    return content_type, b"".join(out)


def iti41_request(
    documents: list[tuple[bytes, ExpectedEntry]],
    to: str = "http://127.0.0.1/iti41",
    vihf: dict[str, str | Code] | None = None,
    replaces: dict[str, str] | None = None,
    soap_ns: str = ebrim.SOAP12,
) -> tuple[str, bytes]:
    """A complete, conformant ITI-41 MTOM request for CDA documents (used by fixtures and tests)."""
    entries = [(f"Document{i + 1:02d}", exp) for i, (_, exp) in enumerate(documents)]
    submit = submit_objects_request(entries, replaces=replaces)
    cids = {entry_id: f"doc{i + 1}@dui-conformance" for i, (entry_id, _) in enumerate(entries)}
    body = provide_and_register(submit, cids)
    attrs = vihf if vihf is not None else default_vihf(documents[0][1].patient_id or "")
    envelope = soap_envelope(body, ITI41_ACTION, to, vihf_assertion(attrs), soap_ns)
    return mtom(
        envelope,
        {cids[e]: (data, "text/xml") for (e, _), (data, _) in zip(entries, documents, strict=False)},
        ITI41_ACTION,
    )


def xdm_package(documents: list[bytes], environment: str = "test", metadata: etree._Element | None = None) -> bytes:
    """An IHE_XDM.ZIP (facts §4.3) for CDA documents: INDEX.HTM, README.TXT, IHE_XDM/SUBSET01/METADATA.XML and
    DOCnnnn.XML (what a DUI attaches to an MSSanté message). ``metadata``: the sender's own SubmitObjectsRequest
    (entries Document01… with URI DOC0001.XML…); by default derived from each CDA header."""
    names = {f"Document{i:02d}": f"DOC{i:04d}.XML" for i in range(1, len(documents) + 1)}
    submit = metadata
    if submit is None:
        entries = [
            (entry_id, expected_entry(parse_xml(data, names[entry_id]), data, environment))
            for entry_id, data in zip(names, documents, strict=False)
        ]
        submit = submit_objects_request(entries, uris=names)
    links = "".join(f'<li><a href="IHE_XDM/SUBSET01/{n}">{n}</a></li>' for n in names.values())
    members = {
        "INDEX.HTM": f"<html><body><ul>{links}</ul></body></html>\n".encode(),
        "README.TXT": b"Support IHE XDM (ITI-32) : documents CDA et leurs metadonnees dans IHE_XDM/SUBSET01.\r\n",
        "IHE_XDM/SUBSET01/METADATA.XML": etree.tostring(submit, xml_declaration=True, encoding="UTF-8"),
        **{f"IHE_XDM/SUBSET01/{name}": data for name, data in zip(names.values(), documents, strict=False)},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()
