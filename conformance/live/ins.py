"""Live INS checks (INS-20 … INS-28): what the DUI sent to the INSi mock, what it answered,
what the DUI then stored and exported.

Pure functions over one :class:`AdmissionRun`; they never call the DUI or a mock. A check
omits itself when its case did not occur, and skips when the scenario expected the case
(``expected``) but the DUI's traffic never produced it, so a DUI that does not call the INSi
cannot pass by silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..decides import decides
from ..exchanges import Exchange
from ..ins import IDENTITY_CHECKS, InsContext
from ..ins.fhir_patient import check_fhir_patient, ins_identifiers, read_patient
from ..ins.identity import Identity, normalise_date
from ..ins.insi_request import RESULTAT_NS, VITALE_OPERATION, check_insi_exchange
from ..model import Finding, Location, Outcome, errored, failed, omitted, passed, skipped
from ..xmlsafe import XmlProblem, parse_xml
from .driver import Admission, VitaleCard, answer_label
from .personas import FAULT

# Documents that may justify a qualified identity: FR Core fr-core-cs-mode-validation-identity
# [segur-spec-facts §1.3].
VALIDATION_MODES = frozenset({"CN", "PA", "CS", "eCN", "IN", "AV", "LECV", "AN", "LEP", "CC", "ANCV", "CIMS"})


@dataclass
class AdmissionRun:
    """One admission as observed: the DUI's answer, the INSi traffic it caused, its export."""

    admission: Admission
    exchanges: list[Exchange]
    patient: dict[str, Any] | None
    expected: str | None = None  # INSi answer the persona should get: 00, 01, 02 or FAULT
    id_document: str | None = None
    card: VitaleCard | None = None

    @property
    def patient_path(self) -> str:
        return f"residents/{self.admission.resident_id}/patient"

    def identity(self) -> Identity | None:
        return read_patient("Patient", self.patient, self.patient_path) if self.patient is not None else None

    def answers(self) -> list[str | None]:
        return [answer(e) for e in self.exchanges]

    def held_ins(self) -> list[tuple[str, Location]]:
        """Every INS matricule the DUI shows it holds: in its admission answer or its export."""
        held = []
        if self.admission.ins:
            held.append((self.admission.ins, Location(file=f"réponse d'admission {self.admission.resident_id}")))
        for i, identifier in ins_identifiers(self.patient or {}):
            value = identifier.get("value")
            if isinstance(value, str) and value:
                held.append((value, Location(file=self.patient_path, xpath=f"Patient.identifier[{i}].value")))
        return held


def answer(exchange: Exchange) -> str | None:
    """CR code of an INSi exchange, FAULT for a SOAP fault or an HTTP/transport failure."""
    if "fault" in exchange.data or exchange.response is None:
        return FAULT
    cr = exchange.data.get("cr")
    if cr is None and exchange.response.status >= 400:
        return FAULT
    return cr


def _at(where: Location, exchange: Exchange | None) -> Location:
    return Location(where.file, where.xpath, where.line, exchange.id if exchange else None)


def _last(run: AdmissionRun, code: str) -> Exchange | None:
    return next((e for e in reversed(run.exchanges) if answer(e) == code), None)


def _not_observed(req: str, run: AdmissionRun, case: str, label: str) -> list[Finding]:
    """Skip when the scenario expected ``case`` but no such answer was seen; omit otherwise."""
    if run.expected == case:
        seen = ", ".join(str(a) for a in run.answers()) or "aucune requête INSi"
        return [
            skipped(
                req,
                f"{label} attendue pour ce résident mais jamais observée : le DUI a-t-il interrogé "
                "l'INSi comme prévu ?",
                evidence=f"réponses observées : {seen}",
            )
        ]
    return [omitted(req, f"Cas sans objet pour cette admission ({label} non observée).")]


