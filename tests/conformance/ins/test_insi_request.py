"""The INSi request check on synthetic recorded exchanges: a correct request passes INS-21, INS-28 and
INS-29; each departure fails its requirement with its deviation code at the exchange."""

from __future__ import annotations

import pytest
from lxml import etree

from dui_conformance.deviations import DEVIATIONS
from dui_conformance.exchanges import Exchange, HttpRequest
from dui_conformance.ins.insi_request import (
    INSI_PATH,
    RECSANS_NS,
    RECVIT_NS,
    SOAP11_NS,
    SOAP12_NS,
    TRAITS_OPERATION,
    VITALE_OPERATION,
    action_of,
    check_insi_exchange,
    read_request,
)
from dui_conformance.mocks.dui.insi_client import LpsContext, traits_payload, vitale_payload
from dui_conformance.model import Outcome

CONTEXT = LpsContext("DUI-TEST", "2.1", "IDAM-TEST", "test")
NS = {
    "soap": SOAP12_NS,
    "wsa": "http://www.w3.org/2005/08/addressing",
    "ctxlps": "urn:siram:lps:ctxlps",
    "ctxbam": "urn:siram:bam:ctxbam",
    "r": RECSANS_NS,
}


def soap12(operation: str = TRAITS_OPERATION) -> str:
    return f'application/soap+xml; charset=utf-8; action="{action_of(operation)}"'


def envelope(payload=None, operation: str = TRAITS_OPERATION) -> etree._Element:
    payload = traits_payload("FICTIF", ["CAMILLE"], "F", "1952-06-14") if payload is None else payload
    return etree.fromstring(CONTEXT.envelope(action_of(operation), payload))


def exchange(body: bytes | etree._Element, content_type: str | None = None, method="POST", path=INSI_PATH, **headers):
    data = body if isinstance(body, bytes) else etree.tostring(body)
    headers = {"Content-Type": content_type or soap12(), **headers}
    return Exchange("insi-0001", "insi", "2026-01-01T00:00:00Z", HttpRequest.received(method, path, headers, data))


def drop(env: etree._Element, xpath: str) -> etree._Element:
    for node in env.xpath(xpath, namespaces=NS):
        node.getparent().remove(node)
    return env


def codes(findings) -> set[str]:
    return {f.evidence for f in findings if f.outcome is Outcome.FAIL}


def test_a_correct_traits_request_passes_ins21_and_ins29_at_its_exchange():
    findings = check_insi_exchange(exchange(envelope()))
    assert [(f.requirement, f.outcome) for f in findings] == [("INS-21", Outcome.PASS), ("INS-29", Outcome.PASS)]
    assert {f.location.exchange for f in findings} == {"insi-0001"}
    assert TRAITS_OPERATION in findings[0].message


def test_a_correct_vitale_request_also_passes_ins28():
    body = envelope(vitale_payload("2681221231034", "93"), VITALE_OPERATION)
    findings = check_insi_exchange(exchange(body, soap12(VITALE_OPERATION)))
    assert {(f.requirement, f.outcome) for f in findings} == {
        ("INS-21", Outcome.PASS),
        ("INS-28", Outcome.PASS),
        ("INS-29", Outcome.PASS),
    }


def test_the_reading_gives_what_the_mock_answers_from():
    read = read_request(exchange(envelope()).request)
    assert (read.operation, read.stopped, read.lps) == (TRAITS_OPERATION, None, "urn:lps:DUI-TEST:2.1")
    assert read.content["Prenom"] == ["CAMILLE"] and read.message_id.startswith("uuid:")


