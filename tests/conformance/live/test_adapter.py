"""The adapter contract (openapi.yaml) parses, the client calls exactly its operations, and the
reference DUI's answers match its schemas."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dui_conformance.live.adapter import ROUTES, AdapterClient, AdapterError, UnknownServiceLabel
from dui_conformance.live.driver import Admission, DuiFailure, Traits, VitaleCard
from dui_conformance.live.environment import SERVICES_FILE, LiveEnvironment
from dui_conformance.mocks.dui import ReferenceDui
from dui_conformance.mocks.insi import InsiMock

yaml = pytest.importorskip("yaml")
jsonschema = pytest.importorskip("jsonschema")

CONTRACT = Path(__file__).resolve().parents[3] / "conformance" / "live" / "openapi.yaml"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))


def _operations(spec: dict) -> dict[tuple[str, str], dict]:
    return {
        (method, path): op for path, item in spec["paths"].items() for method, op in item.items() if method in METHODS
    }


def _schema(spec: dict, ref: str) -> dict:
    """A component schema with the components alongside, so that internal $refs resolve."""
    return {"$ref": f"#/components/schemas/{ref}", "components": spec["components"]}


def _validate(spec: dict, ref: str, body: object) -> None:
    jsonschema.Draft202012Validator(_schema(spec, ref)).validate(body)


def test_contract_is_valid_openapi_31(spec):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_every_operation_is_tagged_and_described_in_french(spec):
    tags = {t["name"] for t in spec["tags"]}
    for (method, path), op in _operations(spec).items():
        assert set(op["tags"]) <= tags, (method, path)
        assert op["summary"] and op["description"] and op["operationId"]
        assert "default" in op["responses"], f"{method} {path} sans réponse d'erreur"


def test_client_calls_map_one_to_one_onto_contract_operations(spec):
    assert set(ROUTES.values()) == set(_operations(spec))
    public = {name for name in vars(AdapterClient) if not name.startswith("_")} - {"close"}
    assert public == set(ROUTES)


@pytest.fixture
def dui():
    with InsiMock() as insi, ReferenceDui(insi.url) as reference:
        client = AdapterClient(reference.url, timeout=5)
        yield client
        client.close()


def test_reference_dui_answers_follow_the_contract(spec, dui):
    _validate(spec, "Sante", dui.health())
    traits = Traits("FICTIF", ("CAMILLE", "ROSE"), "F", "1952-06-14", "63113")
    _validate(spec, "AdmissionTraits", {**traits.to_json(), "pieceIdentite": "CN"})
    card = VitaleCard("2681221231034", "93", "SESAME", "1968-12-05")
    _validate(spec, "AdmissionCarteVitale", {**card.to_json(), "pieceIdentite": None})
    raw = dui.session.post(dui.base_url + "/residents", json={**traits.to_json(), "pieceIdentite": "CN"}, timeout=5)
    assert raw.status_code == 201
    _validate(spec, "Admission", raw.json())
    admission = dui.admit_by_vitale(card, "CN")
    _validate(spec, "PatientFhir", dui.patient(admission))
    fault = dui.admit_by_traits(Traits("PANNE", ("SIMON",), "M", "1990-01-01"))
    _validate(spec, "Probleme", fault.problem)
    dui.reset()
    assert dui.patient(admission) is None  # 404 after the reset


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"nomNaissance": "X", "prenoms": [], "sexe": "M", "dateNaissance": "2000-01-01"},
        {"nomNaissance": "X", "prenoms": ["A"], "sexe": "U", "dateNaissance": "2000-01-01"},
        ["pas", "un", "objet"],
    ],
)
def test_bad_admission_input_gets_a_french_problem(spec, dui, body):
    response = dui.session.post(dui.base_url + "/residents", json=body, timeout=5)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    _validate(spec, "Probleme", response.json())


def test_unreachable_adapter_is_a_failure_of_the_dui():
    client = AdapterClient("http://127.0.0.1:9", timeout=1)
    with pytest.raises(DuiFailure, match="injoignable") as raised:
        client.health()
    assert raised.value.location == "GET /sante"


class _Misbehaving(BaseHTTPRequestHandler):
    """An adapter that answers every call with the failure named by the server's ``answer``."""

    def _answer(self):
        kind = self.server.answer
        if kind == "lent":
            time.sleep(1.5)
        status, content_type, body = {
            "500": (500, "application/problem+json", b'{"title": "panne", "status": 500}'),
            "html": (500, "text/html", b"<h1>panne</h1>"),
            "json-illisible": (200, "application/json", b"{pas du json"),
            "forme": (200, "application/json", b"[1, 2]"),
            "lent": (200, "application/json", b"{}"),
        }[kind]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def misbehaving():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


