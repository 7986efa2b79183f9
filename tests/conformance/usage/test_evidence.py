"""Evidence readers: every kind check recognises, by its content, and a live run's recorded exchanges."""

from __future__ import annotations

import datetime
import json
import zipfile

from dui_conformance.exchanges import Exchange, HttpRequest, HttpResponse
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.settings import RunSettings
from dui_conformance.usage import corpus, sort_sources
from dui_conformance.usage.evidence import (
    ACKNOWLEDGEMENT,
    PROOF_EXPORT,
    PROOF_ITI41,
    PROOF_XDM,
    REFUSED,
    DocumentSeen,
    MessageSeen,
    PersonSeen,
    Unusable,
    exchange_facts,
    read_batch,
    recorded_exchanges,
)
from dui_conformance.xds.build import xdm_package
from dui_conformance.xds.iti41 import read_capture

from ...support.usage import BOX_A, OUTSIDE_BOX, P1, P3, A, at

SETTINGS = RunSettings(mode="usage")


def facts_of(paths) -> list:
    return read_batch(sort_sources(list(paths), SETTINGS.max_bytes).documents, SETTINGS)


def only(facts, kind):
    return [f for f in facts if isinstance(f, kind)]


def test_every_cda_form_is_the_same_document():
    """Plain, auto-présentable and signed: the ClinicalDocument inside is read, with its setId and custodian."""
    forms = [FIXTURES_DIR / "cda" / "dmp" / "dlu-valide.xml"] + [
        FIXTURES_DIR / "cda" / "formes" / name for name in ("autopresentable-valide.xml", "signe-valide.xml")
    ]
    documents = only(facts_of(forms), DocumentSeen)
    assert len(documents) == 3 and {d.set_id for d in documents} == {"1.2.3.4.999.1"}
    assert {(d.proof, d.kind, d.finess, d.ins, d.when) for d in documents} == {
        (PROOF_EXPORT, "DLU", ("519999981",), True, datetime.date(2025, 1, 15))
    }


def test_an_iti41_submission_is_dated_by_its_submission_and_its_rplc_marks_a_replacement(tmp_path):
    document = corpus.cda(P1, A, at(3, 1), "S1", 2)
    assert only(facts_of([_write(tmp_path / "v2.xml", document)]), DocumentSeen)[0].replacement  # versionNumber 2
    fresh = corpus.cda(P1, A, at(3, 1), "S2")
    plain = _write(tmp_path / "s.mtom", corpus.iti41([fresh], at(3, 4)))
    replacing = _write(tmp_path / "r.mtom", corpus.iti41([fresh], at(3, 5), replaces={"Document01": "urn:uuid:1"}))
    seen = {d.source.rsplit("/", 1)[1]: d for d in only(facts_of([plain, replacing]), DocumentSeen)}
    assert seen["s.mtom#Document01"].when == datetime.date(2024, 3, 4)
    assert seen["s.mtom#Document01"].proof == PROOF_ITI41 and not seen["s.mtom#Document01"].replacement
    assert seen["r.mtom#Document01"].replacement


def test_an_xdm_archive_feeds_the_dmp_a_message_attachment_does_not(tmp_path):
    document = corpus.cda(P1, A, at(3, 1), "S1")
    archive = _write(tmp_path / "IHE_XDM.ZIP", xdm_package([document]))
    message = _write(tmp_path / "m.eml", corpus.message(BOX_A, [OUTSIDE_BOX], at(3, 2), "m@a", document))
    facts = facts_of([archive, message])
    assert [d.proof for d in only(facts, DocumentSeen)] == [PROOF_XDM]
    assert len(only(facts, PersonSeen)) == 2  # the person of the archive's and of the attachment's document
    assert [(m.sender, m.recipients, m.key) for m in only(facts, MessageSeen)] == [(BOX_A, (OUTSIDE_BOX,), "m@a")]