@decides("INS-20")
def check_ins_obtained_from_insi(run: AdmissionRun) -> list[Finding]:
    """INS-20: every INS the DUI holds came back from the INSi during this admission."""
    held = run.held_ins()
    if not held:
        return [omitted("INS-20", "Le DUI n'a enregistré aucun INS pour ce résident.")]
    returned: dict[str, Exchange] = {}
    for e in run.exchanges:
        if answer(e) == "00":
            for value in [e.data.get("matricule"), *e.data.get("history", [])]:
                returned.setdefault(value, e)
    out = []
    for value, where in held:
        source = returned.get(value)
        if source is not None:
            out.append(passed("INS-20", f"INS {value} obtenu du téléservice INSi.", _at(where, source)))
        else:
            seen = ", ".join(f"{e.id} : {answer(e)}" for e in run.exchanges) or "aucune requête INSi"
            out.append(
                failed(
                    "INS-20",
                    f"Le DUI a enregistré l'INS {value} sans qu'aucune réponse de l'INSi à "
                    "cette admission ne le lui ait renvoyé.",
                    where,
                    f"réponses INSi : {seen}",
                )
            )
    return out


def _requests(run: AdmissionRun, requirement: str) -> list[Finding]:
    """What the check of each recorded INSi request finds for ``requirement``."""
    if not run.exchanges:
        return [skipped(requirement, "Aucune requête INSi observée pendant l'admission : rien à vérifier.")]
    return [f for e in run.exchanges for f in check_insi_exchange(e) if f.requirement == requirement]


@decides("INS-21")
def check_insi_requests(run: AdmissionRun) -> list[Finding]:
    """INS-21: the DUI's requests follow the INSi contract (SOAP 1.2, WS-Addressing, contexts, traits)."""
    return _requests(run, "INS-21")


@decides("INS-29")
def check_insi_traits_form(run: AdmissionRun) -> list[Finding]:
    """INS-29 (unverified, non-blocking): the traits sent are written the INSi way (upper case, no diacritics)."""
    return _requests(run, "INS-29")


def _tiq(exchange: Exchange) -> dict[str, str]:
    """TIQ of a CR 00 answer, read from the response body as sent on the wire."""
    if exchange.response is None:
        raise XmlProblem("connexion coupée : aucune réponse")
    doc = parse_xml(exchange.response.body.encode("utf-8"), f"réponse {exchange.id}", max_bytes=1024 * 1024)
    tiq = doc.root.find(f".//{{{RESULTAT_NS}}}INDIVIDU/{{{RESULTAT_NS}}}TIQ")
    if tiq is None:
        raise XmlProblem("réponse CR 00 sans INDIVIDU/TIQ")
    return {child.tag.split("}")[-1]: child.text or "" for child in tiq if isinstance(child.tag, str)}


def lunar_to_fhir(value: str) -> str:
    """INSi lunar date → FHIR partial date: 1938-04-00 → 1938-04, 1938-00-00 → 1938."""
    parts = value.split("-")
    if len(parts) != 3:
        return value
    year, month, day = parts
    if month == "00":
        return year
    return f"{year}-{month}" if day == "00" else value


