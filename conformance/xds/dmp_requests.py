"""DMP requests as the simulated DMP reads them (ITI-41, ITI-18, ITI-43, TD0.2), and the check of a recorded one.

The DMP mock routes and answers from these readers; :func:`check_dmp_exchange` reads the same request
again from the recorded exchange: its route (DMP-40: path and method), an ITI-41 submission through
:func:`~dui_conformance.xds.check_iti41` (DMP-40…50), an ITI-18 query against FindDocuments (DMP-53),
an ITI-43 retrieval against the documents the DMP holds, as its recorded answer says (DMP-54), a TD0.2
existence test (HL7 v3 PRPA_IN201307UV02, reason TEST_EXST, on the INS: DMP-65).

TD0.2's wire form is not public (guide « Service DMP intégré aux LPS », SEL-MP-037): what is read here is what two
independent implementations agree on (the CNAM/ANS C# kit sample and a vendor's client, segur-spec-facts §3.1), the
SOAP action being a parameter of the mock (:data:`TD02_ACTION` by default, a vendor's client only).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..decides import decides
from ..deviations import deviation
from ..exchanges import Exchange, HttpRequest
from ..model import Finding, Location, failed, passed
from ..xmlsafe import XmlDocument, XmlProblem, parse_xml
from . import ebrim
from .build import ITI18_ACTION, ITI43_ACTION
from .ebrim import NS
from .iti41 import check_iti41
from .mtom import MtomProblem, parse_mtom

DMP_PATH = "/dmp"  # the simulated DMP's base path; one endpoint per transaction below it
ITI41, ITI18, ITI43, TD02 = "ITI-41", "ITI-18", "ITI-43", "TD0.2"
TRANSACTION_PATHS = {ITI41: "/iti41", ITI18: "/iti18", ITI43: "/iti43", TD02: "/td02"}
# TD0.2 (HL7 v3 query PRPA_IN201307UV02): reason code, its system, the answer's interaction (kit sample, vendor client).
TD02_ACTION = "urn:hl7-org:v3:PRPA_IN201307UV02"  # UNVERIFIED: a vendor's client only; the mock's default
TD02_QUERY, TD02_ANSWER = "PRPA_IN201307UV02", "PRPA_IN201308UV02"
TEST_EXISTENCE, REASON_SYSTEM = "TEST_EXST", "1.2.250.1.213.1.1.4.11"
INS_OIDS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11")
FIND_DOCUMENTS = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
INS_PATIENT_ID = re.compile(r"^\d{6}[\dAB]\d{8}\^\^\^&1\.2\.250\.1\.213\.1\.4\.(?:8|9|10|11)&ISO\^NH$")
# IHE error codes of an ITI-43 answer naming a document the DMP does not hold.
UNKNOWN_REPOSITORY, UNKNOWN_DOCUMENT = "XDSUnknownRepositoryId", "XDSDocumentUniqueIdError"


def transaction_of(request: HttpRequest) -> str | None:
    """ITI-41, ITI-18, ITI-43 or TD0.2 by the request's path; None for any other path."""
    path = request.path.partition("?")[0]
    return next((t for t, p in TRANSACTION_PATHS.items() if path == DMP_PATH + p), None)


def route_departure(request: HttpRequest) -> tuple[str, str] | None:
    """(deviation code, detail) when the DMP cannot route the request: another path, another method."""
    if transaction_of(request) is None:
        return "DMP-CHEMIN-INCONNU", f"reçu « {request.path.partition('?')[0]} »"
    if request.method != "POST":
        return "DMP-METHODE-HTTP", f"reçu {request.method}"
    return None


def _x(xml: XmlDocument, expr: str, node=None) -> list:
    return (xml.root if node is None else node).xpath(expr, namespaces=NS)


def _unquote(value: str) -> str:
    return value.strip().strip("()").strip().strip("'")


@dataclass
class SoapRequest:
    """A registry or repository request: ``problems`` lists each departure, in reading order;
    ``unreadable`` says why the request cannot be read at all (the answer is then a SOAP fault)."""

    problems: list[str] = field(default_factory=list)
    unreadable: str | None = None
    message_id: str | None = None


def _read_soap(request: HttpRequest, action: str, read: SoapRequest) -> XmlDocument | None:
    content_type, body = request.header("Content-Type") or "", request.content()
    try:
        if "multipart/related" in content_type.lower():
            body = parse_mtom(content_type, body).envelope
        xml = parse_xml(body, "requête")
    except (MtomProblem, XmlProblem) as problem:
        read.unreadable = f"Requête illisible : {problem.message}"
        read.problems.append(read.unreadable)
        return None
    if xml.root.tag != f"{{{ebrim.SOAP12}}}Envelope":
        read.problems.append(
            f"Racine {xml.root.tag} : enveloppe SOAP 1.2 attendue (Envelope dans l'espace de noms {ebrim.SOAP12})."
        )
    header = "/*[local-name()='Envelope']/*[local-name()='Header']"
    got = "".join(_x(xml, header + "/wsa:Action/text()")).strip()
    if got != action:
        read.problems.append(f"wsa:Action « {got or 'absente'} » : {action} attendue.")
    read.message_id = "".join(_x(xml, header + "/wsa:MessageID/text()")).strip() or None
    return xml


