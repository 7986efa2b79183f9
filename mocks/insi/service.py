"""The INSi téléservice mock: SOAP 1.2 on 127.0.0.1, answers from the persona file.

Permissive by design (harness lessons §10.1): any request it can understand gets a CR 00/01/02
answer; the library reads it (``dui_conformance.ins.insi_request``) and later judges the recorded
exchange against the INSi contract. Only an unreadable request (hostile or malformed XML, no SOAP
envelope, unknown operation) gets a SOAP fault; another path or method gets 404 or 405.
"""

from __future__ import annotations

from pathlib import Path

from werkzeug.wrappers import Request, Response

from dui_conformance.ins.insi_personas import Persona, TraitsQuery, load_personas, match_traits, match_vitale
from dui_conformance.ins.insi_request import (
    INSI_PATH,
    SOAP12_CONTENT_TYPE,
    TRAITS_OPERATION,
    VITALE_OPERATION,
    read_request,
)
from dui_conformance.mocks.common import Exchange, MockService

from . import soap

# A request the mock cannot read: the HTTP status of its answer, by the deviation that stopped the reading.
REFUSAL_STATUS = {"INSI-CHEMIN-INCONNU": 404, "INSI-METHODE-HTTP": 405}


def _soap_response(payload, status: int = 200, relates_to: str | None = None) -> Response:
    return Response(soap.envelope(payload, relates_to), status, content_type=f"{SOAP12_CONTENT_TYPE}; charset=utf-8")


def _request_fault(reason: str) -> Response:
    """Fault for a request the mock cannot read (SOAP 1.2 HTTP binding: Sender -> 400)."""
    return _soap_response(soap.fault(reason), 400)


class InsiMock(MockService):
    """``InsiMock().start()`` returns the endpoint URL to give to the DUI."""

    service = "insi"
    endpoint_path = INSI_PATH

    def __init__(
        self, personas_path: Path | str | None = None, port: int = 0, case_sensitive: bool = True, ssl_context=None
    ):
        super().__init__(port=port, ssl_context=ssl_context)
        self.personas: list[Persona] = load_personas(personas_path)
        self.case_sensitive = case_sensitive

    def endpoints(self) -> dict[str, str]:
        """Each operation's URL (one SOAP endpoint; the operation is the Body element and the SOAP action)."""
        return {TRAITS_OPERATION: self.url, VITALE_OPERATION: self.url}

    def handle(self, request: Request, exchange: Exchange) -> Response:
        read = read_request(exchange.request)
        if read.stopped is not None:
            status = REFUSAL_STATUS.get(read.stopped)
            return Response(read.refusal, status, mimetype="text/plain") if status else _request_fault(read.refusal)
        exchange.operation = read.operation
        exchange.data["lps"] = read.lps
        exchange.data["message_id"] = read.message_id
        if read.operation == TRAITS_OPERATION:
            matches = self._search_traits(read.content, exchange)
        else:
            matches = self._search_vitale(read.content, exchange)
        return self._answer(matches, exchange, read.message_id)

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
        error = next((p.fault for p in matches if p.fault is not None), None)
        if error is not None:
            exchange.data["fault"] = {"siram": error.siram, "desir": error.desir}
            return _soap_response(soap.fault(error.reason, "Sender", error, message_id), 400, message_id)
        cr = {0: "01", 1: "00"}.get(len(matches), "02")
        exchange.data["cr"] = cr
        persona = matches[0] if cr == "00" else None
        if persona is not None and persona.ins is not None:
            exchange.data["matricule"] = persona.matricule
            exchange.data["oid"] = persona.ins.oid
            exchange.data["history"] = [h.nir + h.key for h in persona.history]
        return _soap_response(soap.resultat(cr, persona), 200, message_id)
