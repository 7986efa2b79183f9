"""The DMP mock: store, find, retrieve, replace, refuse, record (judged by the library), inject faults,
survive hostile bodies."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import requests
from lxml import etree
from werkzeug.test import Client

from dui_conformance.mocks.common.harness import ADMIN_TOKEN
from dui_conformance.mocks.dmp import ABSENT, PRESENT, REFUSED, REPOSITORY_ID, DmpMock
from dui_conformance.mocks.dui.dmp import existence_query
from dui_conformance.model import Outcome
from dui_conformance.xds import ebrim, read_submission
from dui_conformance.xds.build import ITI18_ACTION, ITI43_ACTION, q, soap_envelope
from dui_conformance.xds.dmp_requests import TD02_ACTION, check_dmp_exchange
from dui_conformance.xds.ebrim import NS
from dui_conformance.xds.mtom import parse_mtom
from dui_conformance.xmlsafe import parse_xml

_spec = importlib.util.spec_from_file_location(
    "make_xds_fixtures", Path(__file__).resolve().parents[2] / "support" / "make_xds_fixtures.py"
)
mf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mf)
PID = mf.patient_id()


def failing(exchange) -> list[str]:
    """The requirements the library's check of the recorded exchange fails."""
    return [f.requirement for f in check_dmp_exchange(exchange) if f.outcome in (Outcome.FAIL, Outcome.ERROR)]


@pytest.fixture
def mock():
    return DmpMock()


@pytest.fixture
def client(mock):
    return Client(mock.wsgi_app)


def submit(client, content_type, body):
    response = client.post("/dmp/iti41", data=body, headers={"Content-Type": content_type})
    xml = parse_xml(response.get_data(), "reponse.xml")
    status = xml.root.xpath("//rs:RegistryResponse/@status", namespaces=NS)[0]
    codes = xml.root.xpath("//rs:RegistryError/@errorCode", namespaces=NS)
    return status.rsplit(":", 1)[-1], codes


