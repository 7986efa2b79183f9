"""The DMP mock: an XDS.b repository + registry on 127.0.0.1 (ITI-41, ITI-18, ITI-43), and the DMP's existence
test (TD0.2) answering for each patient as declared (:data:`DMP_STATES`: a DMP to which access is granted, none,
access refused), a DMP with access granted by default.

Permissive by design (harness lessons §10 items 1 and 6): it reads requests with the library
(``dui_conformance.xds.dmp_requests``), which later judges the recorded exchange; a submission
the ITI-41 checks would fault is still stored. Only what a real registry cannot accept (no
SubmissionSet, patientId disagreement or not an INS, document and metadata unpaired,
hash/size contradicting the bytes, RPLC to an unknown entry) is refused with the IHE error code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import threading
from collections.abc import Callable

from lxml import etree
from werkzeug.wrappers import Request, Response

from dui_conformance.mocks.common import Exchange, MockService
from dui_conformance.xds import ebrim, expected_entry, read_submission
from dui_conformance.xds.build import extrinsic_object, new_urn, q
from dui_conformance.xds.dmp_requests import (
    DMP_PATH,
    INS_PATIENT_ID,
    ITI18,
    ITI41,
    ITI43,
    TD02,
    TD02_ACTION,
    TRANSACTION_PATHS,
    UNKNOWN_DOCUMENT,
    UNKNOWN_REPOSITORY,
    read_existence,
    read_query,
    read_retrieve,
    route_departure,
    transaction_of,
)
from dui_conformance.xds.ebrim import NS
from dui_conformance.xds.iti41 import documents_of
from dui_conformance.xds.mtom import MtomProblem, parse_mtom
from dui_conformance.xmlsafe import XmlDocument, XmlProblem, parse_xml

from . import soap
from .soap import XdsError
from .store import REPOSITORY_ID, Store, StoredEntry, prepare_metadata

_URN_UUID = re.compile(r"^urn:uuid:[0-9a-fA-F-]{36}$")
PRESENT, ABSENT, REFUSED = "present", "absent", "refuse"
# What TD0.2 answers for a patient in each state: (a DMP exists, access authorisation).
DMP_STATES = {PRESENT: (True, soap.VALID), ABSENT: (False, ""), REFUSED: (True, soap.FORBIDDEN)}


def _soap_response(data: bytes, status: int = 200) -> Response:
    return Response(data, status, content_type=soap.SOAP12_TYPE)


def _x(xml: XmlDocument, expr: str, node=None) -> list:
    return (xml.root if node is None else node).xpath(expr, namespaces=NS)


def _errors_data(errors: list[XdsError]) -> list[dict[str, str]]:
    return [{"code": e.code, "context": e.context, "message": e.text, "clause": soap.CLAUSE} for e in errors]


class DmpMock(MockService):
    """``DmpMock().start()``; give the DUI ``iti41_url``, ``iti18_url`` and ``iti43_url``."""

    service = "dmp"
    endpoint_path = DMP_PATH

    def __init__(self, port: int = 0, environment: str = "test", ssl_context=None, td02_action: str = TD02_ACTION):
        """``td02_action``: the wsa:Action TD0.2 expects (UNVERIFIED, see ``dmp_requests``), recorded for its check."""
        super().__init__(port=port, ssl_context=ssl_context)
        self.environment = environment
        self.td02_action = td02_action
        self.store = Store()
        self._states: dict[str, str] = {}  # XDS patientId → state of DMP_STATES (PRESENT when absent)
        self._errors: list[str] = []
        self._errors_lock = threading.Lock()

    # -- public API ---------------------------------------------------------------------------
    @property
    def iti41_url(self) -> str:
        return self.url + TRANSACTION_PATHS[ITI41]

    @property
    def iti18_url(self) -> str:
        return self.url + TRANSACTION_PATHS[ITI18]

    @property
    def iti43_url(self) -> str:
        return self.url + TRANSACTION_PATHS[ITI43]

    def endpoints(self) -> dict[str, str]:
        """Each transaction's URL, as published in services-simules.json."""
        return {ITI41: self.iti41_url, ITI18: self.iti18_url, ITI43: self.iti43_url, TD02: self.td02_url}

    @property
    def td02_url(self) -> str:
        return self.url + TRANSACTION_PATHS[TD02]

    @property
    def wsgi_app(self):
        """The WSGI app (recording and faults included), for ``werkzeug.test.Client`` without a socket."""
        return self._server.app

    def reset(self) -> None:
        """Also forget stored entries and queued error answers, so scenarios do not leak into each other."""
        super().reset()
        with self._errors_lock:
            self._errors.clear()
            self._states.clear()
        self.store.clear()

    def declare(self, patient_id: str, state: str) -> None:
        """What TD0.2 answers for this INS (XDS patientId form): a state of :data:`DMP_STATES`."""
        if state not in DMP_STATES:
            raise ValueError(f"État de DMP inconnu « {state} » (connus : {', '.join(DMP_STATES)}).")
        with self._errors_lock:
            self._states[patient_id] = state

    def state(self, patient_id: str) -> str:
        with self._errors_lock:
            return self._states.get(patient_id, PRESENT)

    def fail_next(self, code: str = "XDSRepositoryError", count: int = 1) -> None:
        """Answer the next ``count`` ITI-41 submissions with this IHE error code (nothing stored)."""
        with self._errors_lock:
            self._errors += [code] * count

    def seed(
        self, document: bytes, status: str = ebrim.APPROVED, replaces: str | None = None, **metadata
    ) -> StoredEntry:
        """Place a CDA in the registry as if already shared; ``metadata`` overrides ExpectedEntry fields; ``replaces``:
        the uniqueId of the entry it replaces (RPLC), then deprecated."""
        cda = parse_xml(document, "seed.xml")
        exp = dataclasses.replace(expected_entry(cda, document, self.environment), **metadata)
        entry_uuid = new_urn()
        node = extrinsic_object(exp, entry_uuid, status=status, repository_id=REPOSITORY_ID)
        entry = StoredEntry(
            entry_uuid, exp.unique_id or new_urn(), exp.patient_id or "", document, node, exp.mime_type, status
        )
        self.store.add(entry)
        replaced = self.store.by_unique_id(replaces) if replaces else None
        if replaced is not None:
            self.store.deprecate(replaced.entry_uuid, entry_uuid)
        return entry

    def entries(self, patient_id: str) -> list[StoredEntry]:
        return self.store.find(patient_id)

    # -- dispatch -----------------------------------------------------------------------------
    def handle(self, request: Request, exchange: Exchange) -> Response:
        transaction = transaction_of(exchange.request)
        if transaction is None:
            return Response("Chemin inconnu du DMP simulé.", 404, mimetype="text/plain")
        if route_departure(exchange.request) is not None:
            return Response("Le DMP simulé n'accepte que POST.", 405, mimetype="text/plain")
        routes: dict[str, Callable[[Request, Exchange], Response]] = {
            ITI41: self._iti41,
            ITI18: self._iti18,
            ITI43: self._iti43,
            TD02: self._td02,
        }
        exchange.operation = transaction
        return routes[transaction](request, exchange)

    # -- ITI-41 -------------------------------------------------------------------------------
    def _iti41(self, request: Request, exchange: Exchange) -> Response:
        content_type, body = request.headers.get("Content-Type", ""), request.get_data()
        exchange.data["environment"] = self.environment  # the INS environment its checks expect
        try:
            msg = parse_mtom(content_type, body) if "multipart/related" in content_type.lower() else None
            xml = parse_xml(msg.envelope if msg else body, exchange.id)
        except (MtomProblem, XmlProblem) as problem:
            return self._registry_answer(exchange, [XdsError("XDSRegistryMetadataError", problem.message)], None)
        relates_to = "".join(_x(xml, "//wsa:MessageID/text()")).strip() or None
        with self._errors_lock:
            injected = self._errors.pop(0) if self._errors else None
        if injected:
            exchange.data["injected_error"] = injected
            return self._registry_answer(exchange, [XdsError(injected, "erreur injectée par le harnais")], relates_to)
        sub = read_submission(xml)
        docs, _ = documents_of(xml, msg)
        errors = self._refusals(sub, docs)
        if not errors:
            exchange.data["stored"] = self._store(sub, docs)
        return self._registry_answer(exchange, errors, relates_to)

    def _registry_answer(self, exchange: Exchange, errors: list[XdsError], relates_to: str | None) -> Response:
        exchange.data["status"] = "Failure" if errors else "Success"
        exchange.data["errors"] = _errors_data(errors)
        payload = soap.registry_response(errors)
        return _soap_response(soap.envelope(payload, soap.ITI41_RESPONSE, relates_to))

    def _refusals(self, sub, docs: dict[str, bytes]) -> list[XdsError]:
        """What a registry/repository must refuse (ITI TF-3 Table 4.2.4.1-2)."""
        if len(sub.submission_sets) != 1 or not sub.entries:
            return [XdsError("XDSRegistryMetadataError", "un SubmissionSet et au moins une DocumentEntry attendus")]
        errors = []
        wanted = sub.submission_sets[0].external(ebrim.SS_PATIENT_ID) or ""
        if not INS_PATIENT_ID.match(wanted):
            errors.append(XdsError("XDSUnknownPatientId", f"« {wanted} » n'est pas un INS au format ^^^&OID&ISO^NH"))
        for entry in sub.entries:
            unique_id = entry.external(ebrim.DE_UNIQUE_ID)
            if entry.external(ebrim.DE_PATIENT_ID) != wanted:
                errors.append(XdsError("XDSPatientIdDoesNotMatch", f"DocumentEntry {entry.id}"))
            if not unique_id:
                errors.append(XdsError("XDSRegistryMetadataError", f"DocumentEntry {entry.id} sans uniqueId"))
            elif self.store.by_unique_id(unique_id):
                errors.append(XdsError("XDSDuplicateUniqueIdInRegistry", unique_id))
            data = docs.get(entry.id)
            if data is None:
                errors.append(XdsError("XDSMissingDocument", f"DocumentEntry {entry.id}"))
                continue
            digest, size = entry.slot("hash"), entry.slot("size")
            if (digest and digest.lower() != hashlib.sha1(data).hexdigest()) or (
                size and size.strip() != str(len(data))
            ):
                errors.append(XdsError("XDSRepositoryMetadataError", f"DocumentEntry {entry.id}"))
        for doc_id in set(docs) - {e.id for e in sub.entries}:
            errors.append(XdsError("XDSMissingDocumentMetadata", f"xdsb:Document {doc_id}"))
        for assoc in (a for a in sub.associations if a.type == ebrim.RPLC):
            target = self.store.get(assoc.target)
            if target is None:
                errors.append(XdsError("UnresolvedReferenceException", f"RPLC vers {assoc.target}"))
            elif target.status != ebrim.APPROVED:
                errors.append(XdsError("XDSRegistryMetadataError", f"RPLC vers l'entrée {assoc.target} déjà dépréciée"))
        return errors

    def _store(self, sub, docs: dict[str, bytes]) -> list[str]:
        new_ids = {}
        for entry in sub.entries:
            entry_uuid = entry.id if _URN_UUID.match(entry.id) and not self.store.get(entry.id) else new_urn()
            new_ids[entry.id] = entry_uuid
            data = docs[entry.id]
            self.store.add(
                StoredEntry(
                    entry_uuid,
                    entry.external(ebrim.DE_UNIQUE_ID) or "",
                    entry.external(ebrim.DE_PATIENT_ID) or "",
                    data,
                    prepare_metadata(entry.element, entry_uuid, data),
                    entry.mime_type or "text/xml",
                )
            )
        for assoc in (a for a in sub.associations if a.type == ebrim.RPLC):
            self.store.deprecate(assoc.target, new_ids.get(assoc.source, assoc.source))
        return list(new_ids.values())

    # -- ITI-18 -------------------------------------------------------------------------------
    def _iti18(self, request: Request, exchange: Exchange) -> Response:
        read = read_query(exchange.request)
        if read.unreadable is not None:
            return _soap_response(soap.fault(read.unreadable), 400)
        objects: list[etree._Element] = []
        errors = [XdsError(*read.error)] if read.error else []
        if not errors:
            found = self.store.find(read.patient_id, read.statuses)
            exchange.data.update(
                patient_id=read.patient_id, statuses=sorted(read.statuses), return_type=read.return_type
            )
            if read.return_type == "LeafClass":
                objects = [e.leaf_class() for e in found]
            else:
                objects = [etree.Element(q("rim", "ObjectRef"), id=e.entry_uuid) for e in found]
        exchange.data.update(
            status="Failure" if errors else "Success", results=len(objects), errors=_errors_data(errors)
        )
        response = soap.query_response(objects, errors)
        return _soap_response(soap.envelope(response, soap.ITI18_RESPONSE, read.message_id))

    # -- ITI-43 -------------------------------------------------------------------------------
    def _iti43(self, request: Request, exchange: Exchange) -> Response:
        read = read_retrieve(exchange.request)
        if read.unreadable is not None:
            return _soap_response(soap.fault(read.unreadable), 400)
        found, errors = [], []
        for repository, unique_id in read.documents:
            entry = self.store.by_unique_id(unique_id)
            if repository != REPOSITORY_ID:
                errors.append(XdsError(UNKNOWN_REPOSITORY, repository))
            elif entry is None:
                errors.append(XdsError(UNKNOWN_DOCUMENT, unique_id))
            else:
                found.append((REPOSITORY_ID, unique_id, entry.mime_type, entry.document))
        if not read.documents:
            errors.append(XdsError("XDSRegistryMetadataError", "aucun document demandé"))
        exchange.data.update(retrieved=[f[1] for f in found], errors=_errors_data(errors))
        content_type, body = soap.retrieve_response(found, errors, read.message_id)
        return Response(body, 200, content_type=content_type)

    # -- TD0.2 --------------------------------------------------------------------------------
    def _td02(self, request: Request, exchange: Exchange) -> Response:
        exchange.data["action"] = self.td02_action  # what its check expects (a parameter: unverified)
        read = read_existence(exchange.request, self.td02_action)
        if read.unreadable is not None:
            return _soap_response(soap.fault(read.unreadable), 400)
        state = self.state(read.patient_id)
        exists, authorisation = DMP_STATES[state]
        exchange.data.update(patient_id=read.patient_id, state=state)
        return _soap_response(soap.existence_response(exists, authorisation, read.message_id))
