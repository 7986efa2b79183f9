"""Read ebRIM 3.0 registry objects (SubmitObjectsRequest, query responses) into plain objects.

The same reader serves an ITI-41 request, an XDM METADATA.XML and the mock's query
answers, so that every check sees one shape. Each object keeps its :class:`Location`
so a finding can point at the exact slot or classification.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ..model import Location
from ..xmlsafe import XmlDocument

RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
QUERY = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"
XDSB = "urn:ihe:iti:xds-b:2007"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
SAML2 = "urn:oasis:names:tc:SAML:2.0:assertion"
XOP = "http://www.w3.org/2004/08/xop/include"
HL7 = "urn:hl7-org:v3"
NS = {
    "rim": RIM,
    "lcm": LCM,
    "rs": RS,
    "query": QUERY,
    "xdsb": XDSB,
    "soap": SOAP12,
    "soap11": SOAP11,
    "wsa": WSA,
    "wsse": WSSE,
    "saml2": SAML2,
    "xop": XOP,
    "hl7": HL7,
}

# ITI TF-3 §4.2.5 (classification schemes and identification schemes).
DOC_ENTRY_STABLE = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
SUBMISSION_SET_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
FOLDER_NODE = "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"
DE_AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
DE_CLASS = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
DE_CONFIDENTIALITY = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
DE_EVENT = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4"
DE_FORMAT = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
DE_FACILITY = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
DE_PRACTICE = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
DE_TYPE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
DE_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DE_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SS_CONTENT_TYPE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
SS_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
SS_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SS_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"

HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
RPLC = "urn:ihe:iti:2007:AssociationType:RPLC"
SIGNS = "urn:ihe:iti:2007:AssociationType:signs"
APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
DEPRECATED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"


@dataclass(frozen=True)
class Code:
    code: str
    scheme: str | None = None
    display: str | None = None

    def describe(self) -> str:
        return f"{self.code} ({self.scheme})" if self.scheme else self.code


@dataclass
class Classification:
    scheme: str | None
    node: str | None  # classificationNode (SubmissionSet / Folder markers)
    classified: str | None
    code: Code | None
    slots: dict[str, list[str]]
    location: Location


@dataclass
class RegistryObject:
    """An ExtrinsicObject (DocumentEntry) or a RegistryPackage (SubmissionSet, Folder)."""

    kind: str  # DocumentEntry | SubmissionSet | Folder | RegistryPackage
    id: str
    location: Location
    object_type: str | None = None
    mime_type: str | None = None
    status: str | None = None
    title: str | None = None
    slots: dict[str, list[str]] = field(default_factory=dict)
    slot_locations: dict[str, Location] = field(default_factory=dict)
    classifications: list[Classification] = field(default_factory=list)
    external_ids: dict[str, tuple[str, Location]] = field(default_factory=dict)
    element: etree._Element | None = field(default=None, repr=False)

    def slot(self, name: str) -> str | None:
        values = self.slots.get(name)
        return values[0] if values else None

    def codes(self, scheme: str) -> list[Code]:
        return [c.code for c in self.classifications if c.scheme == scheme and c.code]

    def classified(self, scheme: str) -> list[Classification]:
        return [c for c in self.classifications if c.scheme == scheme]

    def external(self, scheme: str) -> str | None:
        found = self.external_ids.get(scheme)
        return found[0] if found else None

    def where(self, slot: str | None = None, scheme: str | None = None) -> Location:
        """Location of a slot, classification or external identifier, else of the object."""
        if slot and slot in self.slot_locations:
            return self.slot_locations[slot]
        if scheme:
            if scheme in self.external_ids:
                return self.external_ids[scheme][1]
            for c in self.classifications:
                if c.scheme == scheme:
                    return c.location
        return self.location


@dataclass
class Association:
    id: str
    type: str
    source: str
    target: str
    slots: dict[str, list[str]]
    location: Location


@dataclass
class Submission:
    doc: XmlDocument
    found: bool  # a RegistryObjectList was present
    entries: list[RegistryObject] = field(default_factory=list)
    submission_sets: list[RegistryObject] = field(default_factory=list)
    folders: list[RegistryObject] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)
    unclassified: list[RegistryObject] = field(default_factory=list)  # RegistryPackage neither SS nor Folder
    location: Location = field(default_factory=Location)

    def entry(self, entry_id: str) -> RegistryObject | None:
        return next((e for e in self.entries if e.id == entry_id), None)


def _x(node: etree._Element, expr: str) -> list:
    return node.xpath(expr, namespaces=NS)


def _slots(doc: XmlDocument, node: etree._Element) -> tuple[dict[str, list[str]], dict[str, Location]]:
    values: dict[str, list[str]] = {}
    where: dict[str, Location] = {}
    for slot in _x(node, "rim:Slot"):
        name = slot.get("name", "")
        values.setdefault(name, []).extend((v.text or "").strip() for v in _x(slot, "rim:ValueList/rim:Value"))
        where.setdefault(name, doc.locate(slot))
    return values, where


def _name(node: etree._Element) -> str | None:
    found = _x(node, "rim:Name/rim:LocalizedString/@value")
    return str(found[0]) if found else None


def _classification(doc: XmlDocument, node: etree._Element) -> Classification:
    slots, _ = _slots(doc, node)
    rep = node.get("nodeRepresentation")
    schemes = slots.get("codingScheme")
    scheme = schemes[0] if schemes else None
    return Classification(
        scheme=node.get("classificationScheme"),
        node=node.get("classificationNode"),
        classified=node.get("classifiedObject"),
        code=Code(rep, scheme, _name(node)) if rep is not None else None,
        slots=slots,
        location=doc.locate(node),
    )


def _object(doc: XmlDocument, node: etree._Element, kind: str) -> RegistryObject:
    slots, where = _slots(doc, node)
    external: dict[str, tuple[str, Location]] = {}
    for ext in _x(node, "rim:ExternalIdentifier"):
        external.setdefault(ext.get("identificationScheme", ""), (ext.get("value", ""), doc.locate(ext)))
    return RegistryObject(
        kind=kind,
        id=node.get("id", ""),
        location=doc.locate(node),
        object_type=node.get("objectType"),
        mime_type=node.get("mimeType"),
        status=node.get("status"),
        title=_name(node),
        slots=slots,
        slot_locations=where,
        classifications=[_classification(doc, c) for c in _x(node, "rim:Classification")],
        external_ids=external,
        element=node,
    )


def read_submission(xml: XmlDocument) -> Submission:
    """The registry objects of the first RegistryObjectList in the document (any envelope)."""
    lists = xml.root.xpath("descendant-or-self::rim:RegistryObjectList", namespaces=NS)
    if not lists:
        return Submission(doc=xml, found=False, location=xml.locate(xml.root))
    rol = lists[0]
    sub = Submission(doc=xml, found=True, location=xml.locate(rol))
    loose = [_classification(xml, c) for c in _x(rol, "rim:Classification")]
    for node in _x(rol, "rim:ExtrinsicObject"):
        sub.entries.append(_object(xml, node, "DocumentEntry"))
    for node in _x(rol, "rim:RegistryPackage"):
        obj = _object(xml, node, "RegistryPackage")
        markers = {c.node for c in obj.classifications} | {c.node for c in loose if c.classified == obj.id}
        if SUBMISSION_SET_NODE in markers:
            obj.kind = "SubmissionSet"
            sub.submission_sets.append(obj)
        elif FOLDER_NODE in markers:
            obj.kind = "Folder"
            sub.folders.append(obj)
        else:
            sub.unclassified.append(obj)
        obj.classifications += [c for c in loose if c.classified == obj.id and c.node is None]
    for c in loose:  # classifications on document entries may also sit at list level
        target = sub.entry(c.classified or "")
        if target is not None and c.node is None:
            target.classifications.append(c)
    for node in _x(rol, "rim:Association"):
        slots, _ = _slots(xml, node)
        sub.associations.append(
            Association(
                id=node.get("id", ""),
                type=node.get("associationType", ""),
                source=node.get("sourceObject", ""),
                target=node.get("targetObject", ""),
                slots=slots,
                location=xml.locate(node),
            )
        )
    return sub