def test_a_failure_names_its_code_requirement_and_label():
    env = envelope()
    soap11 = etree.tostring(env).replace(SOAP12_NS.encode(), SOAP11_NS.encode())
    (failure,) = [
        f
        for f in check_insi_exchange(
            exchange(soap11, "text/xml; charset=utf-8", SOAPAction=f'"{action_of(TRAITS_OPERATION)}"')
        )
        if f.outcome is Outcome.FAIL
    ]
    assert (failure.requirement, failure.evidence, failure.location.exchange) == ("INS-21", "INSI-SOAP11", "insi-0001")
    assert failure.message.startswith(f"INSI-SOAP11 : {DEVIATIONS['INSI-SOAP11'][1]} : Content-Type text/xml")


@pytest.mark.parametrize(
    "xpath, code",
    [
        ("//ctxlps:ContexteLPS", "INSI-ENTETE-LPS-ABSENT"),
        ("//ctxbam:ContexteBAM", "INSI-ENTETE-BAM-ABSENT"),
        ("//wsa:MessageID", "INSI-WSA-MESSAGEID-ABSENT"),
        ("//wsa:Action", "INSI-WSA-ACTION-ABSENTE"),
        ("//ctxlps:LPS/ctxlps:Nom", "INSI-ENTETE-LPS-INCOMPLET"),
        ("//ctxbam:COUVERTURE", "INSI-ENTETE-BAM-INCOMPLET"),
        ("//r:Sexe", "INSI-TRAIT-ABSENT"),
    ],
)
def test_missing_parts_fail_ins21(xpath, code):
    findings = check_insi_exchange(exchange(drop(envelope(), xpath)))
    assert codes(findings) == {code}
    assert {f.requirement for f in findings if f.outcome is Outcome.FAIL} == {"INS-21"}


def test_wrong_actions_and_content_types():
    env = envelope()
    env.find(".//wsa:Action", NS).text = action_of(VITALE_OPERATION)
    wrong = exchange(env, 'application/soap+xml; charset=utf-8; action="urn:autre"')
    assert codes(check_insi_exchange(wrong)) == {"INSI-WSA-ACTION-INCORRECTE", "INSI-ACTION-HTTP-INCORRECTE"}
    assert codes(check_insi_exchange(exchange(envelope(), "application/soap+xml; charset=utf-8"))) == {
        "INSI-ACTION-HTTP-ABSENTE"
    }
    assert codes(check_insi_exchange(exchange(envelope(), "application/xml"))) == {
        "INSI-CONTENT-TYPE",
        "INSI-ACTION-HTTP-ABSENTE",
    }


def test_context_version_checked():
    env = envelope()
    env.find(".//ctxlps:ContexteLPS", NS).set("Version", "02_00")
    (failure,) = [f for f in check_insi_exchange(exchange(env)) if f.outcome is Outcome.FAIL]
    assert failure.evidence == "INSI-ENTETE-LPS-INCOMPLET" and "Version" in failure.message


def test_lower_case_traits_fail_ins29_only_and_name_the_values():
    findings = check_insi_exchange(exchange(envelope(traits_payload("Fictif", ["camille"], "F", "1952-06-14"))))
    (failure,) = [f for f in findings if f.outcome is Outcome.FAIL]
    assert (failure.requirement, failure.evidence) == ("INS-29", "INSI-TRAITS-MINUSCULES")
    assert "Fictif" in failure.message and "camille" in failure.message
    assert ("INS-21", Outcome.PASS) in {(f.requirement, f.outcome) for f in findings}


@pytest.mark.parametrize(
    "traits, expected",
    [
        (("FICTÏF", ["CAMILLE"], "F", "1952-06-14", None), {"INSI-TRAITS-ACCENTS"}),
        (("FICTIF", ["élodie"], "F", "1952-06-14", None), {"INSI-TRAITS-ACCENTS", "INSI-TRAITS-MINUSCULES"}),
        (("FICTIF2", ["-CAMILLE"], "F", "1952-06-14", None), {"INSI-TRAITS-CARACTERES"}),
        (
            ("FICTIF", ["CAMILLE"], "I", "14/06/1952", "631"),
            {"INSI-SEXE-INVALIDE", "INSI-DATE-INVALIDE", "INSI-LIEU-INVALIDE"},
        ),
    ],
)
def test_badly_formed_traits(traits, expected):
    assert codes(check_insi_exchange(exchange(envelope(traits_payload(*traits))))) == expected


