"""DMP feeding, consultation and integration of the reference DUI (IHE XDS.b ITI-41, ITI-18, ITI-43; the DMP's
existence test TD0.2).

The DLU is the harness's valid synthetic DLU (fixtures/cda/dmp/dlu-valide.xml) with the
resident's stored identity put in verbatim. Its XDS metadata come from this DUI's own mapping
(``xds_metadata``), never from the harness's expectation; only the SOAP/MTOM/VIHF plumbing is shared.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import threading
import uuid
from dataclasses import dataclass
from importlib.resources import files

import requests
from lxml import etree

from dui_conformance.xds import ebrim, parse_mtom, read_submission
from dui_conformance.xds.build import (
    ITI18_ACTION,
    ITI41_ACTION,
    ITI43_ACTION,
    add_slot,
    default_vihf,
    mtom,
    new_urn,
    now_dtm,
    provide_and_register,
    q,
    soap_envelope,
    vihf_assertion,
)
from dui_conformance.xds.dmp_requests import REASON_SYSTEM, TD02_ACTION, TD02_QUERY, TEST_EXISTENCE
from dui_conformance.xds.mtom import MtomProblem
from dui_conformance.xmlsafe import XmlProblem, parse_xml

from .resident import Resident
from .xds_metadata import Coded, derive, submission

HL7 = "urn:hl7-org:v3"
FIND_DOCUMENTS = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
GENDER_NAMES = {"M": "Masculin", "F": "Féminin"}
# What the dmp-metadonnees-incoherentes defect declares instead of the CDA's code.
WRONG_TYPE = Coded("11488-4", "2.16.840.1.113883.6.1", "Note de consultation")
SOURCE_ID = "1.2.250.1.999.1"  # this DUI's (synthetic) sourceId
SENT, PENDING, REFUSED = "envoye", "en_attente", "refuse"
# What the DUI shows of a resident's DMP (lireVueDmp « statutDmp »).
OPEN, NO_DMP, ACCESS_REFUSED, OPPOSED, NOT_ASKED = "ouvert", "absent", "acces-refuse", "opposition", "non-interroge"
VSM_TYPE = "SYNTH"  # XDS typeCode of a volet de synthèse médicale (facts §2.3: TRE_A05 1.2.250.1.213.1.1.4.12)
DMP_DEVICE = "1.2.250.1.213.4.1.1.1"  # the DMP's device id in HL7 v3 messages (CNAM/ANS kit sample)


class DmpUnavailable(RuntimeError):
    """The DMP answered with an error or could not be reached (French message)."""


@dataclass
class DmpDocument:
    """A document the DUI produced for the DMP and what became of it."""

    id: str
    resident_id: str
    unique_id: str
    entry_uuid: str
    set_id: str
    version: int
    cda: bytes
    status: str = PENDING
    replaces: str | None = None  # entryUUID of the replaced DocumentEntry

    def summary(self) -> dict:
        return {"document_id": self.id, "uniqueId": self.unique_id, "statut": self.status, "remplace": self.replaces}


def _h(name: str) -> str:
    return f"{{{HL7}}}{name}"


def _template() -> etree._Element:
    data = (files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes()
    return parse_xml(data, "dlu-valide.xml").root


def _cda_date(lunar: str) -> str:
    """Stored date (AAAA-MM-JJ, 00 when unknown) → CDA TS: 1938-04-00 → 193804."""
    return "".join(part for part in lunar.split("-") if part != "00")


def build_dlu(resident: Resident, unique_id: str, set_id: str, version: int, replaced_unique_id: str | None) -> bytes:
    """The resident's DLU: stored traits and qualified INS verbatim, RPLC relatedDocument for a replacement."""
    root = copy.deepcopy(_template())
    root.find(_h("id")).set("root", unique_id)
    root.find(_h("setId")).set("root", set_id)
    root.find(_h("versionNumber")).set("value", str(version))
    role = root.find(f"{_h('recordTarget')}/{_h('patientRole')}")
    ins_id, local_id = role.findall(_h("id"))[:2]
    if resident.ins and resident.ins_oid:
        ins_id.attrib.update({"root": resident.ins_oid, "extension": resident.ins})
    else:
        role.remove(ins_id)  # no INS: only the local identifier, never an empty one
    local_id.set("extension", resident.id)
    patient = role.find(_h("patient"))
    name = patient.find(_h("name"))
    for node in list(name):
        name.remove(node)
    for tag, text, qualifier in (
        ("family", resident.birth_name, "BR"),
        ("given", resident.first_names, None),
        ("given", resident.first_name, "BR"),
        ("family", resident.birth_name, "CL"),
        ("given", resident.first_name, "CL"),
    ):
        node = etree.SubElement(name, _h(tag), **({"qualifier": qualifier} if qualifier else {}))
        node.text = text
    patient.find(_h("administrativeGenderCode")).attrib.update(
        {"code": resident.sex or "UN", "displayName": GENDER_NAMES.get(resident.sex or "", "Inconnu")}
    )
    patient.find(_h("birthTime")).set("value", _cda_date(resident.birth_date))
    birthplace = patient.find(_h("birthplace"))
    if resident.birth_place:
        birthplace.find(f"{_h('place')}/{_h('addr')}/{_h('county')}").text = resident.birth_place
    else:
        patient.remove(birthplace)
    if replaced_unique_id:
        related = etree.Element(_h("relatedDocument"), typeCode="RPLC")
        etree.SubElement(etree.SubElement(related, _h("parentDocument")), _h("id"), root=replaced_unique_id)
        root.find(_h("componentOf")).addprevious(related)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class DmpClient:
    """The DUI's XDS.b client: ``dmp_url`` is the DMP endpoint (…/dmp), operations under it."""

    def __init__(self, dmp_url: str, defects: frozenset[str], timeout: float = 10.0):
        self.url = dmp_url.rstrip("/")
        self.defects = defects
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only: never through a proxy
        # VIHF identity of the professional logged in through PSC (PscSession.vihf_identity); None: synthetic one
        self.acting: dict[str, str] | None = None

    def close(self) -> None:
        self.session.close()

    def _vihf(self, patient_id: str):
        """The VIHF: the logged-in professional when there is one (facts §3.3: NameID = SubjectNameID)."""
        attributes = default_vihf(patient_id)
        acting = self.acting
        if acting is None:
            return vihf_assertion(attributes)
        attributes.update(
            {
                "Identifiant_Structure": acting["structure"],
                "Secteur_Activite": acting["sector"],
                "urn:oasis:names:tc:xspa:1.0:subject:subject-id": acting["name"],
                "urn:oasis:names:tc:xacml:2.0:subject:role": ebrim.Code(
                    acting["profession"], "1.2.250.1.213.1.1.4.5", ""
                ),
            }
        )
        return vihf_assertion(attributes, subject=acting["subject"])

    def _post(self, operation: str, content_type: str, body: bytes) -> requests.Response:
        try:
            response = self.session.post(
                f"{self.url}/{operation}", data=body, timeout=self.timeout, headers={"Content-Type": content_type}
            )
        except requests.RequestException as exc:
            raise DmpUnavailable(f"DMP injoignable : {exc}") from exc
        if response.status_code >= 500 and "xml" not in response.headers.get("Content-Type", ""):
            raise DmpUnavailable(f"DMP en erreur HTTP {response.status_code}.")
        return response

    @staticmethod
    def _errors(xml) -> list[str]:
        return [e.get("errorCode", "") for e in xml.root.iter(f"{{{ebrim.RS}}}RegistryError")]

    def submit(self, document: DmpDocument, patient_id: str) -> None:
        """ITI-41 of one DLU (MTOM + VIHF); DmpUnavailable when the DMP does not answer Success."""
        meta = derive(parse_xml(document.cda, document.id), document.cda)
        if "dmp-metadonnees-incoherentes" in self.defects:
            meta = dataclasses.replace(meta, type_code=WRONG_TYPE)
        if document.replaces and "dmp-empreinte-remplacement" in self.defects:
            meta = dataclasses.replace(meta, hash=hashlib.sha1(document.cda + b" ").hexdigest())
        submit = submission(meta, document.entry_uuid, SOURCE_ID, replaces=document.replaces)
        cid = f"{uuid.uuid4().hex}@dui-reference"
        envelope = soap_envelope(
            provide_and_register(submit, {document.entry_uuid: cid}),
            ITI41_ACTION,
            f"{self.url}/iti41",
            self._vihf(patient_id),
        )
        content_type, body = mtom(envelope, {cid: (document.cda, "text/xml")}, ITI41_ACTION)
        response = self._post("iti41", content_type, body)
        if "dmp-double-soumission" in self.defects:  # defect: the same submission sent once more
            self._post("iti41", content_type, body)
        try:
            xml = parse_xml(response.content, "réponse ITI-41")
        except XmlProblem as problem:
            raise DmpUnavailable(f"Réponse du DMP illisible : {problem.message}") from None
        status = "".join(xml.root.xpath("//rs:RegistryResponse/@status", namespaces=ebrim.NS))
        if not status.endswith(":Success"):
            reason = ", ".join(self._errors(xml)) or status or "sans statut"
            raise DmpUnavailable(f"Le DMP a refusé la soumission ({reason}).")

    def find(self, patient_id: str) -> list[ebrim.RegistryObject]:
        """ITI-18 FindDocuments (Approved, LeafClass) for one INS patientId."""
        request = etree.Element(q("query", "AdhocQueryRequest"), nsmap={"query": ebrim.QUERY, "rim": ebrim.RIM})
        etree.SubElement(request, q("query", "ResponseOption"), returnType="LeafClass", returnComposedObjects="true")
        query = etree.SubElement(request, q("rim", "AdhocQuery"), id=FIND_DOCUMENTS)
        quoted = patient_id if "dmp-recherche-sans-apostrophes" in self.defects else f"'{patient_id}'"
        add_slot(query, "$XDSDocumentEntryPatientId", [quoted])
        add_slot(query, "$XDSDocumentEntryStatus", [f"('{ebrim.APPROVED}')"])
        envelope = soap_envelope(request, ITI18_ACTION, f"{self.url}/iti18", self._vihf(patient_id))
        response = self._post("iti18", "application/soap+xml; charset=UTF-8", envelope)
        try:
            xml = parse_xml(response.content, "réponse ITI-18")
        except XmlProblem as problem:
            raise DmpUnavailable(f"Réponse du DMP illisible : {problem.message}") from None
        if self._errors(xml):
            raise DmpUnavailable(f"Recherche refusée par le DMP ({', '.join(self._errors(xml))}).")
        return read_submission(xml).entries

    def test_existence(self, resident: Resident) -> str:
        """TD0.2 (HL7 v3 PRPA_IN201307UV02, reason TEST_EXST) on the resident's INS: OPEN, NO_DMP or ACCESS_REFUSED."""
        reason = "CNSLT_DATA" if "dmp-existence-sans-motif" in self.defects else TEST_EXISTENCE
        root = existence_query(resident.ins or "", resident.ins_oid or "", reason)
        envelope = soap_envelope(root, TD02_ACTION, f"{self.url}/td02", self._vihf(patient_id(resident)))
        response = self._post("td02", "application/soap+xml; charset=UTF-8", envelope)
        try:
            xml = parse_xml(response.content, "réponse TD0.2")
        except XmlProblem as problem:
            raise DmpUnavailable(f"Réponse du DMP illisible : {problem.message}") from None
        found = "".join(xml.root.xpath("//hl7:queryAck/hl7:queryResponseCode/@code", namespaces=ebrim.NS))
        if found not in ("OK", "NF"):
            raise DmpUnavailable(f"Test d'existence du DMP sans réponse lisible (queryResponseCode « {found} »).")
        path = "//hl7:attentionLine[hl7:keyWordText/@code='AUTORISATION']/hl7:value/@code"
        authorisation = "".join(xml.root.xpath(path, namespaces=ebrim.NS))
        if found == "NF":
            return NO_DMP
        return OPEN if authorisation == "VALIDE" else ACCESS_REFUSED

    def retrieve(self, repository_id: str, unique_id: str, patient_id: str) -> bytes:
        """ITI-43 of one document; its bytes."""
        request = etree.Element(q("xdsb", "RetrieveDocumentSetRequest"), nsmap={"xdsb": ebrim.XDSB})
        wanted = etree.SubElement(request, q("xdsb", "DocumentRequest"))
        etree.SubElement(wanted, q("xdsb", "RepositoryUniqueId")).text = repository_id
        etree.SubElement(wanted, q("xdsb", "DocumentUniqueId")).text = unique_id
        soap_ns = ebrim.SOAP11 if "dmp-recuperation-soap11" in self.defects else ebrim.SOAP12
        envelope = soap_envelope(request, ITI43_ACTION, f"{self.url}/iti43", self._vihf(patient_id), soap_ns)
        response = self._post("iti43", "application/soap+xml; charset=UTF-8", envelope)
        try:
            message = parse_mtom(response.headers.get("Content-Type", ""), response.content)
            xml = parse_xml(message.envelope, "réponse ITI-43")
        except (MtomProblem, XmlProblem) as problem:
            raise DmpUnavailable(f"Réponse ITI-43 illisible : {problem.message}") from None
        hrefs = xml.root.xpath("//xdsb:DocumentResponse/xdsb:Document/xop:Include/@href", namespaces=ebrim.NS)
        data = message.resolve(hrefs[0]) if hrefs else None
        if data is None:
            raise DmpUnavailable(f"Document {unique_id} absent de la réponse ITI-43 ({', '.join(self._errors(xml))}).")
        return data