@dataclass
class QueryRequest(SoapRequest):
    """An ITI-18 request; ``error`` is the (IHE code, context) the registry answers instead of results."""

    error: tuple[str, str] | None = None
    patient_id: str = ""
    statuses: set[str] = field(default_factory=set)
    return_type: str = "ObjectRef"


def read_query(request: HttpRequest) -> QueryRequest:
    """An ITI-18 Registry Stored Query: FindDocuments by a quoted INS patientId and status list."""
    read = QueryRequest()
    xml = _read_soap(request, ITI18_ACTION, read)
    if xml is None:
        return read
    query = next(iter(_x(xml, "//query:AdhocQueryRequest/rim:AdhocQuery")), None)
    if query is None or query.get("id") != FIND_DOCUMENTS:
        qid = query.get("id") if query is not None else "absente"
        read.problems.append(f"Requête stockée {qid} : FindDocuments ({FIND_DOCUMENTS}) attendue.")
        read.error = ("XDSUnknownStoredQuery", str(qid))
        return read
    slots = {
        s.get("name"): [v.text or "" for v in _x(xml, "rim:ValueList/rim:Value", s)] for s in _x(xml, "rim:Slot", query)
    }
    raw_pid = (slots.get("$XDSDocumentEntryPatientId") or [""])[0].strip()
    if not raw_pid:
        read.problems.append("Paramètre $XDSDocumentEntryPatientId absent.")
        read.error = ("XDSStoredQueryParamNumber", "$XDSDocumentEntryPatientId")
        return read
    if not (raw_pid.startswith("'") and raw_pid.endswith("'")):
        read.problems.append(f"$XDSDocumentEntryPatientId {raw_pid} non encadré d'apostrophes.")
    read.patient_id = _unquote(raw_pid)
    if not INS_PATIENT_ID.match(read.patient_id):
        read.problems.append(f"$XDSDocumentEntryPatientId « {read.patient_id} » n'est pas un INS ^^^&OID&ISO^NH.")
    read.statuses = {_unquote(part) for value in slots.get("$XDSDocumentEntryStatus", []) for part in value.split(",")}
    read.statuses.discard("")
    if not read.statuses:
        read.problems.append("Paramètre $XDSDocumentEntryStatus absent.")
        read.error = ("XDSStoredQueryParamNumber", "$XDSDocumentEntryStatus")
        return read
    request_node = next(iter(_x(xml, "//query:AdhocQueryRequest")))
    read.return_type = "".join(_x(xml, "query:ResponseOption/@returnType", request_node)) or "ObjectRef"
    return read


@dataclass
class ExistenceRequest(SoapRequest):
    """A TD0.2 request: the INS it asks about (OID, 15-character matricule), empty when absent."""

    ins_oid: str = ""
    matricule: str = ""

    @property
    def patient_id(self) -> str:
        """The same INS as an XDS patientId (<matricule>^^^&<OID>&ISO^NH), as the registry keys its entries."""
        return f"{self.matricule}^^^&{self.ins_oid}&ISO^NH"


def read_existence(request: HttpRequest, action: str = TD02_ACTION) -> ExistenceRequest:
    """A TD0.2 existence test: PRPA_IN201307UV02 with reason TEST_EXST on one INS (patientIdentifier)."""
    read = ExistenceRequest()
    xml = _read_soap(request, action, read)
    if xml is None:
        return read
    query = next(iter(_x(xml, f"//hl7:{TD02_QUERY}")), None)
    if query is None:
        read.problems.append(f"Aucun {TD02_QUERY} (HL7 v3, espace de noms {ebrim.HL7}) dans le corps SOAP.")
        return read
    interaction = "".join(_x(xml, "hl7:interactionId/@extension", query))
    if interaction != TD02_QUERY:
        read.problems.append(f"interactionId « {interaction or 'absent'} » : {TD02_QUERY} attendu.")
    reasons = [(r.get("code"), r.get("codeSystem")) for r in _x(xml, "hl7:controlActProcess/hl7:reasonCode", query)]
    if (TEST_EXISTENCE, REASON_SYSTEM) not in reasons:
        found = ", ".join(f"{c}@{s}" for c, s in reasons) or "aucun"
        read.problems.append(f"reasonCode {found} : {TEST_EXISTENCE} (système {REASON_SYSTEM}) attendu.")
    parameters = "hl7:controlActProcess/hl7:queryByParameter/hl7:parameterList"
    values = _x(xml, f"{parameters}/hl7:patientIdentifier/hl7:value", query)
    if len(values) != 1:
        read.problems.append(f"{len(values)} patientIdentifier/value : exactement un INS attendu.")
        return read
    read.ins_oid, read.matricule = values[0].get("root") or "", values[0].get("extension") or ""
    if not INS_PATIENT_ID.match(read.patient_id):
        read.problems.append(
            f"patientIdentifier root « {read.ins_oid} », extension « {read.matricule} » : un INS attendu (OID "
            "d'autorité d'affectation de l'INS, matricule de 15 caractères)."
        )
    return read


