"""The reference DUI: implements the test adapter contract (conformance/live/openapi.yaml)
correctly against the INSi, unless a defect from :data:`DEFECTS` is switched on.

It plays a vendor's DUI in the harness's own tests and demos: admission by traits or by carte
Vitale, INSi lookup with the documented retries on CR 02, RNIV status, FR Core export.
"""

from __future__ import annotations

import html
import itertools
import re
import ssl
import threading
import unicodedata
from datetime import date

from requests.adapters import HTTPAdapter
from werkzeug.exceptions import HTTPException, NotFound, ServiceUnavailable
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from dui_conformance.live.dmp import cda_replaces
from dui_conformance.mocks.common import LoopbackServer

from .defects import check_defects
from .dmp import (
    PENDING,
    SENT,
    DmpClient,
    DmpConsultation,
    DmpDocument,
    DmpUnavailable,
    new_document,
    patient_id,
    received_summary,
)
from .insi_client import InsiClient, InsIdentifier, InsiResult
from .mss import MssAdapter, MssClient
from .mss_sessions import MailboxSessions
from .psc import SESSION_COOKIE, LoginRefused, PscRelyingParty
from .records import Records
from .resident import Resident, patient_resource
from .web import BadRequest, json_body, json_response, optional_text_field, problem, text_field, unknown_resident

# Identity documents this DUI accepts to qualify an identity (FR Core fr-core-cs-mode-validation-identity).
HIGH_TRUST_DOCUMENTS = frozenset({"CN", "PA", "CS", "eCN", "IN"})
TEST_INS_OID = "1.2.250.1.213.1.4.10"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COG = re.compile(r"^\d[\dAB]\d{3}$")
_MATRICULE = re.compile(r"^\d{6}[\dAB]\d{6}$")
MAX_BODY = 64 * 1024


