"""INSi mock end to end through the reference client, deviant raw requests (answered, then judged by the
library on the recorded exchange), hostile XML, faults."""

from __future__ import annotations

import pytest
import requests
from lxml import etree

from dui_conformance.ins.insi_request import RECSANS_NS, RECVIT_NS, SOAP12_NS, check_insi_exchange
from dui_conformance.mocks.dui.insi_client import LpsContext, parse_response, traits_payload, vitale_payload
from dui_conformance.mocks.insi import InsiMock
from dui_conformance.model import Outcome

pytestmark = pytest.mark.live

TRAITS_ACTION = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite"
SOAP12_CT = f'application/soap+xml; charset=utf-8; action="{TRAITS_ACTION}"'
NS = {
    "soap": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://www.w3.org/2005/08/addressing",
    "ctxlps": "urn:siram:lps:ctxlps",
    "ctxbam": "urn:siram:bam:ctxbam",
    "r": "http://www.cnamts.fr/INSiRecSans",
}
CONTEXT = LpsContext("DUI-TEST", "2.1", "IDAM-TEST", "test")


def _envelope(payload=None) -> etree._Element:
    payload = traits_payload("FICTIF", ["CAMILLE"], "F", "1952-06-14") if payload is None else payload
    return etree.fromstring(CONTEXT.envelope(TRAITS_ACTION, payload))


def _post(mock, body: bytes | etree._Element, content_type: str = SOAP12_CT, **headers):
    data = body if isinstance(body, bytes) else etree.tostring(body)
    response = requests.post(mock.url, data=data, headers={"Content-Type": content_type, **headers}, timeout=5)
    return response, mock.recorder.exchanges()[-1]


def _drop(env: etree._Element, xpath: str) -> etree._Element:
    for node in env.xpath(xpath, namespaces=NS):
        node.getparent().remove(node)
    return env


def _failures(exchange) -> list:
    """What the library's check finds wrong in the recorded request."""
    return [f for f in check_insi_exchange(exchange) if f.outcome is Outcome.FAIL]


def _codes(exchange) -> set[str]:
    return {f.evidence for f in _failures(exchange)}


# --- persona scenarios through the reference client (correct requests: no deviation) ---


def test_unique_match(insi, insi_client):
    result = insi_client.search_by_traits("FICTIF", ["CAMILLE"], "F", "1952-06-14")
    assert result.ok and result.cr == "00" and result.label == "OK"
    assert result.active.full == "252066311304770" and result.active.oid == "1.2.250.1.213.1.4.10"
    assert result.traits == {
        "NomNaissance": "FICTIF",
        "Prenom": "CAMILLE",
        "ListePrenom": "CAMILLE ROSE",
        "Sexe": "F",
        "DateNaissance": "1952-06-14",
        "LieuNaissance": "63113",
    }
    exchange = insi.recorder.exchanges()[0]
    assert _codes(exchange) == set() and exchange.operation == "rechercherInsAvecTraitsIdentite"
    assert exchange.data["cr"] == "00" and exchange.data["matricule"] == "252066311304770"
    assert exchange.data["traits"]["Prenom"] == ["CAMILLE"]
    assert exchange.data["lps"] == "urn:lps:DUI-TEST:2.1"


def test_no_match_cr01(insi, insi_client):
    result = insi_client.search_by_traits("INCONNU", [], "M", "2000-01-01")
    assert (result.cr, result.label, result.active, result.ok) == ("01", "Aucune identite trouvee", None, False)
    assert _codes(insi.recorder.exchanges()[0]) == set()


def test_homonyms_cr02_then_disambiguated(insi, insi_client):
    several = insi_client.search_by_traits("DOUBLON", [], "M", "1947-11-03")
    assert (several.cr, several.active) == ("02", None)
    assert insi_client.search_by_traits("DOUBLON", ["LOUIS"], "M", "1947-11-03").active.full == "147114410921537"
    assert insi_client.search_by_traits("DOUBLON", [], "M", "1947-11-03", "49007").active.full == "147114900708288"
    assert insi_client.search_by_traits("DOUBLON", ["LOUIS", "MARCEL"], "M", "1947-11-03").cr == "00"
    assert insi_client.search_by_traits("DOUBLON", ["LOUIS", "HENRI"], "M", "1947-11-03").cr == "01"
    assert all(_codes(e) == set() for e in insi.recorder.exchanges())