def existence_query(matricule: str, oid: str, reason: str = TEST_EXISTENCE) -> etree._Element:
    """The TD0.2 body: PRPA_IN201307UV02 asking about one INS, with this reason code (CNAM/ANS kit sample form)."""
    hl7 = ebrim.HL7

    def sub(parent, tag: str, **attributes: str):
        return etree.SubElement(parent, f"{{{hl7}}}{tag}", **attributes)

    root = etree.Element(f"{{{hl7}}}{TD02_QUERY}", nsmap={None: hl7}, ITSVersion="XML_1.0")
    sub(root, "id", root=SOURCE_ID, extension=uuid.uuid4().hex)
    sub(root, "creationTime", value=now_dtm())
    sub(root, "interactionId", root="2.16.840.1.113883.1.6", extension=TD02_QUERY)
    sub(root, "processingCode", code="P")
    sub(root, "processingModeCode", code="T")
    sub(root, "acceptAckCode", code="AL")
    receiver = sub(sub(root, "receiver", typeCode="RCV"), "device", classCode="DEV", determinerCode="INSTANCE")
    sub(receiver, "id", root=DMP_DEVICE)
    sender = sub(sub(root, "sender", typeCode="SND"), "device", classCode="DEV", determinerCode="INSTANCE")
    sub(sender, "id", root=SOURCE_ID)
    control = sub(root, "controlActProcess", classCode="CACT", moodCode="EVN")
    sub(control, "reasonCode", code=reason, codeSystem=REASON_SYSTEM)
    query = sub(control, "queryByParameter")
    sub(query, "queryId", root=SOURCE_ID, extension=uuid.uuid4().hex)
    sub(query, "statusCode", code="new")
    identifier = sub(sub(query, "parameterList"), "patientIdentifier")
    sub(identifier, "value", root=oid, extension=matricule)
    sub(identifier, "semanticsText").text = "Patient.id"
    return root