CALLS = {
    "health": lambda c: c.health(),
    "reset": lambda c: c.reset(),
    "admit_by_traits": lambda c: c.admit_by_traits(Traits("X", ("A",), "M", "2000-01-01")),
    "admit_by_vitale": lambda c: c.admit_by_vitale(VitaleCard("2681221231034", "93", "SESAME", "1968-12-05")),
    "patient": lambda c: c.patient(Admission(201, resident_id="r1")),
    "feed_dmp": lambda c: c.feed_dmp("r1"),
    "dmp_documents": lambda c: c.dmp_documents("r1"),
    "integrate_dmp": lambda c: c.integrate_dmp("r1"),
    "received_documents": lambda c: c.received_documents("r1"),
    "sessions": lambda c: c.sessions(),
    "revalidate_sessions": lambda c: c.revalidate_sessions(),
    "send_mss": lambda c: c.send_mss("r1", "medecin@hopital.mssante.fr"),
    "mss_sendings": lambda c: c.mss_sendings("r1"),
    "fetch_mss": lambda c: c.fetch_mss(),
    "pending_mss_documents": lambda c: c.pending_mss_documents(),
    "open_record": lambda c: c.open_record("r1"),
    "dmp_view": lambda c: c.dmp_view("r1"),
    "reply_mss": lambda c: c.reply_mss("<m1@hopital.mssante.fr>", "Bien reçu."),
    "open_mss_sessions": lambda c: c.open_mss_sessions("claire.martin@ehpad-les-tilleuls.mssante.fr"),
}
# an error status with a problem body is an answer the checks judge (an error the DUI reports), not a contract break
REPORTED = {
    "admit_by_traits",
    "admit_by_vitale",
    "feed_dmp",
    "integrate_dmp",
    "send_mss",
    "fetch_mss",
    "open_record",
    "reply_mss",
    "open_mss_sessions",
}


def test_every_client_call_is_exercised():
    assert set(CALLS) == set(ROUTES)


@pytest.mark.parametrize("kind", ["500", "html", "json-illisible", "forme", "lent"])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_adapter_failure_is_a_failure_of_the_dui(misbehaving, call, kind):
    """Error status, no JSON, unreadable JSON, wrong shape, timeout: each is a DuiFailure (a finding against the
    DUI, exit 3), never a TypeError or a harness error; the failure names the contract operation."""
    misbehaving.answer = kind
    client = AdapterClient(f"http://127.0.0.1:{misbehaving.server_port}", timeout=0.5)
    try:
        if call == "reset" and kind in ("json-illisible", "forme"):  # a 200 is a done reset, whatever its body
            CALLS[call](client)
            return
        if kind == "500" and call in REPORTED:
            answer = CALLS[call](client)
            assert answer.error_reported and answer.http_status == 500
            return
        with pytest.raises(DuiFailure) as raised:
            CALLS[call](client)
        method, path = ROUTES[call]
        assert raised.value.location.startswith(method.upper()), raised.value.location
        assert "Attendu" in str(raised.value)
    finally:
        client.close()


def test_an_order_for_a_resident_the_dui_never_admitted_is_a_failure_of_the_dui():
    """The admission failed (no id): the next order for that resident is the DUI's failure, not a TypeError."""
    client = AdapterClient("http://127.0.0.1:9", timeout=1)
    with pytest.raises(DuiFailure, match="aucun identifiant de résident") as raised:
        client.feed_dmp(None)  # type: ignore[arg-type]
    assert raised.value.location == "POST /residents/{id}/dmp/documents"
    assert [f.requirement for f in raised.value.findings(["DMP-50"])] == ["DMP-50"]


