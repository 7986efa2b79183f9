"""Steps of the live MSSanté authentication feature (vague 2 API LPS): have the DUI open a mailbox's sessions, then
judge one check of dui_conformance.live.mss_auth on what the operator mock recorded."""

from dataclasses import dataclass

from pytest_bdd import given, parsers, then, when

from dui_conformance.live.mss_auth import (
    api_lps,
    check_api_lps_tls,
    check_applicative_logins,
    check_bearer_logins,
    check_sessions_end,
    check_unlisted_refused,
    end_refresh_token,
    refreshed,
)
from dui_conformance.live.psc import run_expired_access
from dui_conformance.model import Finding, Location, Outcome

from .live_mss import NOT_DECLARED, _declared


@dataclass
class MailboxRun:
    """One mailbox the DUI was asked to open: the traffic since, and why nothing could be judged (None: judged)."""

    mailbox: str
    since: dict
    unjudged: tuple[Outcome, str] | None = None

    def precondition(self, requirement: str) -> list[Finding] | None:
        return [Finding(requirement, *self.unjudged, Location())] if self.unjudged else None


def _open(live_env, mailbox: str, psc_attempt=None) -> MailboxRun:
    """Ask the DUI to open ``mailbox``'s sessions (its answer does not matter: the operator's record does)."""
    run = MailboxRun(mailbox, live_env.mark())
    if psc_attempt is not None and psc_attempt.pilot is None:
        run.unjudged = (Outcome.SKIP, f"Préalable non obtenu : {psc_attempt.run.unavailable}")
    elif psc_attempt is not None and not psc_attempt.run.sessions_of_professional():
        run.unjudged = (
            Outcome.SKIP,
            f"Préalable non obtenu : {psc_attempt.professional.display_name} n'est pas connecté au DUI par Pro Santé "
            "Connect (sessions du DUI après la connexion).",
        )
    elif not _declared(live_env):
        run.unjudged = (Outcome.NOT_RUN, NOT_DECLARED)
    else:
        live_env.driver.open_mss_sessions(mailbox)
    return run


@given("les sessions IMAP et SMTP de la BAL personnelle du professionnel ouvertes par le DUI", target_fixture="bal_run")
@when("le DUI ouvre les sessions IMAP et SMTP de la BAL personnelle du professionnel", target_fixture="bal_run")
def open_personal(live_env, psc_attempt):
    return _open(live_env, psc_attempt.professional.mssante, psc_attempt)


@when(parsers.parse("le DUI ouvre les sessions IMAP et SMTP de la BAL « {mailbox} »"), target_fixture="bal_run")
def open_mailbox(live_env, psc_attempt, mailbox):
    return _open(live_env, mailbox, psc_attempt)


@when("le DUI ouvre les sessions IMAP et SMTP de sa BAL applicative", target_fixture="bal_run")
def open_applicative(live_env):
    return _open(live_env, live_env.mss_mailbox)


@when(
    "le jeton d'accès du professionnel expire, puis le DUI revalide sa session et rouvre sa BAL personnelle",
    target_fixture="bal_run",
)
def reopen_after_refresh(live_env, psc_attempt, bal_run):
    """PSC-23 judges the refresh itself: without one, reopening with the new token cannot be judged."""
    follow_up = None if bal_run.unjudged else run_expired_access(live_env, psc_attempt)
    run = _open(live_env, psc_attempt.professional.mssante, psc_attempt) if follow_up else bal_run
    if follow_up and not run.unjudged and not refreshed(follow_up.exchanges):
        run.unjudged = (Outcome.SKIP, "Préalable non obtenu : le DUI n'a pas rafraîchi le jeton d'accès (PSC-23).")
    return run


@given("l'opérateur MSSanté simulé n'offrant en TLS 1.2 qu'une suite hors de la liste de l'API LPS")
def unlisted_suite(live_env, request):
    """Until the scenario ends, the operator offers only the bench's unlisted suite."""
    narrowed = live_env.mss.only_suite(api_lps().unlisted_suite)
    narrowed.__enter__()
    request.addfinalizer(lambda: narrowed.__exit__(None, None, None))


@when(
    "Pro Santé Connect met fin au jeton de rafraîchissement du professionnel et le DUI revalide sa session",
    target_fixture="refresh_death",
)
def refresh_token_dies(live_env, psc_attempt, bal_run):
    return None if bal_run.unjudged else end_refresh_token(live_env, psc_attempt, bal_run.since)


@when("le DUI tente de rouvrir les sessions de la BAL personnelle du professionnel")
def reopen(live_env, bal_run, refresh_death):
    if refresh_death is not None:
        since = live_env.mss.recorder.mark()
        live_env.driver.open_mss_sessions(bal_run.mailbox)
        refresh_death.reopen = live_env.mss.recorder.exchanges(since)


@then("les sessions de la BAL sont ouvertes en XOAUTH2 avec le jeton PSC valide du professionnel connecté")
def bearer(live_env, bal_run, psc_attempt, verdict):
    verdict.judge(
        bal_run.precondition("MSS-24")
        or check_bearer_logins(
            live_env.exchanges("mss", bal_run.since), bal_run.mailbox, psc_attempt.professional.id_national
        )
    )


@then("les sessions de la BAL applicative présentent le certificat du DUI et s'ouvrent en PLAIN")
def applicative(live_env, bal_run, verdict):
    verdict.judge(
        bal_run.precondition("MSS-25")
        or check_applicative_logins(live_env.exchanges("mss", bal_run.since), bal_run.mailbox)
    )


@then("le DUI a fermé les sessions de la BAL et n'a plus présenté les jetons du professionnel")
def sessions_ended(bal_run, refresh_death, psc_attempt, verdict):
    verdict.judge(
        bal_run.precondition("MSS-26") or check_sessions_end(refresh_death, psc_attempt.professional.id_national)
    )


@then("chaque connexion du DUI à l'opérateur MSSanté est en TLS 1.2 avec une suite de l'API LPS, ou en TLS 1.3")
def api_lps_tls(live_env, bal_run, verdict):
    verdict.judge(bal_run.precondition("MSS-27") or check_api_lps_tls(live_env.exchanges("mss", bal_run.since)))


@then("le DUI n'a ouvert aucune session avec l'opérateur à la suite hors liste")
def unlisted_refused(live_env, bal_run, verdict):
    verdict.judge(
        bal_run.precondition("MSS-27")
        or check_unlisted_refused(live_env.exchanges("mss", bal_run.since), api_lps().unlisted_suite)
    )