@decides("INS-22")
def check_traits_as_returned(run: AdmissionRun) -> list[Finding]:
    """INS-22: the export repeats the TIQ traits and the INSACTIF matricule verbatim."""
    source = _last(run, "00")
    if source is None:
        return _not_observed("INS-22", run, "00", "Réponse CR 00 (identité trouvée)")
    if run.patient is None:
        return [
            failed(
                "INS-22",
                "Le DUI ne restitue pas l'identité du résident (export Patient indisponible).",
                Location(exchange=source.id),
            )
        ]
    try:
        tiq = _tiq(source)
    except XmlProblem as problem:
        return [
            errored(
                "INS-22", f"Réponse INSi illisible par le harnais : {problem.message}", Location(exchange=source.id)
            )
        ]
    identity = read_patient("Patient", run.patient, run.patient_path)
    pairs = [
        ("nom de naissance", tiq.get("NomNaissance"), identity.birth_family, "birth_family"),
        ("premier prénom", tiq.get("Prenom"), identity.first_given, "first_given"),
        ("liste des prénoms", tiq.get("ListePrenom"), identity.given_list, "given_list"),
        ("sexe", tiq.get("Sexe"), identity.sex, "sex"),
        (
            "date de naissance",
            lunar_to_fhir(tiq["DateNaissance"]) if "DateNaissance" in tiq else None,
            normalise_date(identity.birth_date),
            "birth_date",
        ),
        ("lieu de naissance", tiq.get("LieuNaissance"), identity.birth_place, "birth_place"),
    ]
    if identity.matricule:
        pairs += [
            ("matricule INS", source.data.get("matricule"), identity.matricule, "matricule"),
            ("OID de l'INS", source.data.get("oid"), identity.oid, "oid"),
        ]
    out = [
        failed(
            "INS-22",
            f"Trait modifié par le DUI ({label}) : l'INSi a renvoyé « {expected} », le DUI "
            f"restitue « {actual or ''} ».",
            _at(identity.locate(name), source),
            f"INSi : {expected} ; DUI : {actual}",
        )
        for label, expected, actual, name in pairs
        if expected is not None and actual != expected
    ]
    if run.admission.ins and run.admission.ins != source.data.get("matricule"):
        out.append(
            failed(
                "INS-22",
                f"Le DUI déclare l'INS {run.admission.ins} au lieu du matricule "
                f"{source.data.get('matricule')} renvoyé par l'INSi.",
                Location(exchange=source.id),
            )
        )
    return out or [
        passed(
            "INS-22",
            "Traits et matricule restitués tels que l'INSi les a renvoyés.",
            Location(file=run.patient_path, exchange=source.id),
        )
    ]


def _no_patient(req: str, run: AdmissionRun) -> list[Finding]:
    return [skipped(req, "Export Patient indisponible : impossible de vérifier ce que le DUI a enregistré.")]


@decides("INS-23")
def check_no_ins_after_cr02(run: AdmissionRun) -> list[Finding]:
    """INS-23: after a CR 02 that no retry resolved, the DUI holds no INS."""
    source = _last(run, "02")
    if source is None or "00" in run.answers():
        return _not_observed("INS-23", run, "02", "Réponse CR 02 non résolue")
    held = run.held_ins()
    if not held and run.patient is None:
        return _no_patient("INS-23", run)
    out = [
        failed(
            "INS-23",
            f"Après une réponse CR 02 (plusieurs identités trouvées), le DUI a enregistré l'INS {value}.",
            _at(where, source),
            value,
        )
        for value, where in held
    ]
    return out or [passed("INS-23", "Aucun INS enregistré après la réponse CR 02.", Location(exchange=source.id))]


def _status(run: AdmissionRun) -> tuple[str | None, Location]:
    identity = run.identity()
    if identity is not None and identity.status:
        return identity.status, identity.locate("status")
    return run.admission.status, Location(file=f"réponse d'admission {run.admission.resident_id}")


# RNIV EXI SI 07 (facts §1.3, §7.1): (retrieved from INSi, checked against a high-trust document) → status.
RNIV = {(False, False): "PROV", (True, False): "RECUP", (False, True): "VALI", (True, True): "QUAL"}
RNIV_LABELS = {
    "PROV": "provisoire : ni récupérée de l'INSi, ni contrôlée sur une pièce à haut niveau de confiance",
    "RECUP": "récupérée de l'INSi, non contrôlée sur une pièce à haut niveau de confiance",
    "VALI": "validée : contrôlée sur une pièce à haut niveau de confiance, non récupérée de l'INSi",
    "QUAL": "qualifiée : récupérée de l'INSi et contrôlée sur une pièce à haut niveau de confiance",
}


def expected_status(run: AdmissionRun) -> str:
    """The RNIV status this admission must end in: INSi answered 00, and a high-trust document was checked."""
    return RNIV[("00" in run.answers(), run.id_document in VALIDATION_MODES)]


def _document_label(run: AdmissionRun) -> str:
    return f"pièce « {run.id_document} »" if run.id_document else "aucune pièce d'identité"


