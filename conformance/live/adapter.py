"""HTTP client of the DUI test adapter described by ``openapi.yaml`` (same folder).

``ROUTES`` names the contract operation behind every client call, so a test can prove the
client and the contract never drift apart.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from .driver import Admission, DmpAnswer, DuiFailure, Traits, VitaleCard

# client method -> (HTTP method, path template in openapi.yaml)
ROUTES: dict[str, tuple[str, str]] = {
    "health": ("get", "/sante"),
    "reset": ("post", "/reinitialisation"),
    "admit_by_traits": ("post", "/residents"),
    "admit_by_vitale": ("post", "/residents/carte-vitale"),
    "patient": ("get", "/residents/{id}/patient"),
    "feed_dmp": ("post", "/residents/{id}/dmp/documents"),
    "dmp_documents": ("get", "/residents/{id}/dmp/documents"),
    "integrate_dmp": ("post", "/residents/{id}/dmp/integration"),
    "received_documents": ("get", "/residents/{id}/documents-recus"),
    "sessions": ("get", "/session"),
    "revalidate_sessions": ("post", "/session/actualisation"),
    "send_mss": ("post", "/residents/{id}/mssante/envois"),
    "mss_sendings": ("get", "/residents/{id}/mssante/envois"),
    "fetch_mss": ("post", "/mssante/releve"),
    "pending_mss_documents": ("get", "/mssante/a-rapprocher"),
    "open_record": ("post", "/residents/{id}/ouverture"),
    "dmp_view": ("get", "/residents/{id}/dmp"),
    "reply_mss": ("post", "/mssante/reponses"),
    "open_mss_sessions": ("post", "/mssante/sessions"),
}

JSON_TYPES = ("application/problem+json", "application/json", "application/fhir+json")
SERVICE_LABELS = ("INS", "DMP", "MSS", "PSC")  # GET /sante « services », exactly (openapi.yaml, Sante)


class AdapterError(DuiFailure):
    """The DUI's adapter could not be reached, timed out or broke its contract: a finding against the DUI (the adapter
    is part of the vendor's test build); before the run (``GET /sante``), a usage error."""


class UnknownServiceLabel(AdapterError):
    """``GET /sante`` lists a service label outside the contract (« mss » for « MSS »): its scenarios would be
    silently left out; the steps that read the labels report it instead."""


