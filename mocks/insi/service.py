"""The INSi téléservice mock: SOAP 1.2 on 127.0.0.1, answers from the persona file.

Permissive by design (harness lessons §10.1): any request it can understand gets a CR 00/01/02
answer, and each departure from the INSi contract is flagged on the recorded exchange. Only an
unreadable request (hostile or malformed XML, no SOAP envelope, unknown operation) gets a
SOAP fault.
"""

from __future__ import annotations

from pathlib import Path

from werkzeug.wrappers import Request, Response

from dui_conformance.mocks.common import Exchange, MockService
from dui_conformance.xmlsafe import XmlProblem, parse_xml

from . import soap
from .deviations import flag
from .personas import Persona, TraitsQuery, load_personas, match_traits, match_vitale
from .reading import check_headers, read_traits, read_vitale, transport_action

MAX_REQUEST_BYTES = 1024 * 1024  # an INSi request is a few kilobytes


def _soap_response(payload, status: int = 200, relates_to: str | None = None) -> Response:
    return Response(
        soap.envelope(payload, relates_to), status, content_type=f"{soap.SOAP12_CONTENT_TYPE}; charset=utf-8"
    )


def _request_fault(reason: str) -> Response:
    """Fault for a request the mock cannot read (SOAP 1.2 HTTP binding: Sender -> 400)."""
    return _soap_response(soap.fault(reason), 400)


class InsiMock(MockService):
    """``InsiMock().start()`` returns the endpoint URL to give to the DUI."""

    service = "insi"
    endpoint_path = "/lps"

    def __init__(
        self, personas_path: Path | str | None = None, port: int = 0, case_sensitive: bool = True, ssl_context=None
    ):
        super().__init__(port=port, ssl_context=ssl_context)
        self.personas: list[Persona] = load_personas(personas_path)
        self.case_sensitive = case_sensitive

    def endpoints(self) -> dict[str, str]:
        """Each operation's URL (one SOAP endpoint; the operation is the Body element and the SOAP action)."""
        return {soap.TRAITS_OPERATION: self.url, soap.VITALE_OPERATION: self.url}

    def handle(self, request: Request, exchange: Exchange) -> Response:
        if request.path != self.endpoint_path:
            flag(exchange, "INSI-CHEMIN-INCONNU", f"reçu « {request.path} », attendu « {self.endpoint_path} »")
            return Response("Chemin inconnu du téléservice INSi simulé.", 404, mimetype="text/plain")
        if request.method != "POST":
            flag(exchange, "INSI-METHODE-HTTP", f"reçu {request.method}")
            return Response("Le téléservice INSi n'accepte que POST.", 405, mimetype="text/plain")
        http_action = transport_action(request, exchange)
        try:
            doc = parse_xml(request.get_data(), exchange.id, max_bytes=MAX_REQUEST_BYTES)
        except XmlProblem as problem:
            flag(exchange, "INSI-XML-REFUSE", problem.message)
            return _request_fault(f"Requête illisible : {problem.message}")
        root = doc.root
        if root.tag == f"{{{soap.SOAP11_NS}}}Envelope":
            flag(exchange, "INSI-SOAP11", "enveloppe SOAP 1.1")
        elif root.tag != f"{{{soap.SOAP12_NS}}}Envelope":
            flag(exchange, "INSI-ENVELOPPE", f"élément racine « {root.tag} »")
            return _request_fault(
                f"Le corps de la requête n'est pas une enveloppe SOAP 1.2 : reçu « {root.tag} », "
                f"attendu « Envelope » dans l'espace de noms {soap.SOAP12_NS}."
            )
        ns = root.tag[1:].split("}")[0]
        header = root.find(f"{{{ns}}}Header")
        body = root.find(f"{{{ns}}}Body")
        payload = next((child for child in (body if body is not None else ()) if isinstance(child.tag, str)), None)
        operation = soap.OPERATIONS.get(payload.tag) if payload is not None else None
        if operation is None:
            got = payload.tag if payload is not None else "Body vide" if body is not None else "pas de Body"
            flag(exchange, "INSI-OPERATION-INCONNUE", f"reçu « {got} »")
            return _request_fault(
                f"Opération inconnue : reçu « {got} » ; le Body doit porter RECSANSVITALE (espace de "
                f"noms {soap.RECSANS_NS}) ou RECVITALE (espace de noms {soap.RECVIT_NS})."
            )
        exchange.operation = operation
        message_id = check_headers(header, operation, http_action, exchange)
        exchange.data["message_id"] = message_id
        if operation == soap.TRAITS_OPERATION:
            matches = self._search_traits(read_traits(payload, exchange), exchange)
        else:
            matches = self._search_vitale(read_vitale(payload, exchange), exchange)
        return self._answer(matches, exchange, message_id)

    def _search_traits(self, traits: dict, exchange: Exchange) -> list[Persona]:
        exchange.data["traits"] = traits
        query = TraitsQuery(
            traits["NomNaissance"],
            tuple(traits["Prenom"]),
            traits["Sexe"],
            traits["DateNaissance"],
            traits["LieuNaissance"],
        )
        return match_traits(self.personas, query, self.case_sensitive)

    def _search_vitale(self, card: dict, exchange: Exchange) -> list[Persona]:
        exchange.data["vitale"] = card
        return match_vitale(self.personas, card["NumIdentifiant"], card["Cle"], card["DateNaissance"])

    def _answer(self, matches: list[Persona], exchange: Exchange, message_id: str | None) -> Response:
        exchange.data["personas"] = [p.id for p in matches]
        failing = next((p for p in matches if p.fault is not None), None)
        if failing is not None:
            error = failing.fault
            exchange.data["fault"] = {"siram": error.siram, "desir": error.desir}
            return _soap_response(soap.fault(error.reason, "Sender", error, message_id), 400, message_id)
        cr = {0: "01", 1: "00"}.get(len(matches), "02")
        exchange.data["cr"] = cr
        persona = matches[0] if cr == "00" else None
        if persona is not None:
            exchange.data["matricule"] = persona.matricule
            exchange.data["oid"] = persona.ins.oid
            exchange.data["history"] = [h.nir + h.key for h in persona.history]
        return _soap_response(soap.resultat(cr, persona), 200, message_id)