def test_active_ins_with_history(insi, insi_client):
    result = insi_client.search_by_traits("REMPLACE", ["GERARD"], "M", "1960-02-29")
    assert result.active.full == "160023306311860"
    assert [h.full for h in result.history] == ["160023306311959"]
    assert (result.history[0].start, result.history[0].end) == ("1960-03-15", "2019-06-30")
    assert insi.recorder.exchanges()[0].data["history"] == ["160023306311959"]


@pytest.mark.parametrize(
    "args, matricule, place",
    [
        (("D'ARTIGUES-LAFONT", ["MARIE-ANNE"], "F", "1985-09-23"), "285093155512394", "31555"),
        (("OUTREMONT", ["JOAO"], "M", "1971-03-08"), "171039913905203", "99139"),
        (("LUNAIRE", ["JEANNE"], "F", "1938-04-00"), "238048708501179", "87085"),
    ],
)
def test_special_traits_returned_verbatim(insi, insi_client, args, matricule, place):
    result = insi_client.search_by_traits(*args)
    assert result.active.full == matricule
    assert (result.traits["NomNaissance"], result.traits["DateNaissance"], result.traits["LieuNaissance"]) == (
        args[0],
        args[3],
        place,
    )
    assert _codes(insi.recorder.exchanges()[0]) == set()


def test_several_first_names_list(insi_client):
    result = insi_client.search_by_traits("D'ARTIGUES-LAFONT", ["MARIE-ANNE JOSEPHINE LOUISE"], "F", "1985-09-23")
    assert result.traits["ListePrenom"] == "MARIE-ANNE JOSEPHINE LOUISE" and result.traits["Prenom"] == "MARIE-ANNE"


def test_persona_soap_fault(insi, insi_client):
    result = insi_client.search_by_traits("PANNE", ["SIMON"], "M", "1990-01-01")
    assert not result.ok and result.active is None and result.http_status == 400
    assert (result.fault.code, result.fault.desir) == ("siram_100", "desir_550")
    assert "progiciel" in result.fault.message
    assert insi.recorder.exchanges()[0].data["fault"] == {"siram": "siram_100", "desir": "desir_550"}


def test_carte_vitale(insi, insi_client):
    result = insi_client.search_by_vitale("2681221231034", "93", birth_date="1968-12-05")
    assert result.ok and result.active.full == "268122123103493" and result.traits["ListePrenom"] == "ALICE MARTHE"
    assert insi_client.search_by_vitale("2681221231034", "92").cr == "01"
    first = insi.recorder.exchanges()[0]
    assert first.operation == "rechercherInsAvecCarteVitale" and _codes(first) == set()
    assert first.data["vitale"]["NumIdentifiant"] == "2681221231034"


# --- deviant raw requests: answered, recorded, and judged ---


def test_soap11_request_answered_and_judged(insi):
    env = _envelope()
    soap11 = etree.tostring(env).replace(NS["soap"].encode(), b"http://schemas.xmlsoap.org/soap/envelope/")
    response, exchange = _post(insi, soap11, "text/xml; charset=utf-8", SOAPAction=f'"{TRAITS_ACTION}"')
    assert response.status_code == 200 and parse_response(200, response.content).cr == "00"
    assert _codes(exchange) == {"INSI-SOAP11"}
    assert _failures(exchange)[0].requirement == "INS-21"


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
def test_missing_parts_judged(insi, xpath, code):
    response, exchange = _post(insi, _drop(_envelope(), xpath))
    assert response.status_code == 200 and _codes(exchange) == {code}


def test_wrong_actions_judged(insi):
    env = _envelope()
    env.find(".//wsa:Action", NS).text = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale"
    response, exchange = _post(insi, env, 'application/soap+xml; charset=utf-8; action="urn:autre"')
    assert _codes(exchange) == {"INSI-WSA-ACTION-INCORRECTE", "INSI-ACTION-HTTP-INCORRECTE"}
    _, exchange = _post(insi, _envelope(), "application/soap+xml; charset=utf-8")
    assert _codes(exchange) == {"INSI-ACTION-HTTP-ABSENTE"}
    _, exchange = _post(insi, _envelope(), "application/xml")
    assert _codes(exchange) == {"INSI-CONTENT-TYPE", "INSI-ACTION-HTTP-ABSENTE"}


