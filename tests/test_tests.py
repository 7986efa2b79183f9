"""Tests mirror the code, on one axis (issue 20): the unit tests of ``<folder>/<module>.py`` are in
``tests/<folder>/test_<module>.py`` (``conformance/ins/matricule.py`` → ``tests/conformance/ins/test_matricule.py``),
those of a package's own API or of a folder in ``tests/<folder>/test_<package>.py`` (``tests/conformance/test_cda.py``,
``tests/test_docs.py``); the end-to-end tests (the CLI, the demo, whole plans, sweeps over every fixture or official
example, packaging, the repository's layers) are apart, in ``tests/e2e``. ``tests/support`` holds helpers and fixture
generators, no test."""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
TESTS = REPOSITORY / "tests"
APART = "e2e"


def _mirrored(test: Path) -> bool:
    """Whether ``test`` (tests/<folder>/test_<name>.py) names a module or a folder of the repository."""
    relative = test.relative_to(TESTS)
    tested = REPOSITORY / relative.parent / relative.stem.removeprefix("test_")
    return tested.with_suffix(".py").is_file() or (tested.is_dir() and tested.name != "__pycache__")


def test_every_test_file_outside_e2e_mirrors_a_module():
    tests = [p for p in sorted(TESTS.rglob("test_*.py")) if p.relative_to(TESTS).parts[0] != APART]
    misplaced = [str(p.relative_to(REPOSITORY)) for p in tests if not _mirrored(p)]
    assert len(tests) > 50 and not misplaced, misplaced


def test_support_holds_no_test():
    assert not list((TESTS / "support").rglob("test_*.py"))


def test_the_rule_reads_paths_as_documented():
    assert _mirrored(TESTS / "conformance" / "ins" / "test_matricule.py")
    assert _mirrored(TESTS / "conformance" / "test_model.py")
    assert _mirrored(TESTS / "mocks" / "insi" / "test_service.py")
    assert _mirrored(TESTS / "conformance" / "test_cda.py")  # the package's own API
    assert not _mirrored(TESTS / "conformance" / "test_matricule.py")  # a module, but not in that folder
    assert not _mirrored(TESTS / "ins" / "test_ins_matricule.py")  # the old layout, by service
