"""Read an INSi request and flag every way it departs from the expected shape.

Nothing here refuses a request that can still be understood: the mock answers and the
deviations let a later step fail requirement INS-21 with the exchange as evidence.
"""

from __future__ import annotations

import re
import string

from lxml import etree
from werkzeug.http import parse_options_header
from werkzeug.wrappers import Request

from dui_conformance.mocks.common import Exchange

from .deviations import flag
from .soap import BAM_NS, LPS_NS, RECSANS_NS, RECVIT_NS, SOAP12_CONTENT_TYPE, WSA_NS, action_of

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COG = re.compile(r"(\d{5}|2[AB]\d{3})")
_SEPARATORS = frozenset(" -'")
_ASCII_UPPER = frozenset(string.ascii_uppercase)
_BAD_SEPARATORS = re.compile(r"^[ '-]|[ '-]$|[ '-]{2}")  # leading, trailing or doubled


def transport_action(request: Request, exchange: Exchange) -> str | None:
    """The SOAP action carried by HTTP (Content-Type action or SOAPAction); flags the SOAP version."""
    mimetype, params = parse_options_header(request.headers.get("Content-Type", ""))
    if mimetype == SOAP12_CONTENT_TYPE:
        return params.get("action")
    if mimetype == "text/xml":
        flag(exchange, "INSI-SOAP11", "Content-Type text/xml")
        return (request.headers.get("SOAPAction") or "").strip('"') or None
    flag(exchange, "INSI-CONTENT-TYPE", f"reçu « {mimetype or 'absent'} »")
    return None


def _find(node: etree._Element | None, ns: str, *path: str) -> etree._Element | None:
    for name in path:
        node = None if node is None else node.find(f"{{{ns}}}{name}")
    return node


def _text(parent: etree._Element | None, ns: str, *path: str, strip: bool = True) -> str | None:
    """Text of a descendant (None when absent); traits are kept verbatim with ``strip=False``."""
    node = _find(parent, ns, *path)
    if node is None:
        return None
    return (node.text or "").strip() if strip else (node.text or "")


def _context_gaps(node: etree._Element, ns: str, version: str, required: tuple[tuple[str, ...], ...]) -> list[str]:
    gaps = [] if node.get("Version") == version else [f"Version ≠ {version}"]
    return gaps + ["/".join(path) + " absent" for path in required if _find(node, ns, *path) is None]


def check_headers(
    header: etree._Element | None, operation: str, http_action: str | None, exchange: Exchange
) -> str | None:
    """Check SOAP action, WS-Addressing and the ContexteLPS / ContexteBAM headers; return the MessageID."""
    expected = action_of(operation)
    if http_action is None:
        flag(exchange, "INSI-ACTION-HTTP-ABSENTE")
    elif http_action != expected:
        flag(exchange, "INSI-ACTION-HTTP-INCORRECTE", f"reçu « {http_action} », attendu « {expected} »")
    wsa_action = _text(header, WSA_NS, "Action")
    if wsa_action is None:
        flag(exchange, "INSI-WSA-ACTION-ABSENTE")
    elif wsa_action != expected:
        flag(exchange, "INSI-WSA-ACTION-INCORRECTE", f"reçu « {wsa_action} », attendu « {expected} »")
    message_id = _text(header, WSA_NS, "MessageID") or None
    if message_id is None:
        flag(exchange, "INSI-WSA-MESSAGEID-ABSENT")
    lps = None if header is None else header.find(f"{{{LPS_NS}}}ContexteLPS")
    if lps is None:
        flag(exchange, "INSI-ENTETE-LPS-ABSENT")
    else:
        gaps = _context_gaps(lps, LPS_NS, "01_00", (("Id",), ("Temps",), ("LPS", "IDAM"), ("LPS", "Nom")))
        if lps.get("Nature") != "CTXLPS":
            gaps.insert(0, "Nature ≠ CTXLPS")
        if gaps:
            flag(exchange, "INSI-ENTETE-LPS-INCOMPLET", ", ".join(gaps))
        exchange.data["lps"] = _text(lps, LPS_NS, "LPS", "Nom")
    bam = None if header is None else header.find(f"{{{BAM_NS}}}ContexteBAM")
    if bam is None:
        flag(exchange, "INSI-ENTETE-BAM-ABSENT")
    else:
        gaps = _context_gaps(bam, BAM_NS, "01_02", (("Id",), ("Temps",), ("COUVERTURE",)))
        if gaps:
            flag(exchange, "INSI-ENTETE-BAM-INCOMPLET", ", ".join(gaps))
    return message_id


def _check_names(values: dict[str, str], exchange: Exchange) -> None:
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
            flag(exchange, code, ", ".join(offenders))


def _check_date(value: str | None, exchange: Exchange) -> None:
    if value is not None and not _DATE.fullmatch(value):
        flag(exchange, "INSI-DATE-INVALIDE", f"reçu « {value} »")


def read_traits(payload: etree._Element, exchange: Exchange) -> dict:
    """RECSANSVITALE content, verbatim, after flagging missing or badly formed traits."""
    first_names = [n.text or "" for n in payload.findall(f"{{{RECSANS_NS}}}Prenom")]
    traits = {
        "NomNaissance": _text(payload, RECSANS_NS, "NomNaissance", strip=False),
        "Prenom": first_names,
        "Sexe": _text(payload, RECSANS_NS, "Sexe", strip=False),
        "DateNaissance": _text(payload, RECSANS_NS, "DateNaissance", strip=False),
        "LieuNaissance": _text(payload, RECSANS_NS, "LieuNaissance", strip=False),
    }
    missing = [k for k in ("NomNaissance", "Sexe", "DateNaissance") if not traits[k]]
    if missing:
        flag(exchange, "INSI-TRAIT-ABSENT", ", ".join(missing))
    names = {"NomNaissance": traits["NomNaissance"] or ""}
    names.update({f"Prenom[{i + 1}]": n for i, n in enumerate(first_names)})
    _check_names(names, exchange)
    if traits["Sexe"] and traits["Sexe"] not in ("M", "F"):
        flag(exchange, "INSI-SEXE-INVALIDE", f"reçu « {traits['Sexe']} »")
    _check_date(traits["DateNaissance"] or None, exchange)
    if traits["LieuNaissance"] is not None and not _COG.fullmatch(traits["LieuNaissance"]):
        flag(exchange, "INSI-LIEU-INVALIDE", f"reçu « {traits['LieuNaissance']} »")
    return traits


def read_vitale(payload: etree._Element, exchange: Exchange) -> dict:
    """RECVITALE content, verbatim, after flagging an incomplete card matricule."""
    card = {
        "NumIdentifiant": _text(payload, RECVIT_NS, "MatriculeIndividu", "NumIdentifiant"),
        "Cle": _text(payload, RECVIT_NS, "MatriculeIndividu", "Cle"),
        "NomNaissance": _text(payload, RECVIT_NS, "NomNaissance", strip=False),
        "DateNaissance": _text(payload, RECVIT_NS, "DateNaissance", strip=False),
        "RangNaissance": _text(payload, RECVIT_NS, "RangNaissance"),
    }
    if not (card["NumIdentifiant"] and card["Cle"]):
        flag(exchange, "INSI-VITALE-MATRICULE-ABSENT")
    if card["NomNaissance"]:
        _check_names({"NomNaissance": card["NomNaissance"]}, exchange)
    _check_date(card["DateNaissance"], exchange)
    return card
