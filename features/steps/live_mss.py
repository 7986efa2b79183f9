"""Steps of the live MSSanté feature: drive the DUI, then judge one check of dui_conformance.live.mss."""

from dataclasses import dataclass, field, replace

from pytest_bdd import given, parsers, then, when

from dui_conformance.live.driver import Admission
from dui_conformance.live.mss import (
    HOSPITAL,
    UNKNOWN_PATIENT_INS,
    check_citizen,
    check_delivery_requested,
    check_delivery_shown,
    check_error_shown,
    check_filed_once,
    check_held_for_matching,
    check_received,
    check_reply,
    check_reply_blocked,
    check_sent,
    check_sent_vague2,
    check_unknown_patient,
    document_id,
    incoming_dlu,
    requested_delivery,
)
from dui_conformance.model import Finding, Location, Outcome, skipped
from dui_conformance.mss import MssRules

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
    identity: object = None  # the resident's identity as the DUI exports it (traits for the DLUs it receives)
    newer: object = None  # a newer version of ``incoming`` (MSS-40)

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
    run = live_env.admit(persona, id_document=piece)
    return MssRun(_admission(run), live_env.mark(), declared=_declared(live_env), identity=run.identity())


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
        mss_run.admission.ins or "", readable=mss_run.readable, mailbox=live_env.mss_mailbox, traits=mss_run.identity
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


# --- vague 2 -----------------------------------------------------------------------------------------------------


def _rules(settings) -> MssRules:
    return MssRules(nil=settings.mss_nil)


@when("le DUI envoie par MSSanté le DLU du résident à sa messagerie Mon espace santé, réponse du patient bloquée")
def send_to_citizen_blocked(live_env, mss_run):
    if mss_run.declared:
        mss_run.answer = live_env.driver.send_mss(mss_run.admission.resident_id, citizen=True, block_reply=True)


@when("le DUI répond par MSSanté au message reçu")
def reply(live_env, mss_run):
    if mss_run.declared:
        mss_run.answer = live_env.driver.reply_mss(
            str(mss_run.incoming["Message-ID"]), "Bien reçu (réponse de test, fictive)."
        )


def _deliver(live_env, message) -> None:
    live_env.mss.store.deliver(live_env.mss_mailbox, message.as_bytes())


@when("un établissement envoie au DUI par MSSanté le DLU du résident avec une autre date de naissance")
def incoming_other_traits(live_env, mss_run):
    identity = mss_run.identity
    year, _, rest = (identity.birth_date if identity and identity.birth_date else "1940-01-01").partition("-")
    other = replace(identity, birth_date=f"{int(year) - 1}-{rest}") if identity else None
    mss_run.incoming = incoming_dlu(mss_run.admission.ins or "", mailbox=live_env.mss_mailbox, traits=other)
    _deliver(live_env, mss_run.incoming)


@when("un établissement envoie au DUI par MSSanté deux fois le même DLU du résident, puis sa nouvelle version")
def incoming_twice_then_newer(live_env, mss_run):
    ins, mailbox = mss_run.admission.ins or "", live_env.mss_mailbox
    mss_run.incoming = incoming_dlu(ins, mailbox=mailbox, traits=mss_run.identity)
    again = incoming_dlu(ins, mailbox=mailbox, traits=mss_run.identity)  # the same document, in a new message
    mss_run.newer = incoming_dlu(ins, mailbox=mailbox, traits=mss_run.identity, replaces=document_id(mss_run.incoming))
    for message in (mss_run.incoming, again, mss_run.newer):
        _deliver(live_env, message)


@then(parsers.parse("les messages envoyés par le DUI respectent les exigences « {ids} »"))
def sent_vague2(live_env, mss_run, ids, settings, verdict):
    wanted = ids.split()
    verdict.judge(
        [f for r in wanted for f in mss_run.precondition(r) or []]
        or check_sent_vague2(live_env.exchanges("mss", mss_run.since), wanted, _rules(settings))
    )


@then("le message pour la messagerie Mon espace santé bloque la réponse du patient")
def reply_blocked(live_env, mss_run, verdict):
    refused = mss_run.answer is not None and mss_run.answer.error_reported
    verdict.judge(
        mss_run.precondition("MSS-37", qualified=True)
        or (refused and [skipped("MSS-37", "Préalable non obtenu : l'envoi vers Mon espace santé a échoué (MSS-21).")])
        or check_reply_blocked(live_env.exchanges("mss", mss_run.since), MssRules())
    )


@then("la réponse reçue par l'opérateur porte In-Reply-To et References du message reçu")
def reply_threaded(live_env, mss_run, verdict):
    verdict.judge(
        mss_run.precondition("MSS-33", qualified=True)
        or check_reply(live_env.exchanges("mss", mss_run.since), str(mss_run.incoming["Message-ID"]).strip())
    )


@then("le message reçu par l'opérateur demande un accusé de distribution")
def delivery_requested(live_env, mss_run, verdict):
    verdict.judge(
        mss_run.precondition("MSS-34", qualified=True)
        or check_delivery_requested(live_env.exchanges("mss", mss_run.since), MssRules())
    )


def _sending_id(answer) -> str | None:
    body = (answer.body or {}) if not answer.error_reported else (answer.problem or {}).get("envoi") or {}
    return body.get("id")


@then(parsers.parse("l'envoi montre ce que dit l'accusé de distribution : {state}"))
def delivery_shown(live_env, mss_run, state, verdict):
    if pre := mss_run.precondition("MSS-35", qualified=True):
        verdict.judge(pre)
        return
    exchanges = live_env.exchanges("mss", mss_run.since)
    delivered = state == "distribué"
    if delivered and not requested_delivery(exchanges, MssRules()):
        verdict.judge([skipped("MSS-35", "Préalable non obtenu : aucun accusé de distribution demandé (MSS-34).")])
        return
    reason = next((d["status"] for e in exchanges for d in e.data.get("dsn", []) if d["action"] == "failed"), "")
    sendings = live_env.driver.mss_sendings(mss_run.admission.resident_id)
    verdict.judge(check_delivery_shown(sendings, _sending_id(mss_run.answer), delivered, reason))


@then("le document attend dans la liste de travail du DUI, hors de tout dossier")
def held_for_matching(live_env, mss_run, verdict):
    if pre := mss_run.precondition("MSS-39", qualified=True):
        verdict.judge(pre)
        return
    verdict.judge(
        check_held_for_matching(
            live_env.driver.received_documents(mss_run.admission.resident_id),
            live_env.driver.pending_mss_documents(),
            document_id(mss_run.incoming),
        )
    )


@then("le document est rangé une seule fois et sa nouvelle version reconnue")
def filed_once(live_env, mss_run, verdict):
    if pre := mss_run.precondition("MSS-40", qualified=True):
        verdict.judge(pre)
        return
    verdict.judge(
        check_filed_once(
            live_env.driver.received_documents(mss_run.admission.resident_id),
            document_id(mss_run.incoming),
            document_id(mss_run.newer),
        )
    )
