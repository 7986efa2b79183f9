"""An INSi request as the téléservice reads it, and the check of a recorded one (INS-21, INS-28, INS-29).

The INSi mock answers from :func:`read_request` (operation, traits or card, MessageID); the check
reads the same request again from the recorded exchange, so a DUI is judged on the bytes it sent.
Each departure from the contract is a code of :data:`~dui_conformance.deviations.DEVIATIONS`; the
reading stops at the first one that leaves nothing to answer (another path, another method,
unreadable XML, no SOAP envelope, unknown operation). Shapes follow the third-party copy of the
CNAM WSDL/XSD (padoa/tlsi-ins, segur-spec-facts.md §1.7).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any

from werkzeug.http import parse_options_header

from ..decides import decides
from ..deviations import deviation
from ..exchanges import Exchange, HttpRequest
from ..model import Finding, Location, passed
from ..wording import found
from ..xmlsafe import XmlProblem, parse_xml

SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSA_NS = "http://www.w3.org/2005/08/addressing"
LPS_NS = "urn:siram:lps:ctxlps"
BAM_NS = "urn:siram:bam:ctxbam"
RECSANS_NS = "http://www.cnamts.fr/INSiRecSans"
RECVIT_NS = "http://www.cnamts.fr/INSiRecVit"
RESULTAT_NS = "http://www.cnamts.fr/INSiResultat"

SOAP12_CONTENT_TYPE = "application/soap+xml"
INSI_PATH = "/lps"  # the simulated téléservice's endpoint
MAX_REQUEST_BYTES = 1024 * 1024  # an INSi request is a few kilobytes
TRAITS_OPERATION = "rechercherInsAvecTraitsIdentite"
VITALE_OPERATION = "rechercherInsAvecCarteVitale"
# Body element (Clark notation) -> operation name.
OPERATIONS = {
    f"{{{RECSANS_NS}}}RECSANSVITALE": TRAITS_OPERATION,
    f"{{{RECVIT_NS}}}RECVITALE": VITALE_OPERATION,
}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COG = re.compile(r"(\d{5}|2[AB]\d{3})")
_SEPARATORS = frozenset(" -'")
_ASCII_UPPER = frozenset(string.ascii_uppercase)
_BAD_SEPARATORS = re.compile(r"^[ '-]|[ '-]$|[ '-]{2}")  # leading, trailing or doubled


def action_of(operation: str) -> str:
    return f"urn:ServiceIdentiteCertifiee:1.0.0:{operation}"


@dataclass
class InsiRequest:
    """What the téléservice reads in one request.

    ``departures``: deviation code -> detail, in reading order (a code once, its first detail).
    ``stopped``: the deviation that stopped the reading (``operation`` is then None), ``refusal`` why, in
    French, for the answer.
    """

    departures: dict[str, str] = field(default_factory=dict)
    operation: str | None = None
    stopped: str | None = None
    refusal: str = ""
    message_id: str | None = None
    lps: str | None = None  # LPS/Nom of the ContexteLPS
    content: dict[str, Any] = field(default_factory=dict)  # the RECSANSVITALE or RECVITALE traits, verbatim

    def depart(self, code: str, detail: str = "") -> None:
        self.departures.setdefault(code, detail)

    def stop(self, code: str, detail: str, refusal: str) -> InsiRequest:
        self.depart(code, detail)
        self.stopped, self.refusal = code, refusal
        return self


def read_request(request: HttpRequest) -> InsiRequest:
    """Read one request the way the téléservice does, noting every departure from its contract."""
    read = InsiRequest()
    path = request.path.partition("?")[0]
    if path != INSI_PATH:
        return read.stop(
            "INSI-CHEMIN-INCONNU",
            f"reçu {found(path)}, attendu « {INSI_PATH} »",
            f"Chemin {found(path)} inconnu du téléservice INSi : attendu « {INSI_PATH} ».",
        )
    if request.method != "POST":
        return read.stop("INSI-METHODE-HTTP", f"reçu {request.method}", "Le téléservice INSi n'accepte que POST.")
    http_action = _transport_action(request, read)
    try:
        doc = parse_xml(request.content(), "requête INSi", max_bytes=MAX_REQUEST_BYTES)
    except XmlProblem as problem:
        return read.stop("INSI-XML-REFUSE", problem.message, f"Requête illisible : {problem.message}")
    root = doc.root
    if root.tag == f"{{{SOAP11_NS}}}Envelope":
        read.depart("INSI-SOAP11", "enveloppe SOAP 1.1")
    elif root.tag != f"{{{SOAP12_NS}}}Envelope":
        return read.stop(
            "INSI-ENVELOPPE",
            f"élément racine « {root.tag} »",
            f"Le corps de la requête n'est pas une enveloppe SOAP 1.2 : reçu « {root.tag} », "
            f"attendu « Envelope » dans l'espace de noms {SOAP12_NS}.",
        )
    ns = root.tag[1:].split("}")[0]
    header = root.find(f"{{{ns}}}Header")
    body = root.find(f"{{{ns}}}Body")
    payload = next((child for child in (body if body is not None else ()) if isinstance(child.tag, str)), None)
    operation = OPERATIONS.get(payload.tag) if payload is not None else None
    if operation is None:
        got = payload.tag if payload is not None else "Body vide" if body is not None else "pas de Body"
        return read.stop(
            "INSI-OPERATION-INCONNUE",
            f"reçu « {got} »",
            f"Opération inconnue : reçu « {got} » ; le Body doit porter RECSANSVITALE (espace de "
            f"noms {RECSANS_NS}) ou RECVITALE (espace de noms {RECVIT_NS}).",
        )
    read.operation = operation
    _read_headers(header, operation, http_action, read)
    read.content = _read_traits(payload, read) if operation == TRAITS_OPERATION else _read_vitale(payload, read)
    return read


def _transport_action(request: HttpRequest, read: InsiRequest) -> str | None:
    """The SOAP action carried by HTTP (Content-Type action or SOAPAction); notes the SOAP version."""
    mimetype, params = parse_options_header(request.header("Content-Type") or "")
    if mimetype == SOAP12_CONTENT_TYPE:
        return params.get("action")
    if mimetype == "text/xml":
        read.depart("INSI-SOAP11", "Content-Type text/xml")
        return (request.header("SOAPAction") or "").strip('"') or None
    read.depart("INSI-CONTENT-TYPE", f"reçu « {mimetype or 'absent'} »")
    return None


def _find(node: Any, ns: str, *path: str) -> Any:
    for name in path:
        node = None if node is None else node.find(f"{{{ns}}}{name}")
    return node


def _text(parent: Any, ns: str, *path: str, strip: bool = True) -> str | None:
    """Text of a descendant (None when absent); traits are kept verbatim with ``strip=False``."""
    node = _find(parent, ns, *path)
    if node is None:
        return None
    return (node.text or "").strip() if strip else (node.text or "")


def _context_gaps(node: Any, ns: str, version: str, required: tuple[tuple[str, ...], ...]) -> list[str]:
    gaps = [] if node.get("Version") == version else [f"Version ≠ {version}"]
    return gaps + ["/".join(path) + " absent" for path in required if _find(node, ns, *path) is None]


def _read_headers(header: Any, operation: str, http_action: str | None, read: InsiRequest) -> None:
    """SOAP action, WS-Addressing (Action, MessageID) and the ContexteLPS / ContexteBAM headers."""
    expected = action_of(operation)
    if http_action is None:
        read.depart("INSI-ACTION-HTTP-ABSENTE")
    elif http_action != expected:
        read.depart("INSI-ACTION-HTTP-INCORRECTE", f"reçu {found(http_action)}, attendu « {expected} »")
    wsa_action = _text(header, WSA_NS, "Action")
    if wsa_action is None:
        read.depart("INSI-WSA-ACTION-ABSENTE")
    elif wsa_action != expected:
        read.depart("INSI-WSA-ACTION-INCORRECTE", f"reçu {found(wsa_action)}, attendu « {expected} »")
    read.message_id = _text(header, WSA_NS, "MessageID") or None
    if read.message_id is None:
        read.depart("INSI-WSA-MESSAGEID-ABSENT")
    lps = None if header is None else header.find(f"{{{LPS_NS}}}ContexteLPS")
    if lps is None:
        read.depart("INSI-ENTETE-LPS-ABSENT")
    else:
        gaps = _context_gaps(lps, LPS_NS, "01_00", (("Id",), ("Temps",), ("LPS", "IDAM"), ("LPS", "Nom")))
        if lps.get("Nature") != "CTXLPS":
            gaps.insert(0, "Nature ≠ CTXLPS")
        if gaps:
            read.depart("INSI-ENTETE-LPS-INCOMPLET", ", ".join(gaps))
        read.lps = _text(lps, LPS_NS, "LPS", "Nom")
    bam = None if header is None else header.find(f"{{{BAM_NS}}}ContexteBAM")
    if bam is None:
        read.depart("INSI-ENTETE-BAM-ABSENT")
    else:
        gaps = _context_gaps(bam, BAM_NS, "01_02", (("Id",), ("Temps",), ("COUVERTURE",)))
        if gaps:
            read.depart("INSI-ENTETE-BAM-INCOMPLET", ", ".join(gaps))


def _read_names(values: dict[str, str], read: InsiRequest) -> None:
    """INS form: upper-case unaccented letters, space, hyphen, apostrophe."""
    lower = [f"{k} « {v} »" for k, v in values.items() if any(c.islower() for c in v)]
    accented = [
        f"{k} « {v} »" for k, v in values.items() if any(c.isalpha() and c.upper() not in _ASCII_UPPER for c in v)
    ]
    other = [
        f"{k} « {v} »"
        for k, v in values.items()
        if any(not c.isalpha() and c not in _SEPARATORS for c in v) or _BAD_SEPARATORS.search(v)
    ]
    for code, offenders in (
        ("INSI-TRAITS-MINUSCULES", lower),
        ("INSI-TRAITS-ACCENTS", accented),
        ("INSI-TRAITS-CARACTERES", other),
    ):
        if offenders:
            read.depart(code, ", ".join(offenders))


def _read_date(value: str | None, read: InsiRequest) -> None:
    if value is not None and not _DATE.fullmatch(value):
        read.depart("INSI-DATE-INVALIDE", f"reçu {found(value)}")


def _read_traits(payload: Any, read: InsiRequest) -> dict[str, Any]:
    """RECSANSVITALE content, verbatim, noting missing or badly formed traits."""
    first_names = [n.text or "" for n in payload.findall(f"{{{RECSANS_NS}}}Prenom")]
    birth_name = _text(payload, RECSANS_NS, "NomNaissance", strip=False)
    sex = _text(payload, RECSANS_NS, "Sexe", strip=False)
    birth_date = _text(payload, RECSANS_NS, "DateNaissance", strip=False)
    birth_place = _text(payload, RECSANS_NS, "LieuNaissance", strip=False)
    missing = [k for k, v in (("NomNaissance", birth_name), ("Sexe", sex), ("DateNaissance", birth_date)) if not v]
    if missing:
        read.depart("INSI-TRAIT-ABSENT", ", ".join(missing))
    names = {"NomNaissance": birth_name or ""}
    names.update({f"Prenom[{i + 1}]": n for i, n in enumerate(first_names)})
    _read_names(names, read)
    if sex and sex not in ("M", "F"):
        read.depart("INSI-SEXE-INVALIDE", f"reçu {found(sex)}")
    _read_date(birth_date or None, read)
    if birth_place is not None and not _COG.fullmatch(birth_place):
        read.depart("INSI-LIEU-INVALIDE", f"reçu {found(birth_place)}")
    return {
        "NomNaissance": birth_name,
        "Prenom": first_names,
        "Sexe": sex,
        "DateNaissance": birth_date,
        "LieuNaissance": birth_place,
    }


def _read_vitale(payload: Any, read: InsiRequest) -> dict[str, str | None]:
    """RECVITALE content, verbatim, noting an incomplete card matricule."""
    card = {
        "NumIdentifiant": _text(payload, RECVIT_NS, "MatriculeIndividu", "NumIdentifiant"),
        "Cle": _text(payload, RECVIT_NS, "MatriculeIndividu", "Cle"),
        "NomNaissance": _text(payload, RECVIT_NS, "NomNaissance", strip=False),
        "DateNaissance": _text(payload, RECVIT_NS, "DateNaissance", strip=False),
        "RangNaissance": _text(payload, RECVIT_NS, "RangNaissance"),
    }
    if not (card["NumIdentifiant"] and card["Cle"]):
        read.depart("INSI-VITALE-MATRICULE-ABSENT")
    if card["NomNaissance"]:
        _read_names({"NomNaissance": card["NomNaissance"]}, read)
    _read_date(card["DateNaissance"], read)
    return card


@decides("INS-21", "INS-28", "INS-29")
def check_insi_exchange(exchange: Exchange) -> list[Finding]:
    """One recorded INSi request against the contract: a failure per deviation, in reading order; a pass
    for INS-21 and INS-29 (and INS-28 on a carte Vitale search) when the request meets them."""
    read = read_request(exchange.request)
    where = Location(exchange=exchange.id)
    out = [deviation(code, where, detail) for code, detail in read.departures.items()]
    broken = {f.requirement for f in out}
    if "INS-21" not in broken:
        out.append(
            passed(
                "INS-21",
                f"Requête INSi {read.operation} conforme (SOAP 1.2, WS-Addressing, ContexteLPS, ContexteBAM, traits).",
                where,
            )
        )
    if "INS-29" not in broken:
        out.append(passed("INS-29", "Traits envoyés en majuscules sans signes diacritiques.", where))
    if read.operation == VITALE_OPERATION and "INS-28" not in broken:
        out.append(passed("INS-28", "Recherche carte Vitale avec un MatriculeIndividu complet.", where))
    return out