def test_context_version_checked(insi):
    env = _envelope()
    env.find(".//ctxlps:ContexteLPS", NS).set("Version", "02_00")
    _, exchange = _post(insi, env)
    assert _codes(exchange) == {"INSI-ENTETE-LPS-INCOMPLET"} and "Version" in _failures(exchange)[0].message


def test_lower_case_traits_judged_and_not_matched(insi):
    env = _envelope(traits_payload("Fictif", ["camille"], "F", "1952-06-14"))
    response, exchange = _post(insi, env)
    assert parse_response(response.status_code, response.content).cr == "01"
    assert _codes(exchange) == {"INSI-TRAITS-MINUSCULES"}
    assert "Fictif" in _failures(exchange)[0].message and "camille" in _failures(exchange)[0].message


def test_case_insensitive_option_matches_but_is_still_judged():
    with InsiMock(case_sensitive=False) as mock:
        response, exchange = _post(mock, _envelope(traits_payload("fictif", ["Camille"], "F", "1952-06-14")))
    assert parse_response(response.status_code, response.content).cr == "00"
    assert _codes(exchange) == {"INSI-TRAITS-MINUSCULES"}


@pytest.mark.parametrize(
    "traits, codes",
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
def test_badly_formed_traits_judged(insi, traits, codes):
    _, exchange = _post(insi, _envelope(traits_payload(*traits)))
    assert _codes(exchange) == codes


def test_vitale_without_matricule_judged(insi):
    payload = vitale_payload("2681221231034", "93")
    payload.remove(payload[0])
    env = etree.fromstring(CONTEXT.envelope("urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale", payload))
    response, exchange = _post(
        insi, env, 'application/soap+xml; action="urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale"'
    )
    assert parse_response(response.status_code, response.content).cr == "01"
    assert _codes(exchange) == {"INSI-VITALE-MATRICULE-ABSENT"}
    assert _failures(exchange)[0].requirement == "INS-28"


# --- unreadable or hostile requests: SOAP fault, judged, no crash, no hang ---

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;'
    b'&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&lol3;</soap:Body></soap:Envelope>'
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&xxe;</soap:Body></soap:Envelope>'
)


@pytest.mark.parametrize(
    "body, code",
    [
        (BOMB, "INSI-XML-REFUSE"),
        (XXE, "INSI-XML-REFUSE"),
        (b"<soap:Envelope", "INSI-XML-REFUSE"),
        (b"\xff\xfe\x00garbage", "INSI-XML-REFUSE"),
        (b"<RECSANSVITALE/>", "INSI-ENVELOPPE"),
        (
            b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x/></s:Body></s:Envelope>',
            "INSI-OPERATION-INCONNUE",
        ),
    ],
)
def test_unreadable_request_gets_fault(insi, body, code):
    response, exchange = _post(insi, body)
    assert response.status_code == 400
    result = parse_response(response.status_code, response.content)
    assert result.fault is not None and result.fault.code == "Sender" and result.cr is None
    assert code in _codes(exchange)
    assert "root:" not in response.text  # no file content leaked


def test_wrong_method_and_path(insi):
    assert requests.get(insi.url, timeout=5).status_code == 405
    assert requests.post(insi.base_url + "/autre", data=b"x", timeout=5).status_code == 404
    assert [_codes(e) for e in insi.recorder.exchanges()] == [{"INSI-METHODE-HTTP"}, {"INSI-CHEMIN-INCONNU"}]


# --- injected faults seen through the client ---


def test_injected_faults_reach_the_client_as_faults(insi, insi_client):
    insi.set_fault(status=503, count=1)
    assert insi_client.search_by_traits("FICTIF", [], "F", "1952-06-14").fault.code == "HTTP_503"
    insi.set_fault(drop=True, count=1)
    assert insi_client.search_by_traits("FICTIF", [], "F", "1952-06-14").fault.code == "TRANSPORT"
    insi_client.timeout = 0.2
    insi.set_fault(delay=30, count=1)
    assert insi_client.search_by_traits("FICTIF", [], "F", "1952-06-14").fault.code == "TRANSPORT"


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