@dataclass
class RetrieveRequest(SoapRequest):
    """An ITI-43 request: (RepositoryUniqueId, DocumentUniqueId) of each DocumentRequest, in order."""

    documents: list[tuple[str, str]] = field(default_factory=list)


def read_retrieve(request: HttpRequest) -> RetrieveRequest:
    """An ITI-43 Retrieve Document Set: at least one DocumentRequest."""
    read = RetrieveRequest()
    xml = _read_soap(request, ITI43_ACTION, read)
    if xml is None:
        return read
    for node in _x(xml, "//xdsb:RetrieveDocumentSetRequest/xdsb:DocumentRequest"):
        repository = "".join(_x(xml, "xdsb:RepositoryUniqueId/text()", node)).strip()
        unique_id = "".join(_x(xml, "xdsb:DocumentUniqueId/text()", node)).strip()
        read.documents.append((repository, unique_id))
    if not read.documents:
        read.problems.append("Aucun xdsb:DocumentRequest dans la requête.")
    return read


def _judged(requirement: str, problems: list[str], where: Location, transaction: str, label: str) -> list[Finding]:
    """A failure « DMP-5x : problème » per problem, or one pass naming what was checked."""
    return [failed(requirement, f"{requirement} : {p}", where, requirement) for p in problems] or [
        passed(requirement, f"Requête {transaction} conforme ({label}).", where)
    ]


@decides("DMP-40")
def check_route(exchange: Exchange) -> list[Finding]:
    """DMP-40: the request reaches one of the DMP's transaction endpoints, by POST."""
    departure = route_departure(exchange.request)
    if departure is None:
        return []
    code, detail = departure
    return [deviation(code, Location(exchange=exchange.id), detail)]


@decides("DMP-40", "DMP-41", "DMP-42", "DMP-43", "DMP-44", "DMP-45", "DMP-46", "DMP-47", "DMP-48", "DMP-49", "DMP-50")
def check_submission(exchange: Exchange) -> list[Finding]:
    """DMP-40…50: every ITI-41 check on the submission as the DMP received it, pointing at the exchange."""
    request = exchange.request
    environment = exchange.data.get("environment", "test")
    findings = check_iti41(request.header("Content-Type") or "", request.content(), exchange.id, environment)
    return [replace(f, location=replace(f.location, exchange=exchange.id)) for f in findings]


@decides("DMP-53")
def check_query(exchange: Exchange) -> list[Finding]:
    """DMP-53: an ITI-18 FindDocuments in SOAP 1.2 with its wsa:Action, a quoted INS patientId and statuses."""
    problems = read_query(exchange.request).problems
    where = Location(exchange=exchange.id)
    return _judged("DMP-53", problems, where, ITI18, "SOAP 1.2, wsa:Action, FindDocuments, patientId INS, statut")


@decides("DMP-54")
def check_retrieve(exchange: Exchange) -> list[Finding]:
    """DMP-54: an ITI-43 in SOAP 1.2 with its wsa:Action, asking for documents the DMP holds (its recorded
    answer names each one it does not)."""
    read = read_retrieve(exchange.request)
    refused = {(e.get("code"), e.get("context")) for e in exchange.data.get("errors", [])}
    problems = list(read.problems)
    for repository, unique_id in read.documents:
        if (UNKNOWN_REPOSITORY, repository) in refused:
            problems.append(f"RepositoryUniqueId « {repository} » inconnu.")
        elif (UNKNOWN_DOCUMENT, unique_id) in refused:
            problems.append(f"DocumentUniqueId « {unique_id} » inconnu.")
    where = Location(exchange=exchange.id)
    return _judged(
        "DMP-54", problems, where, ITI43, "SOAP 1.2, wsa:Action, RepositoryUniqueId et DocumentUniqueId connus"
    )


@decides("DMP-65")
def check_existence(exchange: Exchange) -> list[Finding]:
    """DMP-65: a TD0.2 in SOAP 1.2 with the action the DMP expects, PRPA_IN201307UV02, reason TEST_EXST, one INS."""
    problems = read_existence(exchange.request, exchange.data.get("action", TD02_ACTION)).problems
    where = Location(exchange=exchange.id)
    return _judged("DMP-65", problems, where, TD02, "SOAP 1.2, wsa:Action, PRPA_IN201307UV02, TEST_EXST, INS")


TRANSACTION_CHECKS: dict[str, Callable[[Exchange], list[Finding]]] = {
    ITI41: check_submission,
    ITI18: check_query,
    ITI43: check_retrieve,
    TD02: check_existence,
}


def check_dmp_exchange(exchange: Exchange) -> list[Finding]:
    """One recorded DMP exchange: its route, then the checks of its transaction."""
    route = check_route(exchange)
    transaction = transaction_of(exchange.request)
    if route or transaction is None:
        return route
    return TRANSACTION_CHECKS[transaction](exchange)
