"""SOAP 1.2 answers of the DMP mock: RegistryResponse, AdhocQueryResponse, RetrieveDocumentSetResponse, and the
TD0.2 answer (HL7 v3 PRPA_IN201308UV02)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from dui_conformance.xds import ebrim
from dui_conformance.xds.build import mtom, new_urn, now_dtm, q, soap_envelope
from dui_conformance.xds.dmp_requests import TD02_ANSWER

SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
FAILURE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
PARTIAL = "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess"
SEVERITY_ERROR = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"
ITI41_RESPONSE = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse"
ITI18_RESPONSE = "urn:ihe:iti:2007:RegistryStoredQueryResponse"
ITI43_RESPONSE = "urn:ihe:iti:2007:RetrieveDocumentSetResponse"
TD02_RESPONSE = "urn:hl7-org:v3:PRPA_IN201308UV02"  # UNVERIFIED, like the request's action (dmp_requests.TD02_ACTION)
# TD0.2 answer: queryResponseCode OK (a DMP exists) or NF (none); AUTORISATION of the attentionLine (values named by
# the DevBox DMP client: VALIDE, INTERDIT, EXPIRE, NON_EXISTE). Forms read in a vendor's client: [3P], UNVERIFIED.
DMP_EXISTS, DMP_NOT_FOUND = "OK", "NF"
AUTHORISATION, VALID, FORBIDDEN = "AUTORISATION", "VALIDE", "INTERDIT"
SOAP12_TYPE = "application/soap+xml; charset=utf-8"

# IHE error codes the mock emits, with the clause each one comes from (ITI TF-3 Table 4.2.4.1-2).
CLAUSE = "ITI TF-3: 4.2.4.1"
ERROR_CODES = {
    "XDSRegistryMetadataError": "métadonnées de la soumission incohérentes ou incomplètes",
    "XDSPatientIdDoesNotMatch": "patientId différent entre SubmissionSet et DocumentEntry",
    "XDSUnknownPatientId": "patientId inconnu du registre (INS attendu)",
    "XDSMissingDocument": "DocumentEntry sans document joint",
    "XDSMissingDocumentMetadata": "document joint sans DocumentEntry",
    "XDSRepositoryMetadataError": "hash ou size différents du document reçu",
    "XDSRepositoryError": "erreur de l'entrepôt",
    "XDSRegistryError": "erreur du registre",
    "UnresolvedReferenceException": "référence à une entrée inconnue du registre",
    "XDSUnknownStoredQuery": "requête stockée non prise en charge",
    "XDSStoredQueryParamNumber": "paramètre obligatoire absent",
    "XDSDocumentUniqueIdError": "document inconnu de l'entrepôt",
    "XDSUnknownRepositoryId": "entrepôt inconnu",
    "XDSDuplicateUniqueIdInRegistry": "uniqueId déjà enregistré",
}


@dataclass(frozen=True)
class XdsError:
    code: str
    context: str

    @property
    def text(self) -> str:
        return f"{ERROR_CODES.get(self.code, self.code)} : {self.context}"


def registry_response(errors: list[XdsError], status: str | None = None) -> etree._Element:
    node = etree.Element(
        q("rs", "RegistryResponse"), nsmap={"rs": ebrim.RS}, status=status or (FAILURE if errors else SUCCESS)
    )
    if errors:
        holder = etree.SubElement(node, q("rs", "RegistryErrorList"))
        for error in errors:
            etree.SubElement(
                holder,
                q("rs", "RegistryError"),
                errorCode=error.code,
                codeContext=error.text,
                location=CLAUSE,
                severity=SEVERITY_ERROR,
            )
    return node


def envelope(body: etree._Element, action: str, relates_to: str | None) -> bytes:
    return soap_envelope(body, action, relates_to=relates_to)


def query_response(objects: list[etree._Element], errors: list[XdsError]) -> etree._Element:
    node = etree.Element(
        q("query", "AdhocQueryResponse"),
        nsmap={"query": ebrim.QUERY, "rim": ebrim.RIM, "rs": ebrim.RS},
        status=FAILURE if errors else SUCCESS,
    )
    if errors:
        node.append(registry_response(errors)[0])
    rol = etree.SubElement(node, q("rim", "RegistryObjectList"))
    for obj in objects:
        rol.append(obj)
    return node


def retrieve_response(
    found: list[tuple[str, str, str, bytes]], errors: list[XdsError], relates_to: str | None
) -> tuple[str, bytes]:
    """MTOM RetrieveDocumentSetResponse; ``found``: (repository id, unique id, mime type, bytes)."""
    status = FAILURE if errors and not found else PARTIAL if errors else SUCCESS
    node = etree.Element(q("xdsb", "RetrieveDocumentSetResponse"), nsmap={"xdsb": ebrim.XDSB})
    node.append(registry_response(errors, status))
    attachments = {}
    for i, (repository, unique_id, mime, data) in enumerate(found, start=1):
        cid = f"doc{i}@dmp-mock"
        doc = etree.SubElement(node, q("xdsb", "DocumentResponse"))
        etree.SubElement(doc, q("xdsb", "RepositoryUniqueId")).text = repository
        etree.SubElement(doc, q("xdsb", "DocumentUniqueId")).text = unique_id
        etree.SubElement(doc, q("xdsb", "mimeType")).text = mime
        include = etree.SubElement(doc, q("xdsb", "Document"))
        etree.SubElement(include, q("xop", "Include"), nsmap={"xop": ebrim.XOP}, href=f"cid:{cid}")
        attachments[cid] = (data, mime)
    return mtom(envelope(node, ITI43_RESPONSE, relates_to), attachments, ITI43_RESPONSE)


def fault(reason: str) -> bytes:
    """SOAP 1.2 Sender fault for a request the mock cannot read at all."""
    env = etree.Element(q("soap", "Envelope"), nsmap={"soap": ebrim.SOAP12})
    body_fault = etree.SubElement(etree.SubElement(env, q("soap", "Body")), q("soap", "Fault"))
    etree.SubElement(etree.SubElement(body_fault, q("soap", "Code")), q("soap", "Value")).text = "soap:Sender"
    text = etree.SubElement(etree.SubElement(body_fault, q("soap", "Reason")), q("soap", "Text"))
    text.text = reason
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def existence_response(exists: bool, authorisation: str, relates_to: str | None) -> bytes:
    """TD0.2 answer: accepted (AA), the DMP's existence as queryResponseCode, the access authorisation as the
    attentionLine AUTORISATION; nothing about the authorisation when no DMP exists."""
    hl7 = ebrim.HL7
    root = etree.Element(f"{{{hl7}}}{TD02_ANSWER}", nsmap={None: hl7}, ITSVersion="XML_1.0")
    etree.SubElement(root, f"{{{hl7}}}id", root="1.2.250.1.213.4.1.1.1", extension=new_urn().removeprefix("urn:uuid:"))
    etree.SubElement(root, f"{{{hl7}}}creationTime", value=now_dtm())
    etree.SubElement(root, f"{{{hl7}}}interactionId", root="2.16.840.1.113883.1.6", extension=TD02_ANSWER)
    if exists:
        line = etree.SubElement(root, f"{{{hl7}}}attentionLine")
        etree.SubElement(line, f"{{{hl7}}}keyWordText", code=AUTHORISATION)
        etree.SubElement(line, f"{{{hl7}}}value", code=authorisation)
    etree.SubElement(root, f"{{{hl7}}}acknowledgement", typeCode="AA")
    control = etree.SubElement(root, f"{{{hl7}}}controlActProcess", classCode="CACT", moodCode="EVN")
    ack = etree.SubElement(control, f"{{{hl7}}}queryAck")
    etree.SubElement(ack, f"{{{hl7}}}queryResponseCode", code=DMP_EXISTS if exists else DMP_NOT_FOUND)
    return envelope(root, TD02_RESPONSE, relates_to)
