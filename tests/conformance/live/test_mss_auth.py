"""MSS-24…27 judged on recorded authentications: each check passes what the API LPS asks and fails, with its
deviation code, what it forbids; the API LPS data (api_lps.toml) is the source's list."""

from __future__ import annotations

import itertools

import pytest

from dui_conformance.exchanges import Exchange, HttpRequest, HttpResponse
from dui_conformance.live.mss_auth import (
    TOKEN_EXPIRED,
    TOKEN_VALID,
    RefreshDeath,
    api_lps,
    check_api_lps_tls,
    check_applicative_logins,
    check_bearer_logins,
    check_sessions_end,
    check_unlisted_refused,
    refreshed,
)
from dui_conformance.model import Outcome

PER = "claire.martin@ehpad-les-tilleuls.mssante.fr"
APP = "dui@ehpad-les-tilleuls.mssante.fr"
PRO = "810999000010"
CERT = "CN=DUI-TEST-BAL-APPLICATIVE,OU=dui-conformance,O=Harnais de test (fictif),C=FR"
_ids = itertools.count(1)


def login(
    protocol: str,
    mailbox: str = PER,
    mechanism: str = "XOAUTH2",
    kind: str = "PER",
    status: str | None = TOKEN_VALID,
    national_id: str = PRO,
    accepted: bool = True,
    subject: str | None = None,
    tls: tuple[str, str] = ("TLSv1.3", "TLS_AES_256_GCM_SHA384"),
) -> Exchange:
    """A ``connexion SMTP/IMAP`` exchange as the operator mock records it."""
    exchange = Exchange(
        id=f"mss-{next(_ids):04d}",
        service="mss",
        started="2026-12-01T10:00:00+01:00",
        request=HttpRequest(protocol, f"connexion {protocol}", {}, ""),
        operation=f"connexion {protocol}",
        response=HttpResponse(235 if accepted else 535, {}, ""),
        transport={"scheme": "imap+starttls", "tls_version": tls[0], "cipher": tls[1], "client_subject": subject},
    )
    exchange.data.update({"login": mailbox, "mechanism": mechanism, "bal_type": kind})
    if status is not None:
        exchange.data["token"] = {"statut": status, "motif": "", "SubjectNameID": national_id}
    return exchange


def end(of: Exchange) -> Exchange:
    protocol = of.request.method
    exchange = Exchange(
        id=f"mss-{next(_ids):04d}",
        service="mss",
        started="2026-12-01T10:00:01+01:00",
        request=HttpRequest(protocol, f"fin de session {protocol}", {}, ""),
        operation=f"fin de session {protocol}",
    )
    exchange.data.update({"login": of.data["login"], "session_of": of.id})
    return exchange


def outcomes(findings) -> set[Outcome]:
    return {f.outcome for f in findings}


def codes(findings) -> set[str | None]:
    return {f.evidence for f in findings if f.outcome is Outcome.FAIL}


def test_api_lps_holds_the_six_suites_of_conf03_and_their_ecdsa_forms_for_the_bench():
    lps = api_lps()
    assert len(lps.suites) == 6 and "ECDHE-RSA-AES256-GCM-SHA384" in lps.suites
    assert lps.listed("ECDHE-ECDSA-AES128-GCM-SHA256") and lps.listed("DHE-RSA-AES128-GCM-SHA256")
    assert not lps.listed(lps.unlisted_suite) and not lps.listed("ECDHE-ECDSA-AES128-SHA") and not lps.listed(None)
    assert "ECDHE-ECDSA-AES256-SHA384" in lps.client_ciphers().split(":")
    assert lps.mechanisms == {"PER": ("XOAUTH2",), "ORG": ("XOAUTH2",), "APP": ("PLAIN",)}


def test_bearer_sessions_with_the_logged_in_professionals_valid_token_pass():
    assert outcomes(check_bearer_logins([login("IMAP"), login("SMTP")], PER, PRO)) == {Outcome.PASS}


