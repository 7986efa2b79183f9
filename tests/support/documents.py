"""The XML fixtures and, when ../shared is there, the ANS examples, read as documents: the corpus on which the
fast paths of the checks are compared with the plain computations they replaced (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.inputs import load
from dui_conformance.xmlsafe import XmlDocument, XmlProblem

SHARED_CDA = Path(__file__).resolve().parents[2] / ".." / "shared" / "ans-examples" / "cda"
FIXTURE_XML = sorted(FIXTURES_DIR.rglob("*.xml"))
EXAMPLES = sorted(SHARED_CDA.glob("*.xml")) if SHARED_CDA.is_dir() else []


def documents(paths: list[Path]) -> list[XmlDocument]:
    docs = []
    for path in paths:
        try:
            docs.append(load(path).cda)
        except (XmlProblem, ValueError):
            continue  # hostile and malformed fixtures: nothing to locate
    return docs


def cases():
    return [
        pytest.param(FIXTURE_XML, id="fixtures"),
        pytest.param(
            EXAMPLES,
            id="ans-examples",
            marks=[pytest.mark.shared, pytest.mark.skipif(not EXAMPLES, reason="../shared/ans-examples absent")],
        ),
    ]