def test_non_json_answer_is_refused():
    with InsiMock() as insi:  # answers plain text on paths it does not serve
        client = AdapterClient(insi.base_url, timeout=5)
        with pytest.raises(AdapterError, match="sans JSON"):
            client.admit_by_traits(Traits("X", ("A",), "M", "2000-01-01"))
        with pytest.raises(AdapterError, match="pas prêt"):
            client.health()
        assert client.patient(Admission(http_status=None)) is None


def test_patient_example_of_the_contract_passes_the_offline_fhir_checks(spec):
    """The complete FR Core Patient in openapi.yaml is what `check` accepts: a vendor can copy it."""
    from dui_conformance.ins import IDENTITY_CHECKS, InsContext
    from dui_conformance.ins.fhir_patient import check_fhir_patient, read_patient
    from dui_conformance.model import Outcome

    example = spec["components"]["schemas"]["PatientFhir"]["example"]
    _validate(spec, "PatientFhir", example)
    identity = read_patient("Patient", example, "openapi.yaml")
    findings = check_fhir_patient(example, "openapi.yaml")
    for check in IDENTITY_CHECKS.values():
        findings += check(identity, InsContext())
    assert identity.status == "QUAL" and identity.given_list and identity.birth_place
    assert {f.outcome for f in findings} <= {Outcome.PASS, Outcome.OMIT}, [f.message for f in findings]


def test_dmp_operations_answer_within_the_contract(tmp_path):
    spec = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    assert {"dmp"} <= {t["name"] for t in spec["tags"]}
    with LiveEnvironment(reference_defects=frozenset(), services_file=tmp_path / SERVICES_FILE) as env:
        client = env.driver
        qualified = env.admit("unique", id_document="CN").admission.resident_id
        recup = env.admit("historique").admission.resident_id
        sent = client.feed_dmp(qualified)
        _validate(spec, "DocumentEnvoye", sent.body)
        refused = client.feed_dmp(recup)
        assert refused.http_status == 409
        _validate(spec, "Probleme", refused.problem)
        env.dmp.fail_next()
        failed = client.feed_dmp(qualified)
        assert failed.http_status == 502 and failed.document_id
        _validate(spec, "Probleme", failed.problem)
        for item in client.dmp_documents(qualified):
            _validate(spec, "DocumentDmp", item)
        assert {d["statut"] for d in client.dmp_documents(qualified)} == {"envoye", "en_attente"}
        integrated = client.integrate_dmp(qualified)
        assert integrated.http_status == 200
        for item in integrated.body["integres"] + client.received_documents(qualified):
            _validate(spec, "DocumentRecu", item)
        assert client.feed_dmp("R99999").http_status == 404
        opened = client.open_record(qualified)
        assert opened.http_status == 200
        _validate(spec, "VueDmp", opened.body)
        _validate(spec, "VueDmp", client.dmp_view(qualified))
        _validate(spec, "OuvertureDossier", {"nonOpposition": False})
        for example in ("VueDmp", "OuvertureDossier"):
            _validate(spec, example, spec["components"]["schemas"][example]["example"])
        assert client.open_record("R99999").http_status == 404


def test_an_unknown_service_label_is_a_failure_of_the_dui_not_silence(monkeypatch):
    """« mss » for « MSS » would leave MSS-20..23 silently non évaluées: GET /sante refuses it (the MSS steps read
    the labels, so it becomes their finding); the preflight lets the run go on to say so."""
    with InsiMock() as insi, ReferenceDui(insi.url) as reference:
        client = AdapterClient(reference.url, timeout=5)
        real = client._json
        monkeypatch.setattr(client, "_json", lambda response: {**real(response), "services": ["INS", "mss"]})
        with pytest.raises(UnknownServiceLabel, match="mss") as raised:
            client.health()
        assert isinstance(raised.value, DuiFailure) and raised.value.location == "GET /sante"
        client.close()