@pytest.mark.parametrize(
    ("attempts", "code"),
    [
        ([login("IMAP", mechanism="PLAIN", status=None), login("SMTP")], "MSS-XOAUTH2-MECANISME"),
        ([login("IMAP", status=TOKEN_EXPIRED, accepted=False), login("SMTP")], "MSS-XOAUTH2-JETON"),
        ([login("IMAP", national_id="810999000028"), login("SMTP")], "MSS-XOAUTH2-AUTRE-PROFESSIONNEL"),
    ],
)
def test_bearer_sessions_fail_by_mechanism_token_state_and_professional(attempts, code):
    found = check_bearer_logins(attempts, PER, PRO)
    assert code in codes(found) and {f.requirement for f in found} == {"MSS-24"}


def test_a_missing_session_fails_mss24():
    found = check_bearer_logins([login("IMAP")], PER, PRO)
    assert [f.message for f in found if f.outcome is Outcome.FAIL][0].startswith("Trouvé : aucune session SMTP")


def test_the_applicative_mailbox_needs_its_certificate_and_plain():
    good = [login(p, APP, "PLAIN", "APP", None, subject=CERT) for p in ("IMAP", "SMTP")]
    assert outcomes(check_applicative_logins(good, APP)) == {Outcome.PASS}
    external = login("IMAP", APP, "EXTERNAL", "APP", None, subject=CERT)
    bare = login("SMTP", APP, "PLAIN", "APP", None)
    assert codes(check_applicative_logins([external, bare], APP)) == {"MSS-APP-MECANISME", "MSS-APP-SANS-CERTIFICAT"}


def test_sessions_end_with_the_refresh_token_and_its_tokens_are_never_presented_again():
    opened = [login("IMAP"), login("SMTP")]
    death = RefreshDeath(opened, [end(o) for o in opened])
    assert outcomes(check_sessions_end(death, PRO)) == {Outcome.PASS}
    kept = RefreshDeath(opened, [end(opened[0])], reopen=[login("IMAP", status=TOKEN_EXPIRED, accepted=False)])
    found = check_sessions_end(kept, PRO)
    assert codes(found) == {"MSS-SESSION-APRES-PSC", "MSS-JETON-MORT-REUTILISE"}
    late = RefreshDeath(opened, [], reopen=[end(o) for o in opened])  # closed only when asked to open it again
    assert codes(check_sessions_end(late, PRO)) == {"MSS-SESSION-APRES-PSC"}


def test_a_psc_session_the_dui_keeps_past_its_tokens_is_psc23s_finding_not_mss26s():
    kept = RefreshDeath([login("IMAP")], [], sessions=[{"idNational": PRO}])
    assert outcomes(check_sessions_end(kept, PRO)) == {Outcome.SKIP}


def test_a_refresh_is_a_successful_refresh_grant():
    def token(grant: str, status: int) -> Exchange:
        request = HttpRequest(
            "POST", "/token", {"Content-Type": "application/x-www-form-urlencoded"}, f"grant_type={grant}"
        )
        return Exchange("psc-0001", "psc", "", request, "token", response=HttpResponse(status, {}, ""))

    assert refreshed([token("authorization_code", 200), token("refresh_token", 200)])
    assert not refreshed([token("refresh_token", 400), token("authorization_code", 200)])


def test_no_session_before_the_refresh_token_dies_leaves_mss26_undecided():
    assert outcomes(check_sessions_end(RefreshDeath([login("IMAP", national_id="810999000028")], []), PRO)) == {
        Outcome.SKIP
    }


def test_tls_of_each_connection_against_the_list():
    listed = login("IMAP", tls=("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"))
    assert outcomes(check_api_lps_tls([listed, login("SMTP")])) == {Outcome.PASS}
    unlisted = login("IMAP", tls=("TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305"))
    old = login("SMTP", tls=("TLSv1.1", "ECDHE-ECDSA-AES128-SHA"))
    assert codes(check_api_lps_tls([unlisted, old])) == {"MSS-TLS-SUITE-HORS-LISTE", "MSS-TLS-VERSION"}
    assert outcomes(check_api_lps_tls([])) == {Outcome.SKIP}


def test_a_connection_to_an_operator_offering_only_an_unlisted_suite_fails():
    suite = api_lps().unlisted_suite
    assert outcomes(check_unlisted_refused([], suite)) == {Outcome.PASS}
    accepted = login("SMTP", tls=("TLSv1.2", suite))
    assert codes(check_unlisted_refused([accepted], suite)) == {"MSS-TLS-SUITE-ACCEPTEE"}
