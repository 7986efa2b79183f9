"""The reference DUI's mail-client sessions without an operator: what it refuses before any connection, and the
credentials each mailbox gets (the sessions themselves: tests/e2e/test_live_mss_auth_plan.py)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from dui_conformance.mocks.dui.mss import MAILBOX
from dui_conformance.mocks.dui.mss_sessions import MailboxSessions

PER = "claire.martin@ehpad-les-tilleuls.mssante.fr"


def _psc(*tokens: str):
    """A relying party whose sessions hold these access tokens, the latest last."""
    sessions = {f"s{i}": SimpleNamespace(id=f"s{i}", access_token=t) for i, t in enumerate(tokens)}
    return SimpleNamespace(sessions=sessions)


def _body(response) -> dict:
    return json.loads(response.get_data())


def test_without_an_operator_or_a_professional_nothing_is_opened():
    assert MailboxSessions(None, None, frozenset()).open({"bal": PER}).status_code == 503
    client = SimpleNamespace(password="mdp")
    refused = MailboxSessions(client, _psc(), frozenset()).open({"bal": PER})
    assert refused.status_code == 401 and _body(refused)["service"] == "MSS"


def test_each_mailbox_gets_its_credentials_and_each_defect_its_own():
    client = SimpleNamespace(password="mdp")
    psc = _psc("jeton-a", "jeton-b")
    assert MailboxSessions(client, psc, frozenset())._credentials(client, MAILBOX) == ("PLAIN", "mdp", None, None)
    correct = MailboxSessions(client, psc, frozenset())
    assert correct._credentials(client, PER) == ("XOAUTH2", "jeton-b", "s1", "jeton-b")
    stale = MailboxSessions(client, psc, frozenset({"mss-xoauth2-jeton-expire"}))
    stale._credentials(client, PER)
    psc.sessions["s1"].access_token = "jeton-rafraichi"
    assert stale._credentials(client, PER)[1] == "jeton-b"  # the first token of the PSC session, kept
    password = MailboxSessions(client, psc, frozenset({"mss-authentification-mot-de-passe"}))
    assert password._credentials(client, PER)[:2] == ("PLAIN", "mdp")
