"""A mock's fault, and the judgement of the request it recorded, name what was expected: namespace, element,
header (issue 7, point 7)."""

from __future__ import annotations

import pytest
import requests

from dui_conformance.ins.insi_request import RECSANS_NS, RECVIT_NS, SOAP12_NS, check_insi_exchange
from dui_conformance.mocks.insi import InsiMock

pytestmark = pytest.mark.live

WRONG_BODY = (
    f'<soap:Envelope xmlns:soap="{SOAP12_NS}"><soap:Header/><soap:Body>'
    '<RECSANSVITALE xmlns="urn:mauvais"/></soap:Body></soap:Envelope>'
)


def test_insi_fault_names_the_expected_body_elements_and_namespaces():
    with InsiMock() as insi:
        response = requests.post(
            insi.url,
            data=WRONG_BODY.encode(),
            timeout=5,
            headers={"Content-Type": "application/soap+xml; charset=UTF-8"},
        )
        exchange = insi.recorder.exchanges()[-1]
    assert response.status_code == 400
    for expected in ("{urn:mauvais}RECSANSVITALE", RECSANS_NS, RECVIT_NS):
        assert expected in response.text
    assert any(RECSANS_NS in f.message for f in check_insi_exchange(exchange))


def test_insi_deviation_names_the_missing_header_namespace():
    body = (
        f'<soap:Envelope xmlns:soap="{SOAP12_NS}"><soap:Header/><soap:Body>'
        f'<RECSANSVITALE xmlns="{RECSANS_NS}"><NomNaissance>FICTIF</NomNaissance><Prenom>CAMILLE</Prenom>'
        "<Sexe>F</Sexe><DateNaissance>1952-06-14</DateNaissance></RECSANSVITALE></soap:Body></soap:Envelope>"
    )
    with InsiMock() as insi:
        requests.post(insi.url, data=body.encode(), timeout=5, headers={"Content-Type": "application/soap+xml"})
        messages = " ".join(f.message for f in check_insi_exchange(insi.recorder.exchanges()[-1]))
    assert "urn:siram:lps:ctxlps" in messages and "urn:siram:bam:ctxbam" in messages
    assert "http://www.w3.org/2005/08/addressing" in messages
