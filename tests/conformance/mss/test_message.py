"""MSSanté messages (mss/message.py): the domains judged are a setting."""

from dui_conformance import mss
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.model import Outcome
from dui_conformance.mss import MssRules

FIXTURES = FIXTURES_DIR / "mss"


def test_domains_are_a_setting():
    data = (FIXTURES / "message-adresse-hors-mss.eml").read_bytes()
    findings = mss.check_message_data(data, "m.eml", rules=MssRules(domains=("mssante.fr", "example.org")))
    assert {f.outcome for f in findings if f.requirement == "MSS-07"} == {Outcome.PASS}