def ins_form(value: str) -> str:
    """INS form of a typed name: upper case, accents removed (the INSi expects A-Z)."""
    decomposed = unicodedata.normalize("NFKD", value.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _document(body: dict) -> str | None:
    value = body.get("pieceIdentite")
    if value is not None and not (isinstance(value, str) and value.isalpha() and len(value) <= 5):
        raise BadRequest("Champ « pieceIdentite » invalide (code de pièce, ex. CN, PA, ou null).")
    return value


class WeakTls(HTTPAdapter):
    """HTTPS that allows obsolete TLS versions (at security level 0, which TLS 1.0/1.1 need): TLS 1.1 only for
    the ``tls-version-obsolete`` defect; TLS 1.0 and up (1.3 with a modern server) for
    ``tls-versions-obsoletes-acceptees``."""

    def __init__(self, minimum: ssl.TLSVersion, maximum: ssl.TLSVersion):
        self.minimum, self.maximum = minimum, maximum
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        context = ssl.create_default_context()
        context.minimum_version, context.maximum_version = self.minimum, self.maximum
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        super().init_poolmanager(*args, ssl_context=context, **kwargs)


class ReferenceDui:
    """``ReferenceDui(insi_url, defects, dmp_url).start()`` returns the adapter's base URL.

    Admission (INSi) is its own; DMP, MSSanté and Pro Santé Connect are composed clients and components
    (:class:`DmpClient`, :class:`MssAdapter`, :class:`PscRelyingParty`), each given what it needs: the
    defects, and for MSSanté the DUI's :class:`Records`."""

    def __init__(
        self,
        insi_url: str,
        defects: frozenset[str] | set[str] = frozenset(),
        host: str = "127.0.0.1",
        port: int = 0,
        timeout: float = 10.0,
        dmp_url: str | None = None,
        psc: dict | None = None,
        tls: dict[str, str] | None = None,
        mss_urls: dict[str, str] | None = None,
        mss_tls: dict[str, str] | None = None,
    ):
        """``psc``: discovery_url, client_id, client_secret, verify (CA file) of the Pro Santé Connect provider.
        ``tls``: the test PKI's files (``TestPki.files()``): trust only its root, present the client certificate.
        ``mss_urls`` (smtps://, imaps://) and ``mss_tls`` (PKI files): the MSSanté operator, always over TLS."""
        self.defects = check_defects(defects)
        self.psc = PscRelyingParty(defects=self.defects, timeout=timeout, **psc) if psc else None
        self.insi = InsiClient(insi_url, timeout=timeout)
        if "insi-action-fausse" in self.defects:  # defect: the SOAP actions of another version of the service
            self.insi.ACTION = "urn:ServiceIdentiteCertifiee:2.0.0:"
        self.insi.session.trust_env = False  # loopback only: never through a proxy
        self.dmp = DmpClient(dmp_url, self.defects, timeout) if dmp_url else None
        if tls is not None:
            for session in [self.insi.session] + ([self.dmp.session] if self.dmp else []):
                session.verify = "tls-sans-verification" not in self.defects and tls["racine"]
                if "tls-sans-certificat" not in self.defects:
                    session.cert = (tls["certificat_client"], tls["cle_client"])
                if "tls-version-obsolete" in self.defects:
                    session.mount("https://", WeakTls(ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_1))
                elif "tls-versions-obsoletes-acceptees" in self.defects:
                    session.mount("https://", WeakTls(ssl.TLSVersion.TLSv1, ssl.TLSVersion.MAXIMUM_SUPPORTED))
        self._records = Records()
        self._documents: dict[str, DmpDocument] = {}  # produced for the DMP, by document id
        self.consultation = DmpConsultation(self.dmp, self.defects)
        mss_client = MssClient(mss_urls, mss_tls, self.defects, timeout) if mss_urls and mss_tls else None
        self.mss = MssAdapter(mss_client, self._records, self.defects)
        self.mss_sessions = MailboxSessions(mss_client, self.psc, self.defects)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # guards the DMP documents
        self._last_found: InsiResult | None = None  # only the ignore-cr02 defect reads it back
        self._routes = Map(
            [
                Rule("/sante", endpoint="health", methods=["GET"]),
                Rule("/reinitialisation", endpoint="reset", methods=["POST"]),
                Rule("/residents", endpoint="admit_traits", methods=["POST"]),
                Rule("/residents/carte-vitale", endpoint="admit_vitale", methods=["POST"]),
                Rule("/residents/<rid>/patient", endpoint="patient", methods=["GET"]),
                Rule("/residents/<rid>/dmp/documents", endpoint="dmp_feed", methods=["POST"]),
                Rule("/residents/<rid>/dmp/documents", endpoint="dmp_documents", methods=["GET"]),
                Rule("/residents/<rid>/dmp/integration", endpoint="dmp_integration", methods=["POST"]),
                Rule("/residents/<rid>/documents-recus", endpoint="received", methods=["GET"]),
                Rule("/", endpoint="home", methods=["GET"]),
                Rule("/psc/connexion", endpoint="psc_login", methods=["GET"]),
                Rule("/psc/retour", endpoint="psc_callback", methods=["GET"]),
                Rule("/psc/deconnexion", endpoint="psc_logout", methods=["GET"]),
                Rule("/psc/fin-de-session", endpoint="psc_logged_out", methods=["GET"]),
                Rule("/session", endpoint="sessions", methods=["GET"]),
                Rule("/session/actualisation", endpoint="revalidate", methods=["POST"]),
                Rule("/residents/<rid>/mssante/envois", endpoint="mss_send", methods=["POST"]),
                Rule("/residents/<rid>/mssante/envois", endpoint="mss_sendings", methods=["GET"]),
                Rule("/mssante/releve", endpoint="mss_fetch", methods=["POST"]),
                Rule("/residents/<rid>/ouverture", endpoint="open_record", methods=["POST"]),
                Rule("/residents/<rid>/dmp", endpoint="dmp_view", methods=["GET"]),
                Rule("/mssante/a-rapprocher", endpoint="mss_pending", methods=["GET"]),
                Rule("/mssante/reponses", endpoint="mss_reply", methods=["POST"]),
                Rule("/mssante/sessions", endpoint="mss_open_sessions", methods=["POST"]),
            ]
        )
        self._server = LoopbackServer(self.wsgi, host, port)

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.base_url

    def start(self) -> str:
        return self._server.start()

    def stop(self) -> None:
        self._server.stop()
        self.mss_sessions.reset()
        self.insi.session.close()
        if self.dmp is not None:
            self.dmp.close()
        if self.psc is not None:
            self.psc.close()

    def __enter__(self) -> ReferenceDui:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- HTTP -----------------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        request.max_content_length = MAX_BODY
        try:
            endpoint, args = self._routes.bind_to_environ(environ).match()
            response = getattr(self, f"_on_{endpoint}")(request, **args)
        except NotFound:
            response = problem(404, "Ressource inconnue", f"Aucune opération de l'adaptateur en {request.path}.")
        except HTTPException as exc:
            response = problem(exc.code or 400, "Requête refusée", exc.description or "")
        except BadRequest as exc:
            response = problem(400, "Saisie invalide", str(exc))
        return response(environ, start_response)

    def _on_health(self, request: Request) -> Response:
        services = (
            ["INS"]
            + ["DMP"] * (self.dmp is not None)
            + ["MSS"] * (self.mss.client is not None)
            + ["PSC"] * (self.psc is not None)
        )
        return json_response({"statut": "disponible", "logiciel": "DUI de référence du harnais", "services": services})

    def _on_reset(self, request: Request) -> Response:
        self._records.clear()
        with self._lock:
            self._documents.clear()
        self.consultation.reset()
        self.mss.reset()
        self.mss_sessions.reset()
        if self.psc is not None:
            self.psc.reset()
        return Response(status=204)

    def _on_patient(self, request: Request, rid: str) -> Response:
        resident = self._records.get(rid)
        if resident is None:
            return unknown_resident(rid)
        export_ins = resident.status == "QUAL" or "ins-non-qualifiee" in self.defects
        patient = patient_resource(resident, export_ins)
        if "fiabilite-malformee" in self.defects:  # defect: identityStatus as a bare code, not a Coding
            reliability = patient["extension"][0]["extension"][0]
            reliability["valueCode"] = reliability.pop("valueCoding")["code"]
        return json_response(patient, mimetype="application/fhir+json")

    def _on_admit_traits(self, request: Request) -> Response:
        body = json_body(request)
        names = body.get("prenoms")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise BadRequest("Champ « prenoms » absent ou invalide (liste non vide).")
        sex = body.get("sexe")
        if sex not in ("M", "F"):
            raise BadRequest("Champ « sexe » invalide (M ou F).")
        typed = Resident(
            id=self._new_id(),
            birth_name=ins_form(text_field(body, "nomNaissance")),
            first_names=" ".join(ins_form(n) for n in names),
            first_name=ins_form(names[0]),
            sex=sex,
            birth_date=text_field(body, "dateNaissance", _DATE),
            birth_place=optional_text_field(body, "lieuNaissance", _COG),
        )
        document = _document(body)
        if "sans-insi" in self.defects:
            return self._store(self._checked(typed, document, None))
        response = self._conclude(typed, self._search_traits(typed, sex), document, method="INSI")
        if "traits-saisis" in self.defects and (stored := self._records.get(typed.id)) is not None:
            # defect: what was typed is kept instead of the INSi's traits
            stored.birth_name, stored.first_name = body["nomNaissance"].strip(), names[0].strip()
            stored.first_names = " ".join(n.strip() for n in names)
        return response

    def _on_admit_vitale(self, request: Request) -> Response:
        body = json_body(request)
        rank = body.get("rangNaissance")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= 9:
            raise BadRequest("Champ « rangNaissance » invalide (entier de 1 à 9).")
        matricule, key = text_field(body, "matricule", _MATRICULE), text_field(body, "cle", re.compile(r"^\d{2}$"))
        typed = Resident(
            id=self._new_id(),
            birth_name=ins_form(text_field(body, "nomNaissance")),
            first_names="",
            first_name="",
            sex=None,
            birth_date=text_field(body, "dateNaissance", _DATE),
            birth_place=None,
            method="CV",
        )
        document = _document(body)
        if "sans-insi" in self.defects:
            # Defect: the card's matricule taken as a qualified INS, the INSi never asked.
            typed.ins, typed.ins_oid, typed.status, typed.validation_mode = (
                matricule + key,
                TEST_INS_OID,
                "QUAL",
                document,
            )
            return self._store(typed)
        result = self.insi.search_by_vitale(matricule, key, typed.birth_date, typed.birth_name, str(rank))
        return self._conclude(typed, result, document, method="CV")

    # --- admission logic ------------------------------------------------------------------

    def _new_id(self) -> str:
        return f"R{next(self._ids):05d}"

    def _store(self, resident: Resident, status: int = 201) -> Response:
        self._records.store(resident)
        return json_response(resident.summary(), status)

    def _search_traits(self, typed: Resident, sex: str) -> InsiResult:
        """First birth first name, then every first name, then the birth place, while CR is 02."""
        every = typed.first_names.split(" ")
        attempts: list[tuple[list[str], str | None]] = [([typed.first_name], None)]
        if len(every) > 1:
            attempts.append((every, None))
        if typed.birth_place:
            attempts.append((every, typed.birth_place))
        for first_names, place in attempts:
            result = self.insi.search_by_traits(typed.birth_name, first_names, sex, typed.birth_date, place)
            if result.fault is not None or result.cr != "02":
                break
        return result

    def _checked(self, typed: Resident, document: str | None, cr: str | None) -> Resident:
        """RNIV without an INSi identity: VALI once a high-trust document was checked, PROV otherwise."""
        if document in HIGH_TRUST_DOCUMENTS and not (cr == "01" and "rniv-cr01-prov" in self.defects):
            typed.status, typed.validation_mode = "VALI", document
        return typed

    def _conclude(self, typed: Resident, result: InsiResult, document: str | None, method: str) -> Response:
        typed.insi_date = date.today().isoformat()
        if result.fault is not None and "faute-insi-ignoree" in self.defects and self._last_found is not None:
            result = self._last_found  # defect: the fault is not read, the previous answer is reused
        if result.fault is not None:
            self._store(self._checked(typed, document, None))
            return problem(
                502,
                "Erreur du téléservice INSi",
                f"L'interrogation INSi a échoué ({result.fault.code}"
                f"{' / ' + result.fault.desir if result.fault.desir else ''}) : {result.fault.message} "
                f"L'identité reste sans INS (statut {typed.status}).",
                service="INS",
                resident=typed.id,
            )
        if result.cr == "02" and "ignore-cr02" in self.defects and self._last_found is not None:
            result = self._last_found  # defect: the CR is not read, the previous answer is reused
        active = result.active if result.ok else None
        if active is None:
            return self._store(self._checked(typed, document, result.cr))  # CR 01 / 02: no INS
        self._last_found = result
        return self._store(self._from_insi(typed, result, active, document, method))

    def _from_insi(
        self, typed: Resident, result: InsiResult, active: InsIdentifier, document: str | None, method: str
    ) -> Resident:
        """The resident as the INSi knows it; ``active``: the INS the search found (``result.ok``)."""
        tiq = result.traits
        birth_name, first_names = tiq.get("NomNaissance", ""), tiq.get("ListePrenom") or tiq.get("Prenom", "")
        if "traits-alteres" in self.defects:
            birth_name, first_names = birth_name.capitalize(), first_names.split(" ")[0]
        qualified = document in HIGH_TRUST_DOCUMENTS
        # defect: the historical INS kept instead of the active one
        kept = result.history[0] if "ins-historique" in self.defects and result.history else active
        return Resident(
            id=typed.id,
            birth_name=birth_name,
            first_names=first_names,
            first_name=tiq.get("Prenom", ""),
            sex=tiq.get("Sexe"),
            birth_date=tiq.get("DateNaissance", typed.birth_date),
            birth_place=tiq.get("LieuNaissance") or None,
            status="QUAL" if qualified else "RECUP",
            method=method,
            ins=kept.full,
            ins_oid=kept.oid,
            insi_date=typed.insi_date,
            validation_mode=document if qualified else None,
        )

    # --- DMP --------------------------------------------------------------------------------

    def _dmp_resident(self, rid: str) -> tuple[Resident, DmpClient] | Response:
        """The resident and the DMP client, or the problem answer when the DMP cannot be used for it."""
        resident = self._records.get(rid)
        if resident is None:
            return unknown_resident(rid)
        if self.dmp is None:
            return problem(503, "DMP non configuré", "Le DUI n'a pas d'adresse de DMP.")
        qualified = resident.status == "QUAL" or "dmp-identite-non-qualifiee" in self.defects
        if not (qualified and resident.ins and resident.ins_oid):
            return problem(
                409,
                "Identité non qualifiée",
                f"Identité au statut « {resident.status} » : le DMP n'est accessible qu'avec un INS "
                "qualifié. Rien n'a été envoyé.",
                service="DMP",
                resident=rid,
            )
        if self.consultation.opposed(rid):
            return problem(
                409,
                "Opposition du résident",
                "Le résident s'est opposé à l'accès à son DMP (non-opposition non enregistrée) : rien n'a été envoyé.",
                service="DMP",
                resident=rid,
            )
        return resident, self.dmp

    def _on_dmp_feed(self, request: Request, rid: str) -> Response:
        body = json_body(request)
        if body.get("modele") != "DLU":
            raise BadRequest("Champ « modele » invalide (seul « DLU » est produit par ce DUI).")
        replaced_id = body.get("remplace")
        if replaced_id is not None and not isinstance(replaced_id, str):
            raise BadRequest("Champ « remplace » invalide (identifiant de document ou null).")
        usable = self._dmp_resident(rid)
        if isinstance(usable, Response):
            return usable
        resident, dmp = usable
        previous = None
        if replaced_id is not None:
            previous = self._documents.get(replaced_id)
            if previous is None or previous.resident_id != rid or previous.status != SENT:
                return problem(404, "Document inconnu", f"Aucun document envoyé « {replaced_id} » pour {rid}.")
            if "dmp-sans-rplc" in self.defects:
                previous = None  # defect: the replacement goes out as an unrelated new document
        document = new_document(resident, self._records.next_number(), previous)
        with self._lock:
            self._documents[document.id] = document
        dmp.acting = self._acting()
        try:
            self.consultation.before_feed(resident)
            dmp.submit(document, patient_id(resident))
        except DmpUnavailable as exc:
            if "dmp-erreur-ignoree" in self.defects:
                with self._lock:
                    del self._documents[document.id]  # defect: dropped, yet reported as sent
                return json_response({"document_id": document.id, "statut": SENT}, 201)
            document.status = PENDING
            return problem(
                502,
                "Erreur du DMP",
                f"{exc} Le document {document.id} est conservé pour un nouvel envoi.",
                service="DMP",
                resident=rid,
                document_id=document.id,
                statut=PENDING,
            )
        document.status = SENT
        return json_response({"document_id": document.id, "statut": SENT}, 201)

    def _on_dmp_documents(self, request: Request, rid: str) -> Response:
        if rid not in self._records:
            return unknown_resident(rid)
        with self._lock:
            return json_response([d.summary() for d in self._documents.values() if d.resident_id == rid])

    def _on_dmp_integration(self, request: Request, rid: str) -> Response:
        usable = self._dmp_resident(rid)
        if isinstance(usable, Response):
            return usable
        resident, dmp = usable
        pid = patient_id(resident)
        target = rid
        if "dmp-integration-mauvais-dossier" in self.defects:
            target = self._records.other_than(rid)  # defect: filed into another resident's record
        integrated, newer = [], []
        try:
            known = {d["uniqueId"] for d in self._records.received(target)}
            again = "dmp-retelechargement" in self.defects  # defect: every document downloaded again
            for entry in dmp.find(pid):
                summary = received_summary(entry)
                if summary["uniqueId"] in known and not again:
                    continue
                data = dmp.retrieve(entry.slot("repositoryUniqueId") or "", summary["uniqueId"] or "", pid)
                replaced = [] if "dmp-nouvelle-version-ignoree" in self.defects else cda_replaces(data)
                newer += [(old, summary["uniqueId"]) for old in replaced if old in known]
                integrated.append({**summary, "remplace": next((o for o in replaced if o in known), None)})
        except DmpUnavailable as exc:
            return problem(502, "Erreur du DMP", str(exc), service="DMP", resident=rid)
        self._records.file(target, integrated)
        for old, new in newer:  # UX.39: the record says which integrated document has a newer version in the DMP
            self._records.mark_replaced(target, old, new)
        return json_response({"integres": integrated})

    def _on_open_record(self, request: Request, rid: str) -> Response:
        body = json_body(request)
        non_opposition = body.get("nonOpposition")
        if not isinstance(non_opposition, bool):
            raise BadRequest("Champ « nonOpposition » absent ou invalide (booléen).")
        resident = self._records.get(rid)
        if resident is None:
            return unknown_resident(rid)
        if self.dmp is not None:
            self.dmp.acting = self._acting()
        try:
            return json_response(self.consultation.open(resident, non_opposition).summary())
        except DmpUnavailable as exc:
            return problem(502, "Erreur du DMP", str(exc), service="DMP", resident=rid)

    def _on_dmp_view(self, request: Request, rid: str) -> Response:
        resident = self._records.get(rid)
        if resident is None:
            return unknown_resident(rid)
        try:
            return json_response(self.consultation.view(resident).summary())
        except DmpUnavailable as exc:
            return problem(502, "Erreur du DMP", str(exc), service="DMP", resident=rid)

    def _on_received(self, request: Request, rid: str) -> Response:
        if rid not in self._records:
            return unknown_resident(rid)
        return json_response(self._records.received(rid))

    # --- MSSanté (the composed MssAdapter) ----------------------------------------------------

    def _on_mss_send(self, request: Request, rid: str) -> Response:
        return self.mss.send(rid, json_body(request))

    def _on_mss_sendings(self, request: Request, rid: str) -> Response:
        return self.mss.sendings(rid)

    def _on_mss_fetch(self, request: Request) -> Response:
        return self.mss.fetch()

    def _on_mss_pending(self, request: Request) -> Response:
        return self.mss.pending()

    def _on_mss_reply(self, request: Request) -> Response:
        return self.mss.reply(json_body(request))

    def _on_mss_open_sessions(self, request: Request) -> Response:
        return self.mss_sessions.open(json_body(request))

    # --- Pro Santé Connect (pages a browser visits; the adapter's /session) ---------------------

    def _psc_or_problem(self) -> PscRelyingParty:
        if self.psc is None:
            raise ServiceUnavailable("Le DUI n'a pas d'adresse de fournisseur Pro Santé Connect.")
        return self.psc

    def _acting(self) -> dict | None:
        """VIHF identity of the latest PSC session (None: the synthetic one), unless the fixed-identity defect."""
        if self.psc is None or "psc-vihf-identite-fixe" in self.defects or not self.psc.sessions:
            return None
        return list(self.psc.sessions.values())[-1].vihf_identity()

    @staticmethod
    def _page(text: str, status: int = 200) -> Response:
        body = f'<!doctype html><html lang="fr"><body><p>{html.escape(text)}</p></body></html>'
        return Response(body, status, mimetype="text/html")

    def _on_home(self, request: Request) -> Response:
        session = self.psc.sessions.get(request.cookies.get(SESSION_COOKIE, "")) if self.psc else None
        if session is None:
            return self._page("DUI de référence : non connecté.")
        who = session.summary()
        return self._page(f"DUI de référence : connecté en tant que {who['prenom']} {who['nom']}.")

    def _on_psc_login(self, request: Request) -> Response:
        psc = self._psc_or_problem()
        return Response(status=302, headers={"Location": psc.login_url(self.url + "/psc/retour")})

    def _on_psc_callback(self, request: Request) -> Response:
        psc = self._psc_or_problem()
        try:
            session = psc.callback(request.args)
        except LoginRefused as exc:
            return self._page(f"Connexion refusée : {exc}", 403)
        response = Response(status=302, headers={"Location": "/"})
        response.set_cookie(SESSION_COOKIE, session.id, httponly=True, samesite="Lax")
        return response

    def _on_psc_logout(self, request: Request) -> Response:
        psc = self._psc_or_problem()
        target = psc.logout_url(request.cookies.get(SESSION_COOKIE, ""), self.url + "/psc/fin-de-session")
        self.mss_sessions.end_dead()
        response = Response(status=302, headers={"Location": target})
        response.delete_cookie(SESSION_COOKIE)
        return response

    def _on_psc_logged_out(self, request: Request) -> Response:
        return self._page("Vous êtes déconnecté.")

    def _on_sessions(self, request: Request) -> Response:
        psc = self._psc_or_problem()
        return json_response({"sessions": [s.summary() for s in list(psc.sessions.values())]})

    def _on_revalidate(self, request: Request) -> Response:
        psc = self._psc_or_problem()
        psc.revalidate()
        self.mss_sessions.end_dead()
        return self._on_sessions(request)