def find(client, statuses=("Approved",), return_type="LeafClass", patient=PID):
    request = etree.Element(q("query", "AdhocQueryRequest"), nsmap={"query": ebrim.QUERY, "rim": ebrim.RIM})
    etree.SubElement(request, q("query", "ResponseOption"), returnType=return_type, returnComposedObjects="true")
    query = etree.SubElement(request, q("rim", "AdhocQuery"), id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d")
    for name, values in (
        ("$XDSDocumentEntryPatientId", [f"'{patient}'"]),
        (
            "$XDSDocumentEntryStatus",
            ["(" + ",".join(f"'{ebrim.APPROVED.rsplit(':', 1)[0]}:{s}'" for s in statuses) + ")"],
        ),
    ):
        slot = etree.SubElement(query, q("rim", "Slot"), name=name)
        for value in values:
            etree.SubElement(etree.SubElement(slot, q("rim", "ValueList")), q("rim", "Value")).text = value
    response = client.post(
        "/dmp/iti18",
        data=soap_envelope(request, ITI18_ACTION, "http://127.0.0.1/dmp/iti18"),
        headers={"Content-Type": "application/soap+xml"},
    )
    return read_submission(parse_xml(response.get_data(), "find.xml")), response


def retrieve(client, unique_id, repository=REPOSITORY_ID):
    request = etree.Element(q("xdsb", "RetrieveDocumentSetRequest"), nsmap={"xdsb": ebrim.XDSB})
    doc = etree.SubElement(request, q("xdsb", "DocumentRequest"))
    etree.SubElement(doc, q("xdsb", "RepositoryUniqueId")).text = repository
    etree.SubElement(doc, q("xdsb", "DocumentUniqueId")).text = unique_id
    response = client.post(
        "/dmp/iti43",
        data=soap_envelope(request, ITI43_ACTION, "http://127.0.0.1/dmp/iti43"),
        headers={"Content-Type": "application/soap+xml"},
    )
    return parse_mtom(response.headers["Content-Type"], response.get_data())


def test_submit_stores_and_records(mock, client):
    assert submit(client, *mf.iti41()) == ("Success", [])
    (entry,) = mock.entries(PID)
    assert entry.status == ebrim.APPROVED and entry.document == mf.synthetic_cda()
    (exchange,) = mock.recorder.exchanges()
    assert exchange.operation == "ITI-41" and failing(exchange) == []
    assert exchange.data["stored"] == [entry.entry_uuid]
    json.dumps(exchange.to_dict())  # evidence-pack friendly


def test_find_leafclass_and_objectref(mock, client):
    submit(client, *mf.iti41())
    sub, _ = find(client)
    (entry,) = sub.entries
    assert entry.status == ebrim.APPROVED and entry.slot("repositoryUniqueId") == REPOSITORY_ID
    assert entry.external(ebrim.DE_PATIENT_ID) == PID
    _, response = find(client, return_type="ObjectRef")
    refs = parse_xml(response.get_data(), "r.xml").root.xpath("//rim:ObjectRef/@id", namespaces=NS)
    assert refs == [mock.entries(PID)[0].entry_uuid]
    assert failing(mock.recorder.exchanges()[-1]) == []


def test_retrieve_returns_exact_bytes(client):
    submit(client, *mf.iti41())
    msg = retrieve(client, "1.2.250.1.999.1.1.20240312.1")
    assert list(msg.parts.values()) == [mf.synthetic_cda()]
    unknown = retrieve(client, "1.2.3.4.404")
    codes = parse_xml(unknown.envelope, "r.xml").root.xpath("//rs:RegistryError/@errorCode", namespaces=NS)
    assert codes == ["XDSDocumentUniqueIdError"] and unknown.parts == {}


def test_replacement_deprecates_previous(mock, client):
    submit(client, *mf.iti41())
    old = mock.entries(PID)[0].entry_uuid
    v2 = mf.synthetic_cda(doc_id="1.2.250.1.999.1.1.20240312.2", version=2)
    assert submit(client, *mf.iti41(cda=v2, replaces={"Document01": old})) == ("Success", [])
    statuses = {e.entry_uuid: e.status for e in mock.entries(PID)}
    assert statuses[old] == ebrim.DEPRECATED and list(statuses.values()).count(ebrim.APPROVED) == 1
    assert len(find(client)[0].entries) == 1
    assert len(find(client, statuses=("Approved", "Deprecated"))[0].entries) == 2
    assert submit(client, *mf.iti41(cda=mf.synthetic_cda(doc_id="1.2.9"), replaces={"Document01": old})) == (
        "Failure",
        ["XDSRegistryMetadataError"],
    )


def test_patient_id_errors(mock, client):
    def mismatch(body):
        node = body.xpath(f"//rim:ExternalIdentifier[@identificationScheme='{ebrim.SS_PATIENT_ID}']", namespaces=NS)[0]
        node.set("value", mf.patient_id(mf.OTHER_INS))

    assert submit(client, *mf.iti41(mutate=mismatch)) == ("Failure", ["XDSPatientIdDoesNotMatch"])
    assert submit(client, *mf.iti41(mutate=lambda b: mf._set_everywhere(b, mf.PID_SUFFIX, "&1.2.3&ISO^PI"))) == (
        "Failure",
        ["XDSUnknownPatientId"],
    )
    assert mock.entries(PID) == []
    exchange = mock.recorder.exchanges()[0]
    assert "DMP-46" in failing(exchange)
    assert exchange.data["errors"][0]["clause"].startswith("ITI TF-3")


def test_deviant_submission_is_stored_and_judged(mock, client):
    path = Path(mf.OUT) / "iti41-classcode-faux.mtom"
    from dui_conformance.xds.iti41 import read_capture

    content_type, body, _ = read_capture(path.read_bytes())
    assert submit(client, content_type, body) == ("Success", [])
    assert len(mock.entries(PID)) == 1
    assert failing(mock.recorder.exchanges()[0]) == ["DMP-47"]


def test_hash_mismatch_refused(mock, client):
    assert submit(client, *mf.iti41(mutate=mf._wrong_hash)) == ("Failure", ["XDSRepositoryMetadataError"])


def test_injected_ihe_error_then_recovery(mock, client):
    mock.fail_next("XDSRepositoryError")
    assert submit(client, *mf.iti41()) == ("Failure", ["XDSRepositoryError"])
    assert submit(client, *mf.iti41()) == ("Success", [])


def test_seed_then_find_and_retrieve(mock, client):
    entry = mock.seed(mf.synthetic_cda(doc_id="1.2.250.1.999.7"))
    (found,) = find(client)[0].entries
    assert found.id == entry.entry_uuid and found.external(ebrim.DE_UNIQUE_ID) == "1.2.250.1.999.7"
    assert list(retrieve(client, "1.2.250.1.999.7").parts.values()) == [mf.synthetic_cda(doc_id="1.2.250.1.999.7")]
    mock.seed(mf.synthetic_cda(doc_id="1.2.250.1.999.8"), status=ebrim.DEPRECATED)
    assert len(find(client)[0].entries) == 1


def test_bad_query_is_judged(mock, client):
    _, response = find(client, patient="123")
    assert response.status_code == 200
    assert "DMP-53" in failing(mock.recorder.exchanges()[-1])


@pytest.mark.parametrize(
    "path,content_type,body",
    [
        ("/dmp/iti41", "multipart/related; boundary=x", b"\x00\xff" * 100),
        ("/dmp/iti41", "application/soap+xml", b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'),
        ("/dmp/iti41", "text/plain", b""),
        ("/dmp/iti18", "application/soap+xml", b"<not-closed"),
        ("/dmp/iti43", "multipart/related", b"--"),
        ("/dmp/iti18", "application/soap+xml", b"<a/>"),
    ],
)
def test_hostile_bodies_do_not_crash(mock, client, path, content_type, body):
    response = client.post(path, data=body, headers={"Content-Type": content_type})
    assert response.status_code in (200, 400)
    exchange = mock.recorder.exchanges()[-1]
    assert failing(exchange) and "harness_error" not in exchange.data


@pytest.mark.live
def test_live_server_and_faults():
    with DmpMock() as mock:
        assert mock.iti41_url.startswith("http://127.0.0.1:")
        content_type, body = mf.iti41()
        response = requests.post(mock.iti41_url, data=body, headers={"Content-Type": content_type}, timeout=10)
        assert response.status_code == 200 and b"Success" in response.content
        mock.set_fault(status=503, count=1)
        assert (
            requests.post(mock.iti41_url, data=body, headers={"Content-Type": content_type}, timeout=10).status_code
            == 503
        )
        mock.set_fault(drop=True, count=1)
        with pytest.raises(requests.ConnectionError):
            requests.post(mock.iti41_url, data=body, headers={"Content-Type": content_type}, timeout=10)
        mock.set_fault(delay=0.01, count=1)
        assert requests.post(mock.iti41_url, data=body, headers={"Content-Type": content_type}, timeout=10).ok
        assert mock.recorder.exchanges()[-1].data["injected_fault"]["delay"] == 0.01
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        recorded = requests.get(mock.base_url + "/_harness/exchanges", headers=admin, timeout=10).json()
        assert [e["operation"] for e in recorded["exchanges"]][0] == "ITI-41"
        assert len(recorded["exchanges"]) == 4


def test_reset_forgets_entries_queued_errors_and_faults():
    from dui_conformance.fixtures import FIXTURES_DIR
    from dui_conformance.mocks.dmp import DmpMock

    mock = DmpMock()
    entry = mock.seed((FIXTURES_DIR / "cda" / "dmp" / "dlu-valide.xml").read_bytes())
    mock.fail_next("XDSRepositoryError", 2)
    mock.set_fault(status=503)
    mock.reset()
    assert mock.entries(entry.patient_id) == []
    assert mock._errors == [] and mock.faults.snapshot()["status"] is None


# --- TD0.2: the DMP's existence test --------------------------------------------------------------------------------


def existence(client, patient=PID, reason="TEST_EXST", action=TD02_ACTION):
    """POST a TD0.2 for this XDS patientId; (queryResponseCode, AUTORISATION or None)."""
    matricule, oid = patient.split("^^^&")[0], patient.split("&")[1]
    body = soap_envelope(existence_query(matricule, oid, reason), action)
    response = client.post("/dmp/td02", data=body, headers={"Content-Type": "application/soap+xml"})
    xml = parse_xml(response.get_data(), "td02.xml")
    found = xml.root.xpath("//hl7:queryAck/hl7:queryResponseCode/@code", namespaces=NS)
    path = "//hl7:attentionLine[hl7:keyWordText/@code='AUTORISATION']/hl7:value/@code"
    return found[0] if found else None, next(iter(xml.root.xpath(path, namespaces=NS)), None)


@pytest.mark.parametrize(
    ("state", "answer"), [(PRESENT, ("OK", "VALIDE")), (ABSENT, ("NF", None)), (REFUSED, ("OK", "INTERDIT"))]
)
def test_existence_test_answers_as_declared_for_the_patient(mock, client, state, answer):
    mock.declare(PID, state)
    assert existence(client) == answer
    exchange = mock.recorder.exchanges()[-1]
    assert (exchange.operation, exchange.data["state"], exchange.data["patient_id"]) == ("TD0.2", state, PID)
    assert failing(exchange) == []


def test_existence_defaults_to_a_dmp_with_access_and_reset_forgets_declarations(mock, client):
    mock.declare(PID, ABSENT)
    mock.reset()
    assert existence(client) == ("OK", "VALIDE")
    with pytest.raises(ValueError, match="inconnu"):
        mock.declare(PID, "ferme")


def test_an_existence_test_with_another_reason_is_answered_and_judged_by_dmp_65(mock, client):
    assert existence(client, reason="CNSLT_DATA") == ("OK", "VALIDE")
    assert failing(mock.recorder.exchanges()[-1]) == ["DMP-65"]


def test_the_expected_td02_action_is_a_parameter_of_the_mock():
    other = DmpMock(td02_action="urn:autre:action")
    assert existence(Client(other.wsgi_app), action="urn:autre:action") == ("OK", "VALIDE")
    assert failing(other.recorder.exchanges()[-1]) == []
    existence(Client(other.wsgi_app))
    assert failing(other.recorder.exchanges()[-1]) == ["DMP-65"]


def test_an_unreadable_existence_test_gets_a_soap_fault(mock, client):
    response = client.post("/dmp/td02", data=b"<pas-du-xml", headers={"Content-Type": "application/soap+xml"})
    assert response.status_code == 400 and b"Fault" in response.get_data()
