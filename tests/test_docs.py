"""The documentation stays true: every repository path it cites exists, and it cites the repository's
paths (``conformance/ins/``), never the installed package's (``dui_conformance/ins/``)."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PATH = re.compile(r"`((?:conformance|features|mocks|fixtures|tests|docs|scripts|benchmarks)/[^`<>…\s]+)`")


INSTALLED_PATH = re.compile(r"`dui_conformance/[^`]*`")
DOCS = sorted(
    p.relative_to(REPO).as_posix()
    for p in [REPO / "README.md", *REPO.glob("docs/*.md"), *REPO.glob("mocks/*/README.md")]
)


@pytest.mark.parametrize("doc", DOCS)
def test_every_cited_path_exists(doc):
    text = (REPO / doc).read_text(encoding="utf-8")
    cited = {m.group(1).rstrip("/,.") for m in PATH.finditer(text)}
    missing = sorted(p for p in cited if not list(REPO.glob(p)))
    assert not missing, missing
    assert INSTALLED_PATH.findall(text) == []


def test_the_maps_cite_paths():
    for doc in ("docs/architecture.md", "docs/contribuer.md"):
        assert PATH.search((REPO / doc).read_text(encoding="utf-8")), doc