def test_vitale_without_matricule_fails_ins28():
    payload = vitale_payload("2681221231034", "93")
    payload.remove(payload[0])
    findings = check_insi_exchange(exchange(envelope(payload, VITALE_OPERATION), soap12(VITALE_OPERATION)))
    assert {(f.requirement, f.evidence) for f in findings if f.outcome is Outcome.FAIL} == {
        ("INS-28", "INSI-VITALE-MATRICULE-ABSENT")
    }


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;'
    b'&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&lol3;</soap:Body></soap:Envelope>'
)


@pytest.mark.parametrize(
    "body, code",
    [
        (BOMB, "INSI-XML-REFUSE"),
        (b"<soap:Envelope", "INSI-XML-REFUSE"),
        (b"\xff\xfe\x00garbage", "INSI-XML-REFUSE"),
        (b"<RECSANSVITALE/>", "INSI-ENVELOPPE"),
        (
            f'<s:Envelope xmlns:s="{SOAP12_NS}"><s:Body><x/></s:Body></s:Envelope>'.encode(),
            "INSI-OPERATION-INCONNUE",
        ),
    ],
)
def test_unreadable_requests_stop_the_reading(body, code):
    record = exchange(body)
    read = read_request(record.request)
    assert read.operation is None and read.stopped == code and read.refusal
    assert code in codes(check_insi_exchange(record))


def test_the_refusal_and_the_failure_name_the_expected_body_elements():
    body = (
        f'<soap:Envelope xmlns:soap="{SOAP12_NS}"><soap:Body>'
        '<RECSANSVITALE xmlns="urn:mauvais"/></soap:Body></soap:Envelope>'
    )
    record = exchange(body.encode())
    refusal = read_request(record.request).refusal
    for expected in ("{urn:mauvais}RECSANSVITALE", RECSANS_NS, RECVIT_NS):
        assert expected in refusal
    assert any(RECSANS_NS in f.message for f in check_insi_exchange(record) if f.outcome is Outcome.FAIL)


def test_missing_headers_name_their_namespaces():
    body = (
        f'<soap:Envelope xmlns:soap="{SOAP12_NS}"><soap:Header/><soap:Body>'
        f'<RECSANSVITALE xmlns="{RECSANS_NS}"><NomNaissance>FICTIF</NomNaissance><Prenom>CAMILLE</Prenom>'
        "<Sexe>F</Sexe><DateNaissance>1952-06-14</DateNaissance></RECSANSVITALE></soap:Body></soap:Envelope>"
    )
    messages = " ".join(f.message for f in check_insi_exchange(exchange(body.encode(), "application/soap+xml")))
    assert "urn:siram:lps:ctxlps" in messages and "urn:siram:bam:ctxbam" in messages
    assert "http://www.w3.org/2005/08/addressing" in messages


def test_another_method_or_path_stops_at_once():
    assert codes(check_insi_exchange(exchange(b"", method="GET"))) == {"INSI-METHODE-HTTP"}
    assert codes(check_insi_exchange(exchange(b"x", path="/autre?x=1"))) == {"INSI-CHEMIN-INCONNU"}


def test_a_body_that_is_not_utf8_is_read_as_sent():
    latin1 = etree.tostring(envelope(traits_payload("FICTIF", ["CAMILLE"], "F", "1952-06-14")), encoding="ISO-8859-1")
    record = exchange(latin1.replace(b"FICTIF", "FICTÏF".encode("latin-1")))
    assert record.request.raw is not None  # the text shown in reports is not the bytes sent
    assert codes(check_insi_exchange(record)) == {"INSI-TRAITS-ACCENTS"}
