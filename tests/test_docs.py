"""docs/architecture.md and docs/contribuer.md stay true: every repository path they cite exists."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PATH = re.compile(r"`((?:conformance|features|mocks|fixtures|tests|docs|scripts|benchmarks)/[^`<>…\s]+)`")


@pytest.mark.parametrize("doc", ["architecture.md", "contribuer.md"])
def test_every_cited_path_exists(doc):
    text = (REPO / "docs" / doc).read_text(encoding="utf-8")
    cited = {m.group(1).rstrip("/,") for m in PATH.finditer(text)}
    missing = sorted(p for p in cited if not list(REPO.glob(p)))
    assert cited and not missing, missing