def test_identity_exports_are_attributed_and_dated(tmp_path):
    fhir = _write(tmp_path / "p.json", corpus.fhir_patients([(P1, "QUAL"), (P3, "PROV")], A, at(9, 1).date()))
    hl7 = _write(tmp_path / "p.hl7", corpus.hl7_patients([(P1, "VALI")], A, at(9, 2)))
    people = {p.source.rsplit("/", 1)[1]: p for p in only(facts_of([fhir, hl7]), PersonSeen)}
    assert {source: (p.finess, p.when, p.qualified) for source, p in people.items()} == {
        "p.hl7#PID ligne 3": ((A,), datetime.date(2024, 9, 2), True),
        "p.json#Bundle.entry[0].resource": ((A,), datetime.date(2024, 9, 1), True),
        "p.json#Bundle.entry[1].resource": ((A,), datetime.date(2024, 9, 1), False),
    }
    assert people["p.hl7#PID ligne 3"].key == people["p.json#Bundle.entry[0].resource"].key  # one person, two formats


def test_an_acknowledgement_an_unreadable_file_and_an_empty_archive_are_listed(tmp_path):
    with zipfile.ZipFile(tmp_path / "vide.zip", "w") as archive:
        archive.writestr("README.TXT", "Support IHE XDM sans document.")
    found = sort_sources([FIXTURES_DIR / "mss" / "mdn-traite.eml", tmp_path / "vide.zip"], SETTINGS.max_bytes)
    assert [u.detail for u in found.unusable] == ["IHE_XDM.ZIP sans document CDA lisible"]
    assert [f.reason for f in read_batch(found.documents, SETTINGS)] == [ACKNOWLEDGEMENT]
    _write(tmp_path / "casse.xml", b"<ClinicalDocument xmlns='urn:hl7-org:v3'><id")
    assert [f.reason for f in read_batch([(str(tmp_path / "casse.xml"), "cda")], SETTINGS)] == ["illisible"]


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _exchanges() -> list[dict]:
    """Exchanges as the simulated services record them (the library's own type)."""
    content_type, body = read_capture(corpus.iti41([corpus.cda(P1, A, at(3, 1), "S1")], at(3, 2)))[:2]
    iti41 = HttpRequest("POST", "/dmp/iti41", {"Content-Type": content_type}, body.decode("utf-8"))
    smtp = HttpRequest("SMTP", "DATA", {}, corpus.message(BOX_A, [OUTSIDE_BOX], at(3, 3), "m@a").decode("utf-8"))
    started = "2024-03-05T09:00:00.000+00:00"
    records = [
        Exchange("dmp-0001", "dmp", started, iti41, "ITI-41", data={"status": "Success"}),
        Exchange("dmp-0002", "dmp", started, iti41, "ITI-41", data={"status": "Failure", "errors": [{"code": "X"}]}),
        Exchange("mss-0001", "mss", started, smtp, "envoi", response=HttpResponse(250, {}, "250 accepté")),
        Exchange("mss-0002", "mss", started, smtp, "envoi", response=HttpResponse(554, {}, "554 refusé")),
        Exchange("insi-0001", "insi", started, HttpRequest("POST", "/insi", {}, "<x/>"), "rechercher"),
    ]
    return [e.to_dict() for e in records]


def test_recorded_exchanges_of_a_live_run(tmp_path):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"schema_version": "1", "run_id": "r", "exchanges": _exchanges()}), encoding="utf-8")
    pack = tmp_path / "evidence.zip"
    with zipfile.ZipFile(pack, "w") as archive:
        archive.writestr("report.json", report.read_text(encoding="utf-8"))
        archive.writestr("MANIFEST.json", "{}")
        for index, exchange in enumerate(_exchanges()):
            archive.writestr(f"echanges/{index + 1:04d}-{exchange['id']}.json", json.dumps(exchange))
    found = sort_sources([tmp_path], SETTINGS.max_bytes)
    assert found.runs == [pack, report] and not found.documents
    for run in found.runs:
        facts = [
            f
            for source, exchange in recorded_exchanges(run, SETTINGS.max_bytes)
            for f in exchange_facts(exchange, source)
        ]
        documents = only(facts, DocumentSeen)
        assert [(d.proof, d.when, d.dated_by) for d in documents] == [
            (PROOF_ITI41, datetime.date(2024, 3, 5), "réception par le DMP simulé")
        ]
        assert [m.key for m in only(facts, MessageSeen)] == ["m@a"]
        refused = [u for u in only(facts, Unusable) if u.reason == REFUSED]
        assert {u.what for u in refused} == {"soumission", "message"} and any("554" in u.detail for u in refused)
