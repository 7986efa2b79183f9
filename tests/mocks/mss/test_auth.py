"""How the operator mock reads a bearer token through Pro Santé Connect, and which mailboxes a token opens."""

from __future__ import annotations

import time

import pytest

from dui_conformance.live.mss_auth import (
    TOKEN_EXPIRED,
    TOKEN_FOREIGN_CLIENT,
    TOKEN_REVOKED,
    TOKEN_UNREADABLE,
    TOKEN_UNVERIFIED,
    TOKEN_VALID,
)
from dui_conformance.mocks.mss import Directory
from dui_conformance.mocks.mss.auth import TokenFacts, psc_reader, read_unverified, token_opens

PRO = "810999000010"  # ide-martin, of the EHPAD


def claims(**changes) -> dict:
    return {
        "sub": "s",
        "SubjectNameID": PRO,
        "azp": "dui-conformance",
        "jti": "j1",
        "exp": time.time() + 3600,
    } | changes


def verify_as(found: dict):
    def verify(token: str) -> dict:
        if token != "jeton":
            raise ValueError("signature invalide")
        return found

    return verify


@pytest.mark.parametrize(
    ("found", "state", "azp", "expected"),
    [
        (claims(), TOKEN_VALID, (), TOKEN_VALID),
        (claims(exp=time.time() - 1), TOKEN_VALID, (), TOKEN_EXPIRED),
        (claims(), TOKEN_REVOKED, (), TOKEN_REVOKED),
        (claims(), TOKEN_VALID, ("un-autre-client",), TOKEN_FOREIGN_CLIENT),
    ],
)
def test_psc_reader_reads_signature_expiry_provider_state_and_client(found, state, azp, expected):
    facts = psc_reader(verify_as(found), lambda jti: state, azp)("jeton")
    assert facts.status == expected and facts.claims["SubjectNameID"] == PRO
    assert facts.accepted is (expected == TOKEN_VALID)


def test_a_token_psc_did_not_sign_is_unreadable_and_recorded_with_why():
    facts = psc_reader(verify_as(claims()), lambda jti: TOKEN_VALID)("autre")
    assert facts.record() == {"statut": TOKEN_UNREADABLE, "motif": "jeton refusé : signature invalide"}


def test_a_token_opens_its_professionals_mailbox_and_their_structures_organisational_ones():
    directory = Directory.load()
    valid = TokenFacts(TOKEN_VALID, claims=claims())
    assert token_opens(directory, valid, directory.mailbox("claire.martin@ehpad-les-tilleuls.mssante.fr"))
    assert token_opens(directory, valid, directory.mailbox("secretariat@ehpad-les-tilleuls.mssante.fr"))
    assert not token_opens(directory, valid, directory.mailbox("paul.durand@ehpad-les-tilleuls.mssante.fr"))
    assert not token_opens(directory, valid, directory.mailbox("secretariat@mas-les-genets.mssante.fr"))
    assert not token_opens(directory, valid, directory.mailbox("dui@ehpad-les-tilleuls.mssante.fr"))  # APP
    assert not token_opens(
        directory,
        TokenFacts(TOKEN_EXPIRED, claims=claims()),
        directory.mailbox("claire.martin@ehpad-les-tilleuls.mssante.fr"),
    )


def test_without_a_provider_any_non_empty_token_opens_a_personal_or_organisational_mailbox():
    directory = Directory.load()
    assert read_unverified("x").status == TOKEN_UNVERIFIED and read_unverified(" ").status == TOKEN_UNREADABLE
    assert token_opens(directory, read_unverified("x"), directory.mailbox("secretariat@mas-les-genets.mssante.fr"))
