"""The reference DUI's DMP answers match the adapter contract's schemas (tag « dmp »)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dui_conformance.live.environment import SERVICES_FILE, LiveEnvironment

yaml = pytest.importorskip("yaml")
jsonschema = pytest.importorskip("jsonschema")

CONTRACT = Path(__file__).resolve().parents[2] / "conformance" / "live" / "openapi.yaml"


def _validate(spec: dict, ref: str, body: object) -> None:
    schema = {"$ref": f"#/components/schemas/{ref}", "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


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
