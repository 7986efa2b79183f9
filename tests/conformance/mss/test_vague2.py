"""Vague 2 message rules (mss/vague2.py): the expected X-MSS-NIL is a parameter, msg-id grammar, encoded words."""

import pytest

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.model import Outcome
from dui_conformance.mss import MssRules, check_vague2_data
from dui_conformance.mss.vague2 import msg_ids

VALID = (FIXTURES_DIR / "mss" / "message-dlu-valide.eml").read_bytes()


def _outcomes(data: bytes, requirement: str, rules: MssRules | None = None) -> list[Outcome]:
    return [f.outcome for f in check_vague2_data(data, "m.eml", rules) if f.requirement == requirement]


def test_expected_nil_is_a_parameter():
    assert _outcomes(VALID, "MSS-36", MssRules(nil="DEV000001")) == [Outcome.PASS]
    assert _outcomes(VALID, "MSS-36", MssRules(nil="DEV935997")) == [Outcome.FAIL]


def test_a_second_nil_fails():
    data = VALID.replace(b"X-MSS-NIL: DEV000001\r\n", b"X-MSS-NIL: DEV000001\r\nX-MSS-NIL: DEV000002\r\n")
    assert _outcomes(data, "MSS-36") == [Outcome.FAIL]


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("<a.b@c.d>", ["<a.b@c.d>"]),
        (" <a@b>\r\n <c@[127.0.0.1]>", ["<a@b>", "<c@[127.0.0.1]>"]),
        ("<a@b> texte", None),
        ("<a b@c>", None),
        ("<a@>", None),
    ],
)
def test_msg_id_grammar(value, ids):
    assert msg_ids(value) == ids


def test_latin1_encoded_word_fails_utf8():
    subject = b"Subject: =?iso-8859-1?q?R=E9sident?=\r\n"
    data = VALID.replace(b"Date: ", subject + b"Date: ", 1)
    assert _outcomes(data, "MSS-38") == [Outcome.FAIL]


def test_mes_other_value_fails():
    data = VALID.replace(b"X-MSS-NIL:", b"X-MSS-MES: OUI\r\nX-MSS-NIL:", 1)
    assert _outcomes(data, "MSS-37", MssRules(patient_domain="ch-fictif.mssante.fr")) == [Outcome.FAIL]


def test_body_type_alternative_needs_plain_and_receipts_are_left_out():
    html_only = (
        b"From: a@b.mssante.fr\r\nTo: c@d.mssante.fr\r\nMessage-ID: <x@y.fr>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n'
        b"--b--\r\n"
    )
    assert _outcomes(html_only, "MSS-41") == [Outcome.FAIL]
    mdn = (FIXTURES_DIR / "mss" / "mdn-traite.eml").read_bytes()
    assert _outcomes(mdn, "MSS-41") == [Outcome.OMIT]
