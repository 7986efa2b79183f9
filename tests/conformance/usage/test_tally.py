"""The counting rules on a cluster of evidence whose counts are known: each rule, each exclusion with its reason."""

from __future__ import annotations

import datetime

import pytest

from dui_conformance.usage import evaluate_exports
from dui_conformance.usage.evidence import PROOF_EXPORT, PROOF_ITI41, DocumentSeen, MessageSeen, PersonSeen
from dui_conformance.usage.tally import DUPLICATE, OUTSIDE, REPLACEMENT, UNATTRIBUTED, UNDATED, WITHOUT_INS, Tally

from ...support.usage import A, B, C

YEAR = (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))


@pytest.fixture
def result(usage_evidence):
    return evaluate_exports([usage_evidence.folder], usage_evidence.targets(), usage_evidence.grappe)


def excluded(result, reason: str) -> set[str]:
    """File names (and members) of the items left out for ``reason``."""
    root = "preuves/"
    return {e["source"].split(root, 1)[1] for e in result["preuves"]["ecartes"] if e["motif"] == reason}


def test_counts_per_esms_and_for_the_cluster(result):
    esms = {e["finess"]: e["indicateurs"] for e in result["esms"]}
    assert esms[A]["documents_dmp"] == 2 and esms[A]["documents_dmp_par_type"] == {"DLU": 1, "VSM": 1}
    assert (esms[A]["personnes_accompagnees"], esms[A]["personnes_ins_qualifiee"]) == (4, 2)
    assert esms[A]["part_ins_qualifiee"] == 0.5
    assert (esms[A]["mss_envoyes"], esms[A]["mss_recus"]) == (2, 0)
    assert esms[B]["documents_dmp"] == 1 and esms[B]["part_ins_qualifiee"] == 0.5
    assert (esms[B]["mss_envoyes"], esms[B]["mss_recus"]) == (0, 2)
    assert esms[C]["documents_dmp"] == 0 and esms[C]["personnes_accompagnees"] == 0
    cluster = result["grappe"]["indicateurs"]
    assert (
        cluster["documents_dmp"],
        cluster["personnes_accompagnees"],
        cluster["personnes_ins_qualifiee"],
    ) == (
        3,
        6,
        3,
    )
    assert (cluster["mss_envoyes"], cluster["mss_recus"]) == (2, 2)


def test_evidence_values_say_where_they_come_from(result):
    origin = result["grappe"]["origine"]
    assert {origin[k] for k in ("documents_dmp", "part_ins_qualifiee", "mss_envoyes", "mss_recus")} == {"preuves"}
    assert origin["connexions_psc"] is None and origin["part_dossiers_actifs"] is None  # neither proven nor declared


def test_a_replacement_is_not_a_new_document(result):
    assert excluded(result, REPLACEMENT) == {"esms-a/d1-v2.xml"}


def test_a_document_seen_twice_counts_once_at_its_submission(result):
    assert excluded(result, DUPLICATE) >= {"esms-a/d2.xml"}  # the ITI-41 submission is the proof kept
    assert "esms-a/d2.mtom#Document01" not in excluded(result, DUPLICATE)


def test_a_document_counts_only_when_its_patient_carries_an_ins(result):
    assert excluded(result, WITHOUT_INS) == {"esms-a/d3.xml"}


def test_outside_the_period_undated_and_unattributable_items_are_listed(result):
    assert excluded(result, OUTSIDE) >= {"esms-a/d4.xml", "esms-a/m5.eml"}
    assert excluded(result, UNDATED) >= {
        "esms-a/d6.xml",
        "esms-a/m6.eml",
        "esms-a/sans-date.json#Bundle.entry[0].resource",
    }
    assert excluded(result, UNATTRIBUTED) >= {"esms-a/d5.xml", "esms-a/d9.xml", "esms-a/m4.eml"}
    reasons = {
        e["source"].rsplit("/", 1)[1]: e["detail"] for e in result["preuves"]["ecartes"] if e["motif"] == UNATTRIBUTED
    }
    assert "999999999 absent(s) du fichier de grappe" in reasons["d9.xml"]
    assert "aucun identifiant de structure FINESS" in reasons["d5.xml"]
    assert "champ bal" in reasons["m4.eml"]


def test_messages_counted_once_and_acknowledgements_are_no_messages(result):
    assert "esms-a/copie/m1.eml" in excluded(result, DUPLICATE)
    assert excluded(result, "accuse_reception") == {"esms-a/mdn.eml"}
    assert excluded(result, "non_reconnu") == {"notes.txt"}


def test_nothing_is_dropped_silently(result):
    """Every document sighting is counted or listed: 10 CDA files and ITI-41 documents, 3 counted."""
    documents = [e for e in result["preuves"]["ecartes"] if e["objet"] == "document"]
    assert len(documents) + result["grappe"]["indicateurs"]["documents_dmp"] == result["preuves"]["lus"]["document"]


def test_the_qualified_share_counts_persons_not_documents():
    """P1 has three documents of the period and a qualified identity, P2 one without: 1 person in 2, not 3 in 4."""
    tally = Tally(YEAR, [A], {})
    day = datetime.date(2024, 3, 1)
    for key, qualified in (("p1", True), ("p1", True), ("p1", True), ("p2", False)):
        tally.add(PersonSeen(f"{key}.xml", key, qualified, day, "effectiveTime du document", (A,)))
    counts = tally.result().esms[A].values()
    assert (counts["personnes_accompagnees"], counts["personnes_ins_qualifiee"]) == (2, 1)
    assert counts["part_ins_qualifiee"] == 0.5


def test_the_strongest_proof_of_a_document_is_kept_whatever_the_order():
    day = datetime.date(2024, 3, 1)

    def seen(proof: str, when: datetime.date | None) -> DocumentSeen:
        return DocumentSeen(f"{proof}", proof, "S1", False, "DLU", when, "", (A,), True)

    for order in ((PROOF_EXPORT, PROOF_ITI41), (PROOF_ITI41, PROOF_EXPORT)):
        tally = Tally(YEAR, [A], {})
        tally.add(seen(order[0], day if order[0] == PROOF_ITI41 else datetime.date(2023, 12, 31)))
        tally.add(seen(order[1], day if order[1] == PROOF_ITI41 else datetime.date(2023, 12, 31)))
        result = tally.result()
        assert result.esms[A].dmp == {"DLU": 1}  # dated by its submission, inside the period
        assert [e["source"] for e in result.excluded] == [PROOF_EXPORT]


def test_a_message_between_two_esms_is_sent_by_one_and_received_by_the_other():
    tally = Tally(YEAR, [A, B], {"a@x.fr": A, "b@x.fr": B})
    tally.add(MessageSeen("m.eml", "m1", "a@x.fr", ("b@x.fr", "b@x.fr"), datetime.date(2024, 5, 1)))
    result = tally.result()
    assert (result.esms[A].sent, result.esms[B].received) == (1, 1)
    assert (result.cluster.sent, result.cluster.received) == (1, 1)