class AdapterClient:
    """Drives a DUI through its test adapter; implements :class:`~dui_conformance.live.driver.DuiDriver`
    and :class:`~dui_conformance.live.driver.DmpDriver`."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # never route test traffic through a proxy from the environment

    def close(self) -> None:
        self.session.close()

    def _call(self, operation: str, json_body: Any = None, **path_params: str | None) -> requests.Response:
        method, template = ROUTES[operation]
        where = f"{method.upper()} {template}"
        missing = [name for name, value in path_params.items() if not isinstance(value, str)]
        if missing:  # the resident the DUI should have created earlier in the scenario
            raise AdapterError(
                f"Trouvé : aucun identifiant de résident donné par le DUI à l'admission, {where} ne peut être "
                "demandé. Attendu : l'identifiant du résident admis (champ « id » de la réponse 201).",
                where,
            )
        path = template.format(**{k: quote(v, safe="") for k, v in path_params.items() if isinstance(v, str)})
        try:
            return self.session.request(method, self.base_url + path, json=json_body, timeout=self.timeout)
        except requests.Timeout:
            raise AdapterError(
                f"Trouvé : aucune réponse de l'adaptateur du DUI à {method.upper()} {path} en {self.timeout:g} s. "
                "Attendu : une réponse dans le délai (timeout_s de la configuration).",
                where,
            ) from None
        except requests.RequestException as exc:
            raise AdapterError(
                f"Trouvé : adaptateur du DUI injoignable ({method.upper()} {path} : {exc}). Attendu : une réponse.",
                where,
            ) from None

    @staticmethod
    def _where(response: requests.Response) -> str:
        return f"{(response.request.method or '').upper()} {response.request.path_url}"

    def _refused(self, response: requests.Response, what: str, expected: str, body: Any = None) -> AdapterError:
        """The DUI answered outside the contract: what it answered, what the contract expects."""
        found = f"HTTP {response.status_code}" + (f", {body!r:.300}" if body is not None else "")
        return AdapterError(
            f"{what} : le DUI a répondu {found} à {self._where(response)}. Attendu : {expected} (contrat de "
            "l'adaptateur, openapi.yaml).",
            self._where(response),
        )

    def _json(self, response: requests.Response) -> Any:
        content_type = response.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip() not in JSON_TYPES:
            raise AdapterError(
                f"Trouvé : réponse sans JSON (HTTP {response.status_code}, type « {content_type} ») à "
                f"{self._where(response)}. Attendu : application/json, ou application/problem+json pour une erreur.",
                self._where(response),
            )
        try:
            return response.json()
        except ValueError:
            raise AdapterError(
                f"Trouvé : JSON illisible (HTTP {response.status_code}) à {self._where(response)}. Attendu : du JSON.",
                self._where(response),
            ) from None

    def health(self) -> dict[str, Any]:
        response = self._call("health")
        if response.status_code != 200:
            raise self._refused(response, "Adaptateur pas prêt", "HTTP 200")
        body = self._json(response)
        if not isinstance(body, dict) or not isinstance(body.get("services", []), list):
            raise self._refused(response, "État de l'adaptateur hors contrat", "un objet Sante", body)
        unknown = [label for label in body.get("services", []) if label not in SERVICE_LABELS]
        if unknown:
            raise UnknownServiceLabel(
                f"Trouvé : étiquettes de service {unknown!r} dans GET /sante. Attendu : parmi "
                f"{', '.join(SERVICE_LABELS)}, casse comprise (sinon les scénarios du service ne sont pas évalués).",
                "GET /sante",
            )
        return body

    def reset(self) -> None:
        response = self._call("reset")
        if response.status_code not in (200, 204):
            raise self._refused(response, "Réinitialisation refusée", "HTTP 204")

    def admit_by_traits(self, traits: Traits, id_document: str | None = None) -> Admission:
        return self._admission(self._call("admit_by_traits", {**traits.to_json(), "pieceIdentite": id_document}))

    def admit_by_vitale(self, card: VitaleCard, id_document: str | None = None) -> Admission:
        return self._admission(self._call("admit_by_vitale", {**card.to_json(), "pieceIdentite": id_document}))

    def _admission(self, response: requests.Response) -> Admission:
        body = self._json(response)
        if not isinstance(body, dict):
            raise self._refused(response, "Réponse d'admission hors contrat", "un objet JSON", body)
        if response.status_code >= 400:
            resident = body.get("resident")
            return Admission(
                response.status_code, resident_id=resident if isinstance(resident, str) else None, problem=body
            )
        ins = body.get("ins")
        matricule = ins.get("matricule") if isinstance(ins, dict) else None
        if (
            response.status_code not in (200, 201)
            or not isinstance(body.get("id"), str)
            or not isinstance(body.get("statut"), (str, type(None)))
            or not isinstance(matricule, (str, type(None)))
        ):
            raise self._refused(
                response, "Admission hors contrat", "HTTP 201, un objet Admission (id, statut, ins.matricule)", body
            )
        return Admission(response.status_code, resident_id=body["id"], status=body.get("statut"), ins=matricule)

    def patient(self, admission: Admission) -> dict[str, Any] | None:
        """The exported FHIR Patient, or None when the DUI has no such resident (404)."""
        if admission.resident_id is None:
            return None
        response = self._call("patient", id=admission.resident_id)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._refused(response, "Export du Patient refusé", "HTTP 200 et la ressource Patient")
        body = self._json(response)
        if not isinstance(body, dict):
            raise self._refused(response, "Export du Patient hors contrat", "une ressource Patient (objet JSON)", body)
        return body

    # --- DMP (tag « dmp ») ------------------------------------------------------------------

    def _dmp_answer(self, response: requests.Response, ok: tuple[int, ...]) -> DmpAnswer:
        body = self._json(response)
        if not isinstance(body, dict):
            raise self._refused(response, "Réponse hors contrat", "un objet JSON", body)
        if response.status_code >= 400:
            return DmpAnswer(response.status_code, problem=body)
        if response.status_code not in ok:
            raise self._refused(response, "Réponse hors contrat", " ou ".join(f"HTTP {c}" for c in ok), body)
        return DmpAnswer(response.status_code, body=body)

    def _list(self, operation: str, resident_id: str) -> list[dict[str, Any]]:
        return self._listed(self._call(operation, id=resident_id))

    def _listed(self, response: requests.Response) -> list[dict[str, Any]]:
        body = self._json(response)
        if response.status_code != 200 or not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
            raise self._refused(response, "Liste refusée ou hors contrat", "HTTP 200 et une liste d'objets", body)
        return body

    def feed_dmp(self, resident_id: str, model: str = "DLU", replaces: str | None = None) -> DmpAnswer:
        return self._dmp_answer(self._call("feed_dmp", {"modele": model, "remplace": replaces}, id=resident_id), (201,))

    def dmp_documents(self, resident_id: str) -> list[dict[str, Any]]:
        return self._list("dmp_documents", resident_id)

    def integrate_dmp(self, resident_id: str) -> DmpAnswer:
        return self._dmp_answer(self._call("integrate_dmp", id=resident_id), (200,))

    def received_documents(self, resident_id: str) -> list[dict[str, Any]]:
        return self._list("received_documents", resident_id)

    def open_record(self, resident_id: str, non_opposition: bool = True) -> DmpAnswer:
        """The user opens the resident's record, where the resident's non-opposition to DMP access is recorded or not;
        the answer's body is what the record then shows of the DMP (as :meth:`dmp_view`)."""
        return self._dmp_answer(self._call("open_record", {"nonOpposition": non_opposition}, id=resident_id), (200,))

    def dmp_view(self, resident_id: str) -> dict[str, Any]:
        """What the record shows of the resident's DMP (lireVueDmp)."""
        response = self._call("dmp_view", id=resident_id)
        body = self._json(response)
        if response.status_code != 200 or not isinstance(body, dict):
            raise self._refused(response, "Vue DMP refusée ou hors contrat", "HTTP 200 et un objet VueDmp", body)
        return body

    # --- Pro Santé Connect (tag « psc ») ----------------------------------------------------

    def _sessions(self, operation: str) -> list[dict[str, Any]]:
        response = self._call(operation)
        body = self._json(response)
        sessions = body.get("sessions") if isinstance(body, dict) else None
        if (
            response.status_code != 200
            or not isinstance(sessions, list)
            or not all(isinstance(s, dict) for s in sessions)
        ):
            raise self._refused(response, "Sessions refusées ou hors contrat", 'HTTP 200 et {"sessions": [...]}', body)
        return sessions

    def sessions(self) -> list[dict[str, Any]]:
        """The PSC sessions open in the DUI (who is logged in)."""
        return self._sessions("sessions")

    def revalidate_sessions(self) -> list[dict[str, Any]]:
        """Make the DUI present its access tokens to PSC again; the sessions left."""
        return self._sessions("revalidate_sessions")

    # --- MSSanté (tag « mss ») --------------------------------------------------------------

    def send_mss(
        self, resident_id: str, recipient: str | None = None, citizen: bool = False, block_reply: bool = False
    ) -> DmpAnswer:
        """Send the resident's DLU to ``recipient``, or to the resident's Mon espace santé mailbox (``block_reply``:
        the patient may not answer, vague 2)."""
        body: dict[str, Any] = {"messagerieCitoyenne": True} if citizen else {"destinataire": recipient}
        if block_reply:
            body["reponsePatientBloquee"] = True
        return self._dmp_answer(self._call("send_mss", body, id=resident_id), (201,))

    def mss_sendings(self, resident_id: str) -> list[dict[str, Any]]:
        return self._list("mss_sendings", resident_id)

    def fetch_mss(self) -> DmpAnswer:
        return self._dmp_answer(self._call("fetch_mss"), (200,))

    def reply_mss(self, message_id: str, text: str) -> DmpAnswer:
        """Answer the received message ``message_id`` (vague 2: In-Reply-To, References)."""
        return self._dmp_answer(self._call("reply_mss", {"messageId": message_id, "texte": text}), (201,))

    def pending_mss_documents(self) -> list[dict[str, Any]] | None:
        """Received documents waiting in the DUI's worklist for identity matching; None (404): it keeps no such list."""
        response = self._call("pending_mss_documents")
        return None if response.status_code == 404 else self._listed(response)

    def open_mss_sessions(self, mailbox: str) -> DmpAnswer:
        """Open (again) the IMAP and SMTP sessions of ``mailbox``: a professional's with the PSC access token of the
        one logged in, the DUI's applicative mailbox with its certificate (vague 2 API LPS)."""
        return self._dmp_answer(self._call("open_mss_sessions", {"bal": mailbox}), (200,))
