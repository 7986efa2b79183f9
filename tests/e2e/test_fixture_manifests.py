"""Every bundled fixture fails exactly the requirement ids its manifest names, through the real CLI.

This is the harness's proof against false positives and misses: the whole pipeline
(recognition, Gherkin plan, steps, checks, roll-up, report.json) runs on every fixture.
fixtures/mss is what its generator writes.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from dui_conformance.cda.official import XSD
from dui_conformance.fixtures import FIXTURES_DIR, iter_manifest
from dui_conformance.requirements import load_catalogue
from dui_conformance.requirements.catalogue import WAVES

ENTRIES = list(iter_manifest())


@pytest.fixture(scope="module")
def fixture_runs(cli):
    """One run per referential (most fixtures need none) and Ségur wave: every fixture is judged in both waves, each
    failing the requirements of its manifest that the wave judges. Two workers: the run also proves results survive
    pytest-xdist."""
    runs = {}
    for referential in {e.referential for e in ENTRIES}:
        paths = [str(e.path) for e in ENTRIES if e.referential == referential]
        options = ["--referentiel-cda", str(referential)] if referential else []
        for wave in WAVES:
            runs[referential, wave] = cli(
                "check", *paths, *options, "--vague", str(wave), "--jobs", "2", name=f"fixtures-vague{wave}"
            )
    return runs


def test_manifests_list_existing_files():
    assert ENTRIES, "aucune fixture déclarée"
    for entry in ENTRIES:
        assert entry.path.is_file(), f"{entry.path} absent"
        assert entry.scope, f"{entry.path.parent}/MANIFEST.toml sans scope"
        assert entry.referential is None or (entry.referential / XSD).is_file(), entry.referential


def test_run_completes_without_harness_error(fixture_runs):
    assert (None, 1) in fixture_runs and len(fixture_runs) > len(WAVES)
    for run in fixture_runs.values():
        assert run.code in (0, 3), run.stderr
        errors = [s for s in run.report["scenarios"] if s["outcome"] == "error"]
        assert errors == []


CATALOGUE = load_catalogue()
PEUT = {r.id for r in CATALOGUE if r.level == "PEUT"}


@pytest.mark.parametrize("wave", WAVES, ids=[f"vague{w}" for w in WAVES])
@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e.path.parent.name}/{e.path.name}" for e in ENTRIES])
def test_fixture_fails_exactly_its_manifest_ids(fixture_runs, entry, wave):
    """``fails``: the requirements the fixture breaks, those of the wave judged; a PEUT broken is an avertissement,
    never a failure."""
    run = fixture_runs[entry.referential, wave]
    path = str(Path(entry.path).resolve())
    failing = run.failing_ids_by_file().get(path, set())
    advised = run.failing_ids_by_file("advisory").get(path, set())
    assert not failing & PEUT and advised <= PEUT, entry.description
    expected = {r for r in entry.fails if wave in CATALOGUE[r].waves}
    assert {r for r in failing | advised if entry.in_scope(r)} == expected, entry.description
    if entry.undecided is not None:
        undecided = run.failing_ids_by_file("skip").get(str(Path(entry.path).resolve()), set())
        assert {r for r in undecided if entry.in_scope(r)} == entry.undecided, entry.description


def test_generator_is_deterministic(tmp_path):
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parents[1] / "support" / "make_mss_fixtures.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for made in tmp_path.iterdir():
        assert made.read_bytes() == (FIXTURES_DIR / "mss" / made.name).read_bytes(), made.name
