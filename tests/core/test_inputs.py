"""Files are recognised by content, never by name, and never modified."""

import hashlib

import pytest

from dui_conformance.inputs import CDA, FHIR, HL7V2, UNKNOWN, XML, discover, load, recognise


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
