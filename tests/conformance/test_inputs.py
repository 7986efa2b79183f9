"""Files are recognised by content, never by name, read once within their bound, and never modified; the CDA
inside a message or an archive is a document of its own (``outer!member``)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from dui_conformance import inputs, mss
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.inputs import CDA, FHIR, HL7V2, UNKNOWN, XML, _read_bounded, discover, load, recognise
from dui_conformance.xmlsafe import XmlProblem

MSS_FIXTURES = FIXTURES_DIR / "mss"


@pytest.mark.parametrize(
    "head, kind",
    [
        (b'<?xml version="1.0"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3">', CDA),
        (b'\xef\xbb\xbf<hl7:ClinicalDocument xmlns:hl7="urn:hl7-org:v3">', CDA),
        (b"\x0bMSH|^~\\&|DUI|EHPAD", HL7V2),
        (b'{\n  "resourceType": "Patient"}', FHIR),
        (b"<RegistryObjectList/>", XML),
        (b"%PDF-1.4", UNKNOWN),
        (b"", UNKNOWN),
    ],
)
def test_recognise_by_content(head, kind):
    assert recognise(head) == kind


def test_discover_skips_hidden_and_symlinks(tmp_path):
    (tmp_path / "a.txt").write_text("MSH|^~\\&|")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "b.xml").write_text("<a/>")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.json").write_text('{"resourceType": "Patient"}')
    (tmp_path / "lien.xml").symlink_to("/etc/hostname")
    assert [p.name for p in discover([tmp_path])] == ["a.txt", "c.json"]
    with pytest.raises(FileNotFoundError):
        discover([tmp_path / "absent"])


def test_loading_never_modifies_the_file(tmp_path):
    path = tmp_path / "export.hl7"
    path.write_bytes("MSH|^~\\&|DUI\rPID|||NOM^Prénom".encode("iso-8859-1"))
    before = hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns
    doc = load(path)
    text, encoding = doc.text
    assert doc.kind == HL7V2 and encoding == "iso-8859-1" and "Prénom" in text
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before


def test_a_malformed_or_oversized_file_is_read_and_parsed_once_for_all_its_scenarios(tmp_path, monkeypatch):
    """Every scenario of a document asks for its views again: the error is remembered, not recomputed."""
    import dui_conformance.inputs as inputs

    calls = {"read": 0, "parse": 0}
    real_read, real_parse = inputs._read_bounded, inputs.parse_xml
    monkeypatch.setattr(
        inputs, "_read_bounded", lambda *a: calls.__setitem__("read", calls["read"] + 1) or real_read(*a)
    )
    monkeypatch.setattr(
        inputs, "parse_xml", lambda *a: calls.__setitem__("parse", calls["parse"] + 1) or real_parse(*a)
    )
    broken = tmp_path / "tronque.xml"
    broken.write_bytes(b"<ClinicalDocument xmlns='urn:hl7-org:v3'><id")
    doc = inputs.InputDocument(str(broken), inputs.CDA)
    messages = set()
    for _ in range(3):
        with pytest.raises(XmlProblem) as raised:
            _ = doc.xml
        messages.add(str(raised.value))
    assert calls == {"read": 1, "parse": 1} and len(messages) == 1

    big = tmp_path / "gros.xml"
    big.write_bytes(b"<a/>" + b" " * 100)
    doc = inputs.InputDocument(str(big), inputs.CDA, max_bytes=50)
    for _ in range(3):
        with pytest.raises(inputs.InputTooLarge):
            _ = doc.data
    assert calls["read"] == 2


@pytest.mark.parametrize("size,limit", [(0, 10), (5, 10), (10, 10), (11, 10), (50, 10), (3, 0)])
def test_bounded_read_reads_what_read_limit_plus_one_read(tmp_path, size, limit):
    path = tmp_path / "f"
    path.write_bytes(b"x" * size)
    with open(path, "rb") as a, open(path, "rb") as b:
        assert _read_bounded(a, limit) == b.read(limit + 1)


@pytest.mark.parametrize("size", [7, 30])
def test_bounded_read_of_a_pipe_without_a_size(size):
    read, write = os.pipe()
    os.write(write, b"y" * size)
    os.close(write)
    with os.fdopen(read, "rb") as handle:
        assert _read_bounded(handle, 20) == b"y" * min(size, 21)


def test_message_recognised_by_content_whatever_its_name(tmp_path):
    copy = tmp_path / "export.dat"
    shutil.copy(MSS_FIXTURES / "message-dlu-valide.eml", copy)
    assert inputs.load(copy).kind == mss.MIME_KIND
    assert inputs.recognise(b"MSH|^~\\&|DUI") != mss.MIME_KIND
    assert inputs.recognise(b'Content-Type: multipart/related; type="application/xop+xml"\r\n\r\n') != mss.MIME_KIND


@pytest.mark.parametrize(
    "outer, member",
    [
        ("message-dlu-valide.eml", "IHE_XDM.ZIP!IHE_XDM/SUBSET01/DOC0001.XML"),
        ("xdm-cda-ins-faux.zip", "IHE_XDM/SUBSET01/DOC0001.XML"),
    ],
)
def test_cda_inside_is_a_document_of_its_own(outer, member):
    doc = inputs.load(MSS_FIXTURES / outer)
    path = f"{MSS_FIXTURES / outer}!{member}"
    assert inputs.embedded(doc) == [(path, inputs.CDA)]
    inner = inputs.load(path)
    assert inner.kind == inputs.CDA and inner.xml.root.tag.endswith("ClinicalDocument")


def test_refused_archives_carry_no_document():
    for name in ("xdm-lien-symbolique.zip", "xdm-imbriquee.zip", "message-xdm-traversee.eml", "mime-imbrication.eml"):
        assert inputs.embedded(inputs.load(MSS_FIXTURES / name)) == []


def test_every_entry_of_an_export_is_listed_and_only_readable_regular_files_are_discovered(tmp_path, monkeypatch):
    export = tmp_path / "export"
    (export / "sous-dossier").mkdir(parents=True)
    (export / "verrouille").mkdir()
    valid = export / "valide.xml"
    valid.write_bytes(b"<ClinicalDocument/>")
    (export / ".cache").write_bytes(b"ignored")
    (export / "sous-dossier" / "b.xml").write_bytes(b"<x/>")
    os.mkfifo(export / "tube")
    (export / "lien-interne.xml").symlink_to(valid)
    (export / "lien-dossier").symlink_to(export / "sous-dossier")
    (tmp_path / "dehors.xml").write_bytes(b"<x/>")
    (export / "lien-sortant.xml").symlink_to(tmp_path / "dehors.xml")
    real = inputs._accessible
    monkeypatch.setattr(inputs, "_accessible", lambda path, mode: Path(path).name != "verrouille" and real(path, mode))
    names = [p.relative_to(export).as_posix() for p in inputs.entries([export])]
    assert sorted(names) == sorted(
        [
            "valide.xml",
            "tube",
            "lien-interne.xml",
            "lien-dossier",
            "lien-sortant.xml",
            "verrouille",
            "sous-dossier/b.xml",
        ]
    )
    assert [p.name for p in discover([export])] == ["valide.xml", "b.xml"]
    kinds = {Path(path).name: kind for path, kind in inputs.run_documents([export], 1 << 20)}
    assert {name for name, kind in kinds.items() if kind == inputs.NOT_READ} == {
        "tube",
        "lien-interne.xml",
        "lien-dossier",
        "lien-sortant.xml",
        "verrouille",
    }
    problems = {name: load(export / name, 1 << 20, [export]).problem for name in kinds if name != "b.xml"}
    assert {name: problem.blocking for name, problem in problems.items() if problem} == {
        "tube": True,
        "lien-interne.xml": False,  # its target is checked as valide.xml
        "lien-dossier": True,
        "lien-sortant.xml": True,
        "verrouille": True,
    }
    assert problems["valide.xml"] is None


def test_a_special_file_is_never_opened_for_reading(tmp_path):
    fifo = tmp_path / "tube"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="pas un fichier ordinaire"):
        inputs.read_file(fifo, 100)  # opened without blocking, refused: no writer would ever come