def _status_finding(req: str, run: AdmissionRun, source: Exchange | None) -> Finding | None:
    """A failure when the identity's status is not the one the RNIV table gives for this admission."""
    status, where = _status(run)
    wanted = expected_status(run)
    if status == wanted:
        return None
    insi = "réponse INSi CR 00" if "00" in run.answers() else "aucune identité obtenue de l'INSi"
    return failed(
        req,
        f"Statut d'identité « {status or 'absent'} » au lieu de {wanted} ({RNIV_LABELS[wanted]} ; "
        f"ici : {insi}, {_document_label(run)}).",
        _at(where, source),
        f"DUI : {status} ; attendu : {wanted}",
    )


@decides("INS-24")
def check_cr01_status(run: AdmissionRun) -> list[Finding]:
    """INS-24: after CR 01 the identity holds no INS; VALI if a high-trust document was checked, PROV otherwise."""
    answers = run.answers()
    if not answers or answers[-1] != "01" or "00" in answers:
        return _not_observed("INS-24", run, "01", "Réponse CR 01 (aucune identité)")
    source = run.exchanges[-1]
    if run.patient is None and run.admission.status is None:
        return _no_patient("INS-24", run)
    out = [
        failed(
            "INS-24",
            f"Après une réponse CR 01 (aucune identité trouvée), le DUI a enregistré l'INS {value}.",
            _at(where, source),
            value,
        )
        for value, where in run.held_ins()
    ]
    wrong = _status_finding("INS-24", run, source)
    out += [wrong] if wrong else []
    wanted = expected_status(run)
    return out or [
        passed(
            "INS-24",
            f"Après la réponse CR 01, identité {wanted} sans INS ({_document_label(run)}).",
            Location(exchange=source.id),
        )
    ]


@decides("INS-25")
def check_ins_only_when_qualified(run: AdmissionRun) -> list[Finding]:
    """INS-25: the status follows the RNIV table, and the INS is exported for a QUAL identity only."""
    if run.patient is None:
        return _no_patient("INS-25", run)
    status, where = _status(run)
    exported = [(i, ident.get("value")) for i, ident in ins_identifiers(run.patient)]
    out = [
        failed(
            "INS-25",
            f"Matricule INS {value} transmis pour une identité au statut « {status or 'absent'} » : "
            "seule une identité qualifiée (QUAL) peut le porter.",
            Location(file=run.patient_path, xpath=f"Patient.identifier[{i}]"),
            str(status),
        )
        for i, value in exported
        if status != "QUAL"
    ]
    answers = run.answers()
    wrong = None if answers and answers[-1] == "01" else _status_finding("INS-25", run, _last(run, "00"))
    out += [wrong] if wrong else []  # after CR 01 the status is INS-24's to judge
    if status == "QUAL" and not exported:
        out.append(failed("INS-25", "Identité qualifiée exportée sans son matricule INS.", where))
    state = "transmis" if exported else "non transmis"
    return out or [
        passed(
            "INS-25",
            f"Statut « {status or 'absent'} » ({_document_label(run)}), matricule INS {state} : conforme au RNIV.",
            where,
        )
    ]


@decides("INS-26")
def check_active_ins_only(run: AdmissionRun) -> list[Finding]:
    """INS-26: with INSACTIF + INSHISTO in the answer, the DUI holds the active matricule only."""
    source = next((e for e in reversed(run.exchanges) if answer(e) == "00" and e.data.get("history")), None)
    if source is None:
        return [omitted("INS-26", "Aucune réponse INSi portant un INS historique pendant cette admission.")]
    active, historic = source.data.get("matricule"), set(source.data["history"])
    out = []
    for value, where in run.held_ins():
        if value in historic:
            out.append(
                failed(
                    "INS-26",
                    f"Le DUI a enregistré le matricule historique {value} au lieu du matricule actif {active}.",
                    _at(where, source),
                    value,
                )
            )
        elif value == active:
            out.append(passed("INS-26", f"Matricule actif {active} enregistré, pas l'historique.", _at(where, source)))
    return out or [
        skipped(
            "INS-26",
            "Aucun matricule actif ou historique visible dans ce que le DUI a enregistré.",
            Location(exchange=source.id),
        )
    ]


