"""Steps of the live MSSanté feature: drive the DUI, then judge one check of dui_conformance.live.mss."""

from dataclasses import dataclass, field, replace

from pytest_bdd import given, parsers, then, when

from dui_conformance.live.driver import Admission
from dui_conformance.live.mss import (
    HOSPITAL,
    UNKNOWN_PATIENT_INS,
    check_citizen,
    check_error_shown,
    check_received,
    check_sent,
    check_unknown_patient,
    document_id,
    incoming_dlu,
)
from dui_conformance.model import Finding, Location, Outcome, skipped

NOT_DECLARED = "MSSanté non déclarée par l'adaptateur du DUI (services de GET /sante) : exigence non évaluée."


@dataclass
class MssRun:
    """What one scenario did: the resident, the sending order and the traffic since it began."""

    admission: Admission
    since: dict
    recipient: str | None = None
    answer: object = None
    incoming: object = None
    readable: bool = True
    declared: bool = True
    exchanges: list = field(default_factory=list)

    def precondition(self, requirement: str, qualified: bool = False) -> list[Finding] | None:
        """Findings replacing the check when MSSanté is not offered, or the resident has no qualified INS."""
        if not self.declared:
            return [Finding(requirement, Outcome.NOT_RUN, NOT_DECLARED, Location())]
        if qualified and not (self.admission.status == "QUAL" and self.admission.ins):
            return [
                skipped(
                    requirement,
                    f"Préalable non obtenu : identité au statut « {self.admission.status} » sans INS qualifié.",
                )
            ]
        return None


def _declared(live_env) -> bool:
    """The adapter lists MSS among its services (GET /sante); a driver without that answer is taken at its word."""
    health = getattr(live_env.driver, "health", None)
    if health is None:
        return True
    return "MSS" in (health() or {}).get("services", [])


def _admission(run):
    """The DUI's answer; in attended mode it says nothing of the identity, so its export tells status and INS."""
    admission, identity = run.admission, run.identity()
    if admission.status is None and identity is not None:
        return replace(admission, status=identity.status, ins=identity.matricule or None)
    return admission


@given(
    parsers.parse("le résident « {persona} » admis sur présentation de la pièce « {piece} »"), target_fixture="mss_run"
)
def admitted(live_env, persona, piece):
    return MssRun(_admission(live_env.admit(persona, id_document=piece)), live_env.mark(), declared=_declared(live_env))


@given(parsers.parse("le résident « {persona} » admis sans pièce d'identité"), target_fixture="mss_run")
def admitted_without_document(live_env, persona):
    return MssRun(_admission(live_env.admit(persona)), live_env.mark(), declared=_declared(live_env))


@when(parsers.parse("le DUI envoie par MSSanté le DLU du résident à « {recipient} »"))
def send(live_env, mss_run, recipient):
    mss_run.recipient = recipient
    if mss_run.declared:
        mss_run.answer = live_env.driver.send_mss(mss_run.admission.resident_id, recipient)


@when("le DUI envoie par MSSanté le DLU du résident à sa messagerie Mon espace santé")
def send_to_citizen(live_env, mss_run):
    if mss_run.declared:
        mss_run.answer = live_env.driver.send_mss(mss_run.admission.resident_id, citizen=True)


@when(parsers.parse("un établissement envoie au DUI par MSSanté un DLU {state} du résident"))
def incoming(live_env, mss_run, state):
    mss_run.readable = state == "lisible"
    mss_run.incoming = incoming_dlu(
        mss_run.admission.ins or "", readable=mss_run.readable, mailbox=live_env.mss_mailbox
    )
    live_env.mss.store.deliver(live_env.mss_mailbox, mss_run.incoming.as_bytes())


@when("un établissement envoie au DUI par MSSanté le DLU d'un patient qui n'est pas résident")
def incoming_unknown_patient(live_env, mss_run):
    mss_run.incoming = incoming_dlu(UNKNOWN_PATIENT_INS, mailbox=live_env.mss_mailbox)
    live_env.mss.store.deliver(live_env.mss_mailbox, mss_run.incoming.as_bytes())


@when("le DUI relève sa messagerie MSSanté")
def fetch(live_env, mss_run):
    if mss_run.declared:
        live_env.driver.fetch_mss()


@then(parsers.parse("le message reçu par l'opérateur pour « {recipient} » est conforme et demande un accusé"))
def sent_conforms(live_env, mss_run, recipient, verdict):
    verdict.judge(
        mss_run.precondition("MSS-20", qualified=True)
        or check_sent(live_env.exchanges("mss", mss_run.since), recipient)
    )


@then("la messagerie Mon espace santé n'est adressée que pour une identité qualifiée")
def citizen(live_env, mss_run, verdict):
    verdict.judge(
        mss_run.precondition("MSS-21")
        or check_citizen(live_env.exchanges("mss", mss_run.since), mss_run.admission.status, mss_run.admission.ins)
    )


@then("le document reçu est traité et accusé comme il se doit")
def received(live_env, mss_run, verdict):
    if pre := mss_run.precondition("MSS-22", qualified=True):
        verdict.judge(pre)
        return
    documents = live_env.driver.received_documents(mss_run.admission.resident_id)
    unique_id = document_id(mss_run.incoming) if mss_run.readable else None
    mailbox = [m.data for m in live_env.mss.store.messages(HOSPITAL)]
    verdict.judge(check_received(documents, unique_id, mailbox, str(mss_run.incoming["Message-ID"]), mss_run.readable))


@then("le document n'est rangé dans aucun dossier : liste de travail à rapprocher ou accusé d'erreur")
def unknown_patient(live_env, mss_run, verdict):
    if pre := mss_run.precondition("MSS-22", qualified=True):
        verdict.judge(pre)
        return
    pending = getattr(live_env.driver, "pending_mss_documents", None)  # optional in the contract, adapter only
    verdict.judge(
        check_unknown_patient(
            live_env.driver.received_documents(mss_run.admission.resident_id),
            pending() if pending else None,
            document_id(mss_run.incoming),
            [m.data for m in live_env.mss.store.messages(HOSPITAL)],
            str(mss_run.incoming["Message-ID"]),
        )
    )


@then("l'erreur est montrée à l'utilisateur et le message gardé pour un nouvel envoi")
def error_shown(live_env, mss_run, verdict):
    if pre := mss_run.precondition("MSS-23"):
        verdict.judge(pre)
        return
    answer = mss_run.answer
    sending = (answer.body or {}) if not answer.error_reported else (answer.problem or {}).get("envoi") or {}
    sendings = live_env.driver.mss_sendings(mss_run.admission.resident_id)
    verdict.judge(check_error_shown(answer.error_reported, sendings, sending.get("id")))