def new_document(resident: Resident, number: int, previous: DmpDocument | None) -> DmpDocument:
    """A fresh DLU for the resident; with ``previous``, its replacement (same setId, next version, RPLC)."""
    unique_id = f"2.25.{uuid.uuid4().int}"
    set_id = previous.set_id if previous else f"2.25.{uuid.uuid4().int}"
    version = previous.version + 1 if previous else 1
    replaced = previous.unique_id if previous else None
    return DmpDocument(
        id=f"D{number:05d}",
        resident_id=resident.id,
        unique_id=unique_id,
        entry_uuid=new_urn(),
        set_id=set_id,
        version=version,
        cda=build_dlu(resident, unique_id, set_id, version, replaced),
        replaces=previous.entry_uuid if previous else None,
    )


def patient_id(resident: Resident) -> str:
    """XDS patientId of a resident's INS: <matricule>^^^&<OID>&ISO^NH."""
    return f"{resident.ins}^^^&{resident.ins_oid}&ISO^NH"


def received_summary(entry: ebrim.RegistryObject) -> dict:
    """What the DUI files about an integrated document."""
    type_code = next(iter(entry.codes(ebrim.DE_TYPE)), None)
    return {
        "uniqueId": entry.external(ebrim.DE_UNIQUE_ID),
        "typeCode": type_code.code if type_code else None,
        "title": entry.title,
    }