@decides("INS-27")
def check_fault_handled(run: AdmissionRun) -> list[Finding]:
    """INS-27: when the last INSi call failed, the DUI reports an error and stores no INS."""
    answers = run.answers()
    if not answers or answers[-1] != FAULT:
        return _not_observed("INS-27", run, FAULT, "Faute de l'INSi")
    source = run.exchanges[-1]
    fault = source.data.get("fault") or {}
    label = " / ".join(fault.values()) or f"HTTP {source.response.status if source.response else 'coupure'}"
    out = []
    if not run.admission.error_reported:
        out.append(
            failed(
                "INS-27",
                f"Faute INSi ({label}) non signalée : le DUI a répondu comme si l'admission avait abouti.",
                Location(exchange=source.id),
                answer_label(run.admission.http_status),
            )
        )
    out += [
        failed("INS-27", f"INS {value} enregistré malgré la faute INSi ({label}).", _at(where, source), value)
        for value, where in run.held_ins()
    ]
    return out or [
        passed(
            "INS-27",
            f"Faute INSi ({label}) signalée par le DUI, aucun INS enregistré.",
            Location(exchange=source.id),
            (run.admission.problem or {}).get("title"),
        )
    ]


@decides("INS-28")
def check_vitale_lookup(run: AdmissionRun) -> list[Finding]:
    """INS-28: an admission from a carte Vitale queries rechercherInsAvecCarteVitale with the card's matricule."""
    if run.card is None:
        return [omitted("INS-28", "Admission sans carte Vitale.")]
    calls = [e for e in run.exchanges if e.operation == VITALE_OPERATION]
    if not calls:
        seen = ", ".join(f"{e.id} : {e.operation}" for e in run.exchanges) or "aucune requête INSi"
        return [
            failed(
                "INS-28",
                "Admission par carte Vitale sans interrogation rechercherInsAvecCarteVitale de l'INSi.",
                Location(exchange=run.exchanges[-1].id if run.exchanges else None),
                seen,
            )
        ]
    out = []
    expected = run.card.matricule + run.card.key
    for e in calls:
        sent = e.data.get("vitale") or {}
        value = f"{sent.get('NumIdentifiant') or ''}{sent.get('Cle') or ''}"
        where = Location(exchange=e.id)
        out += [f for f in check_insi_exchange(e) if f.requirement == "INS-28" and f.outcome is Outcome.FAIL]
        if value != expected:
            out.append(
                failed(
                    "INS-28",
                    f"Matricule envoyé à l'INSi « {value} » différent de celui de la carte « {expected} ».",
                    where,
                    value,
                )
            )
    return out or [
        passed(
            "INS-28",
            "INSi interrogé par rechercherInsAvecCarteVitale avec le matricule de la carte.",
            Location(exchange=calls[-1].id),
        )
    ]


def check_export(run: AdmissionRun, context: InsContext | None = None) -> list[Finding]:
    """INS-01…INS-14 on the Patient the DUI returns: the same checks as ``check`` on an exported FHIR file,
    so an export that fails offline cannot pass live."""
    if run.patient is None:
        return _no_patient("INS-14", run)
    context = context or InsContext()
    identity = read_patient("Patient", run.patient, run.patient_path)
    findings = check_fhir_patient(run.patient, run.patient_path)
    for check in IDENTITY_CHECKS.values():
        findings += check(identity, context)
    return findings


CHECKS: dict[str, Callable[[AdmissionRun], list[Finding]]] = {
    "INS-20": check_ins_obtained_from_insi,
    "INS-21": check_insi_requests,
    "INS-22": check_traits_as_returned,
    "INS-23": check_no_ins_after_cr02,
    "INS-24": check_cr01_status,
    "INS-25": check_ins_only_when_qualified,
    "INS-26": check_active_ins_only,
    "INS-27": check_fault_handled,
    "INS-28": check_vitale_lookup,
    "INS-29": check_insi_traits_form,
}


def check_admission(run: AdmissionRun) -> list[Finding]:
    """Every live INS check on one admission, and the offline checks of its export."""
    return [finding for check in CHECKS.values() for finding in check(run)] + check_export(run)
