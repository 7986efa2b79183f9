"""The reference DUI's INSi client: SOAP 1.2 + WS-Addressing + ContexteLPS / ContexteBAM.

Written independently of the INSi mock (its own constants) so that the mock and the client
check each other. Traits are sent as given: the DUI stores them in INS form (upper case,
no accents). Every outcome, including transport errors, comes back as an :class:`InsiResult`
so the caller has a single path: record an INS only when ``result.ok``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests
from lxml import etree

from dui_conformance.xmlsafe import XmlProblem, parse_xml

SOAP = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
CTXLPS = "urn:siram:lps:ctxlps"
CTXBAM = "urn:siram:bam:ctxbam"
SIRAM = "urn:siram"
RECSANS = "http://www.cnamts.fr/INSiRecSans"
RECVIT = "http://www.cnamts.fr/INSiRecVit"
RESULTAT = "http://www.cnamts.fr/INSiResultat"
_NS = {"s": SOAP, "r": RESULTAT, "siram": SIRAM}


@dataclass(frozen=True)
class InsIdentifier:
    """One INS: ``matricule`` is NumIdentifiant (13 characters), ``key`` its 2-digit key."""

    matricule: str
    key: str
    oid: str
    type: str | None = None
    start: str | None = None
    end: str | None = None

    @property
    def full(self) -> str:
        """The 15-character INS matricule as carried in CDA / HL7 / FHIR."""
        return self.matricule + self.key


@dataclass(frozen=True)
class InsiFault:
    """A SOAP fault (``code`` = siram subcode, ``desir`` = detail code) or a transport failure."""

    code: str
    message: str
    desir: str | None = None


@dataclass(frozen=True)
class InsiResult:
    cr: str | None = None
    label: str | None = None
    active: InsIdentifier | None = None
    history: tuple[InsIdentifier, ...] = ()
    traits: dict[str, str] = field(default_factory=dict)  # TIQ, verbatim
    fault: InsiFault | None = None
    http_status: int | None = None

    @property
    def ok(self) -> bool:
        return self.fault is None and self.cr == "00" and self.active is not None


def _sub(parent, ns: str, name: str, text: str | None = None, **attrib):
    node = etree.SubElement(parent, f"{{{ns}}}{name}", attrib)
    node.text = text
    return node


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class LpsContext:
    """Who calls: software name/version, CNAM authorisation number (IDAM), emitter."""

    name: str
    version: str
    idam: str
    emitter: str
    instance: str = field(default_factory=lambda: str(uuid.uuid4()))

    def envelope(self, action: str, payload) -> bytes:
        env = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP, "wsa": WSA, "ctxlps": CTXLPS, "ctxbam": CTXBAM})
        header = _sub(env, SOAP, "Header")
        bam = _sub(header, CTXBAM, "ContexteBAM", Version="01_02")
        _sub(bam, CTXBAM, "Id", str(uuid.uuid4()))
        _sub(bam, CTXBAM, "Temps", _now())
        _sub(bam, CTXBAM, "Emetteur", self.emitter)
        _sub(bam, CTXBAM, "COUVERTURE")
        lps = _sub(header, CTXLPS, "ContexteLPS", Nature="CTXLPS", Version="01_00")
        _sub(lps, CTXLPS, "Id", str(uuid.uuid4()))
        _sub(lps, CTXLPS, "Temps", _now())
        _sub(lps, CTXLPS, "Emetteur", self.emitter)
        software = _sub(lps, CTXLPS, "LPS")
        _sub(software, CTXLPS, "IDAM", self.idam, R="4")
        _sub(software, CTXLPS, "Version", self.version)
        _sub(software, CTXLPS, "Instance", self.instance)
        _sub(software, CTXLPS, "Nom", f"urn:lps:{self.name}:{self.version}")
        _sub(header, WSA, "Action", action)
        _sub(header, WSA, "MessageID", f"uuid:{uuid.uuid4()}")
        _sub(env, SOAP, "Body").append(payload)
        return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def traits_payload(birth_name: str, first_names: list[str], sex: str, birth_date: str, birth_place: str | None = None):
    root = etree.Element(f"{{{RECSANS}}}RECSANSVITALE", nsmap={"insi": RECSANS})
    _sub(root, RECSANS, "NomNaissance", birth_name)
    for name in first_names:
        _sub(root, RECSANS, "Prenom", name)
    _sub(root, RECSANS, "Sexe", sex)
    _sub(root, RECSANS, "DateNaissance", birth_date)
    if birth_place:
        _sub(root, RECSANS, "LieuNaissance", birth_place)
    return root


def vitale_payload(
    matricule: str, key: str, birth_date: str | None = None, birth_name: str | None = None, rank: str | None = None
):
    root = etree.Element(f"{{{RECVIT}}}RECVITALE", nsmap={"insi": RECVIT})
    card = _sub(root, RECVIT, "MatriculeIndividu")
    _sub(card, RECVIT, "NumIdentifiant", matricule)
    _sub(card, RECVIT, "Cle", key)
    for name, value in (("NomNaissance", birth_name), ("DateNaissance", birth_date), ("RangNaissance", rank)):
        if value:
            _sub(root, RECVIT, name, value)
    return root


def _ins(node) -> InsIdentifier:
    def text(path: str) -> str | None:
        found = node.find(path, _NS)
        return None if found is None else found.text

    return InsIdentifier(
        text("r:IdIndividu/r:NumIdentifiant") or "",
        text("r:IdIndividu/r:Cle") or "",
        text("r:OID") or "",
        text("r:IdIndividu/r:TypeMatricule"),
        text("r:DateDeb"),
        text("r:DateFin"),
    )


def parse_response(status: int, content: bytes) -> InsiResult:
    """Turn an HTTP answer into an InsiResult (SOAP fault, RESULTAT, or an HTTP-level fault)."""
    try:
        root = parse_xml(content, "réponse INSi", max_bytes=1024 * 1024).root
    except XmlProblem as problem:
        return InsiResult(
            fault=InsiFault(f"HTTP_{status}", f"Réponse non SOAP : {problem.message}"), http_status=status
        )
    fault = root.find("s:Body/s:Fault", _NS)
    if fault is not None:
        subcode = fault.findtext("s:Code/s:Subcode/s:Value", None, _NS) or fault.findtext("s:Code/s:Value", "", _NS)
        error = fault.find("s:Detail/siram:Erreur", _NS)
        return InsiResult(
            fault=InsiFault(
                subcode.split(":")[-1],
                fault.findtext("s:Reason/s:Text", "", _NS),
                error.get("code") if error is not None else None,
            ),
            http_status=status,
        )
    result = root.find("s:Body/r:RESULTAT", _NS)
    if result is None:
        return InsiResult(fault=InsiFault(f"HTTP_{status}", "Réponse SOAP sans RESULTAT."), http_status=status)
    individu = result.find("r:INDIVIDU", _NS)
    active = individu.find("r:INSACTIF", _NS) if individu is not None else None
    tiq = individu.find("r:TIQ", _NS) if individu is not None else None
    return InsiResult(
        cr=result.findtext("r:CR/r:CodeCR", None, _NS),
        label=result.findtext("r:CR/r:LibelleCR", None, _NS),
        active=_ins(active) if active is not None else None,
        history=tuple(_ins(h) for h in individu.findall("r:INSHISTO", _NS)) if individu is not None else (),
        traits={etree.QName(c).localname: c.text or "" for c in tiq if isinstance(c.tag, str)}
        if tiq is not None
        else {},
        http_status=status,
    )


class InsiClient:
    """Calls the INSi téléservice at ``url``; configure TLS client certificates on ``session``."""

    ACTION = "urn:ServiceIdentiteCertifiee:1.0.0:"

    def __init__(
        self,
        url: str,
        lps_name: str = "DUI-REFERENCE",
        lps_version: str = "1.0",
        idam: str = "FICTIF-IDAM",
        emitter: str = "dui-reference",
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ):
        self.url = url
        self.context = LpsContext(lps_name, lps_version, idam, emitter)
        self.timeout = timeout
        self.session = session or requests.Session()

    def search_by_traits(
        self, birth_name: str, first_names: list[str], sex: str, birth_date: str, birth_place: str | None = None
    ) -> InsiResult:
        return self._call(
            "rechercherInsAvecTraitsIdentite", traits_payload(birth_name, first_names, sex, birth_date, birth_place)
        )

    def search_by_vitale(
        self,
        matricule: str,
        key: str,
        birth_date: str | None = None,
        birth_name: str | None = None,
        rank: str | None = None,
    ) -> InsiResult:
        return self._call("rechercherInsAvecCarteVitale", vitale_payload(matricule, key, birth_date, birth_name, rank))

    def _call(self, operation: str, payload) -> InsiResult:
        action = self.ACTION + operation
        headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}
        try:
            response = self.session.post(
                self.url, data=self.context.envelope(action, payload), headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            return InsiResult(fault=InsiFault("TRANSPORT", f"Téléservice INSi injoignable : {exc.__class__.__name__}"))
        return parse_response(response.status_code, response.content)