def listed_summary(entry: ebrim.RegistryObject) -> dict:
    """One line of the synthetic list of the resident's DMP documents: what is filed, and the creation time."""
    return {**received_summary(entry), "dateCreation": entry.slot("creationTime")}


@dataclass
class DmpView:
    """What the DUI shows of a resident's DMP in the record (lireVueDmp): its state, the synthetic list from ITI-18
    (only for an open DMP), whether a VSM exists and its date."""

    status: str
    qualified: bool
    documents: list[dict] | None = None
    hide_vsm: bool = False  # the dmp-vue-sans-vsm defect

    def summary(self) -> dict:
        vsm = None
        if self.documents is not None:
            latest = max(
                (d for d in self.documents if d["typeCode"] == VSM_TYPE and not self.hide_vsm),
                key=lambda d: d["dateCreation"] or "",
                default=None,
            )
            vsm = {"disponible": latest is not None, "date": latest["dateCreation"] if latest else None}
        return {"insQualifiee": self.qualified, "statutDmp": self.status, "documents": self.documents, "vsm": vsm}


class DmpConsultation:
    """Opening a resident's record: the recorded non-opposition, then, for a qualified INS without opposition, the DMP
    existence test (TD0.2) with no click and, for an open DMP, the ITI-18 query of the synthetic list; the existence
    test once before any feeding (SC.DMP/CONF.01)."""

    def __init__(self, client: DmpClient | None, defects: frozenset[str]):
        self.client, self.defects = client, defects
        self._lock = threading.Lock()
        self._non_opposition: dict[str, bool] = {}  # by resident id, as recorded at opening
        self._views: dict[str, DmpView] = {}
        self._tested: set[str] = set()  # residents whose DMP existence was tested

    def reset(self) -> None:
        with self._lock:
            self._non_opposition.clear()
            self._views.clear()
            self._tested.clear()

    def opposed(self, rid: str) -> bool:
        """The resident's opposition is recorded (CONF.06/09: no DMP transaction at all)."""
        with self._lock:
            return self._non_opposition.get(rid) is False and "dmp-opposition-ignoree" not in self.defects

    def open(self, resident: Resident, non_opposition: bool) -> DmpView:
        """Record the opening, build the view now (DmpUnavailable: the DMP failed), unless the lazy-test defect."""
        with self._lock:
            self._non_opposition[resident.id] = non_opposition
            self._views.pop(resident.id, None)
        if "dmp-test-a-l-affichage" in self.defects:  # defect: the existence test waits for the DMP view
            return DmpView(NOT_ASKED, _qualified(resident))
        return self.view(resident)

    def view(self, resident: Resident) -> DmpView:
        with self._lock:
            view = self._views.get(resident.id)
        if view is None:
            view = self._build(resident)
            with self._lock:
                self._views[resident.id] = view
        return view

    def _build(self, resident: Resident) -> DmpView:
        qualified = _qualified(resident)
        if not qualified or self.client is None:
            return DmpView(NOT_ASKED, qualified)
        if self.opposed(resident.id):
            return DmpView(OPPOSED, qualified)
        status = self.client.test_existence(resident)
        with self._lock:
            self._tested.add(resident.id)
        if status == NO_DMP and "dmp-vue-absent-vide" in self.defects:
            return DmpView(OPEN, qualified, [])  # defect: no DMP shown as an open, empty one
        if status != OPEN:
            return DmpView(status, qualified)
        documents = [listed_summary(e) for e in self.client.find(patient_id(resident))]
        return DmpView(OPEN, qualified, documents, hide_vsm="dmp-vue-sans-vsm" in self.defects)

    def before_feed(self, resident: Resident) -> None:
        """CONF.01: the existence test at least once before feeding this resident's DMP (its answer does not stop the
        feed: CONF.05, no access authorisation is needed to feed)."""
        with self._lock:
            tested = resident.id in self._tested
        if tested or self.client is None or "dmp-alimentation-sans-test" in self.defects:
            return
        self.client.test_existence(resident)
        with self._lock:
            self._tested.add(resident.id)


def _qualified(resident: Resident) -> bool:
    return resident.status == "QUAL" and bool(resident.ins and resident.ins_oid)
