"""MSSanté messages (mss/message.py): the domains judged are a setting; the subject convention, its error form
and its date."""

import pytest

from dui_conformance import mss
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.model import Outcome
from dui_conformance.mss import MssRules

FIXTURES = FIXTURES_DIR / "mss"


def test_domains_are_a_setting():
    data = (FIXTURES / "message-adresse-hors-mss.eml").read_bytes()
    findings = mss.check_message_data(data, "m.eml", rules=MssRules(domains=("mssante.fr", "example.org")))
    assert {f.outcome for f in findings if f.requirement == "MSS-07"} == {Outcome.PASS}


def _mss05(subject: str):
    data = (FIXTURES / "message-dlu-valide.eml").read_bytes()
    old = data[data.index(b"Subject: ") : data.index(b"\r\n", data.index(b"Subject: "))]
    findings = mss.check_message_data(data.replace(old, b"Subject: " + subject.encode()), "m.eml")
    return [f for f in findings if f.requirement == "MSS-05"]


@pytest.mark.parametrize(
    "subject",
    [
        "XDM/1.0/DDM+Dossier de liaison d'urgence FICTIVE Marie 29/02/1948",
        "XDM/1.0/DDM+Dossier de liaison d'urgence FICTIVE Marie 1/3/1947",
        "XDM/1.0/DDM+Dossier de liaison d'urgence (retour)",  # no date: only a date given is judged
        "[KO Intégration système !][XDM_ILLISIBLE] XDM/1.0/DDM+Dossier de liaison d'urgence FICTIVE Marie 15/03/1947",
    ],
)
def test_subjects_following_the_convention_pass(subject):
    assert [f.outcome for f in _mss05(subject)] == [Outcome.PASS]


@pytest.mark.parametrize(
    "subject,found",
    [
        ("XDM/1.0/DDM+Dossier de liaison d'urgence FICTIVE Marie 15/14/1947", "15/14/1947"),
        ("XDM/1.0/DDM+Dossier de liaison d'urgence FICTIVE Marie 29/02/1947", "29/02/1947"),
        ("XDM/1.0/DDM+Dossier de liaison d'urgence FICTIVE Marie 01/01/2999", "01/01/2999"),
        ("[KO Intégration système !][INS_INCONNU] XDM/1.0/DDM+DLU FICTIVE Marie 31/04/1947", "31/04/1947"),
        ("[KO Intégration système !] XDM/1.0/DDM+DLU FICTIVE Marie 15/03/1947", "sans code"),
        ("[KO Intégration système !][INS_INCONNU] Dossier", "attendu"),
    ],
)
def test_subjects_breaking_the_convention_fail_mss05_saying_what_was_found(subject, found):
    (finding,) = _mss05(subject)
    assert finding.outcome is Outcome.FAIL and found in finding.message and "attendu" in finding.message
