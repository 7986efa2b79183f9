"""The one table of deviation codes: each names a catalogue requirement, the INSi mock's README lists the
INSi rows, and a failure reads « CODE : libellé : détail. » with the code as evidence."""

from __future__ import annotations

import re
from pathlib import Path

from dui_conformance.deviations import DEVIATIONS, deviation
from dui_conformance.model import Location, Outcome
from dui_conformance.requirements import load_catalogue


def test_every_code_names_a_catalogue_requirement():
    catalogue = load_catalogue()
    assert {code: requirement for code, (requirement, _) in DEVIATIONS.items() if requirement not in catalogue} == {}


def test_the_insi_readme_lists_every_insi_code():
    readme = (Path(__file__).resolve().parents[2] / "mocks" / "insi" / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(INSI-[A-Z0-9-]+)` \| (INS-\d+) \|", readme, flags=re.MULTILINE))
    assert rows == {code: requirement for code, (requirement, _) in DEVIATIONS.items() if code.startswith("INSI-")}


def test_a_deviation_is_a_failure_of_its_requirement_with_its_code_as_evidence():
    where = Location(exchange="insi-0001")
    found = deviation("INSI-SEXE-INVALIDE", where, "reçu « I ».")
    assert (found.requirement, found.outcome, found.evidence, found.location) == (
        "INS-21",
        Outcome.FAIL,
        "INSI-SEXE-INVALIDE",
        where,
    )
    assert found.message == "INSI-SEXE-INVALIDE : Sexe autre que M ou F : reçu « I »."
    assert deviation("INSI-ENTETE-LPS-ABSENT", where).message.endswith("absent.")
