"""The vendor guide and the OpenAPI contract say the same thing, and both say what the code does (issue 17, item
13): operations and their statuses, the problem's fields, the service labels of GET /sante, and the keys of
services-simules.json that the environment writes against the guide's example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dui_conformance.live.adapter import SERVICE_LABELS
from dui_conformance.live.environment import SERVICES_FILE, LiveEnvironment

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "guide-editeur.md").read_text(encoding="utf-8")
SPEC = yaml.safe_load((ROOT / "conformance" / "live" / "openapi.yaml").read_text(encoding="utf-8"))
ROW = re.compile(r"^\s*\| `(GET|POST) (/[^`]*)` \| `(\w+)` \| ([\d, ]+) \|$", re.M)


def _operations() -> dict[tuple[str, str], tuple[str, set[str]]]:
    return {
        (method.upper(), path): (op["operationId"], {c for c in op["responses"] if c != "default"})
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_the_guide_lists_every_operation_of_the_contract_with_its_statuses():
    table = {(m, p): (op, {c.strip() for c in codes.split(",")}) for m, p, op, codes in ROW.findall(GUIDE)}
    assert table == _operations()


def test_every_operation_the_guide_names_is_in_the_contract():
    named = set(re.findall(r"`(GET|POST) (/[^`\s]*)`", GUIDE))
    assert named <= set(_operations()), named - set(_operations())


def test_service_labels_are_one_list_in_code_contract_and_guide():
    labels = SPEC["components"]["schemas"]["Sante"]["properties"]["services"]["items"]["enum"]
    assert tuple(labels) == SERVICE_LABELS
    assert all(f"`{label}`" in GUIDE for label in SERVICE_LABELS)


def test_the_problem_schema_has_every_field_the_guide_and_the_steps_read():
    fields = set(SPEC["components"]["schemas"]["Probleme"]["properties"])
    assert {"title", "status", "detail", "service", "document_id", "resident", "envoi"} <= fields


def _guide_services_example() -> dict:
    blocks = re.findall(r"```json\n(.*?)```", GUIDE, re.S)
    return next(json.loads(b) for b in blocks if '"decouverte"' in b and '"insi"' in b)


@pytest.mark.live
def test_services_file_keys_are_the_guides_example_keys(tmp_path):
    """Over TLS (the guide's example configuration), every service of the example has the keys the environment
    writes, and every key the example shows is one the environment writes (mss.tls included)."""
    example = _guide_services_example()
    with LiveEnvironment(services_file=tmp_path / SERVICES_FILE, tls=True) as env:
        written = json.loads(env.services_file.read_text(encoding="utf-8"))
    for name, entry in example.items():
        assert set(entry) <= set(written[name]), (name, set(entry) - set(written[name]))
        if written[name].get("tls"):
            assert "tls" in entry and set(entry["tls"]) == set(written[name]["tls"]), name
