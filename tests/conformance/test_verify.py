"""``dui-conformance verifier``: a pack from a real ``check`` verifies; every change to it is named.

Each test changes a pack written by ``check`` on bundled fixtures the way someone might (a report, a
document, a file removed or added, the manifest rewritten to match, a signature from another key) and
asserts that ``verifier`` names what changed; hostile archives give findings, never an exception.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from dui_conformance import verify as verify_module
from dui_conformance.cli import main
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.safezip import ZipLimits
from dui_conformance.verify import (
    MANIFEST,
    SIGNATURE,
    VerificationKey,
    load_signing_key,
    sign,
    verify_pack,
)

INPUTS = [FIXTURES_DIR / "hl7v2", FIXTURES_DIR / "fhir"]
VALID_DOCUMENT = "documents/hl7v2/adt_a28_ins_qual.hl7"  # passes every requirement it is judged on


def _pem_private(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem_public(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    """The signer's Ed25519 key pair, another public key, and a self-signed certificate of the signer."""
    folder = tmp_path_factory.mktemp("cles")
    signer, other = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Éditeur fictif — preuves")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signer.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(signer, None)
    )
    files = {
        "privee": _pem_private(signer),
        "publique": _pem_public(signer),
        "autre": _pem_public(other),
        "certificat": cert.public_bytes(serialization.Encoding.PEM),
    }
    for stem, data in files.items():
        (folder / f"{stem}.pem").write_bytes(data)
    return {stem: folder / f"{stem}.pem" for stem in files}


def _check(out: Path, *options: str, inputs: list[Path] = INPUTS) -> Path:
    code = main(["check", *map(str, inputs), "--report-dir", str(out), "--formats", "json,evidence", "-q", *options])
    assert code == 3  # the fixtures fail on purpose; the pack is what matters
    return out / "evidence.zip"


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    return _check(tmp_path_factory.mktemp("check"))


@pytest.fixture(scope="module")
def signed_pack(tmp_path_factory, keys) -> Path:
    return _check(tmp_path_factory.mktemp("signe"), "--signer-preuves", str(keys["privee"]))


def _rewrite(
    source: Path,
    target: Path,
    changes: dict[str, bytes | None] | None = None,
    manifest_follows: bool = False,
) -> Path:
    """A copy of the pack with members replaced, removed (None) or added; with ``manifest_follows`` the
    manifest's digests are rewritten to match, as a careful forger would."""
    changes = changes or {}
    with zipfile.ZipFile(source) as old:
        members = {name: old.read(name) for name in old.namelist()}
    for name, data in changes.items():
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    if manifest_follows:
        manifest = json.loads(members[MANIFEST])
        manifest["sha256"] = {
            name: hashlib.sha256(data).hexdigest()
            for name, data in members.items()
            if name not in (MANIFEST, SIGNATURE)
        }
        members[MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in members.items():
            new.writestr(name, data)
    return target


def _read(pack: Path, name: str) -> bytes:
    with zipfile.ZipFile(pack) as archive:
        return archive.read(name)


def _report_with(pack: Path, edit) -> bytes:
    report = json.loads(_read(pack, "report.json"))
    edit(report)
    return json.dumps(report).encode()


def _flip_ins10(report: dict) -> None:
    req = next(r for r in report["requirements"] if r["id"] == "INS-10")
    assert req["outcome"] == "fail"
    req["outcome"] = "pass"


def _named(result) -> set[tuple[str, str]]:
    return {(d.kind, d.subject) for d in result.discrepancies}


def _verify_cli(capsys, *args: str) -> tuple[int, dict]:
    code = main(["verifier", *args, "--format", "json", "-q"])
    return code, json.loads(capsys.readouterr().out)


def test_a_pack_from_check_verifies(pack, capsys):
    code, out = _verify_cli(capsys, str(pack))
    assert code == 0 and out["concorde"] and out["ecarts"] == []
    assert out["signature"]["etat"] == "absente"
    documents = [n for n in zipfile.ZipFile(pack).namelist() if n.startswith("documents/")]
    assert out["documents_rejoues"] == len(documents) > 10 and out["exigences_comparees"] > 100
    assert main(["verifier", str(pack), "-q"]) == 0
    text = capsys.readouterr().out
    assert "CONCORDANT" in text and "paquet non signé" in text


def test_the_pack_holds_each_document_read_with_its_relative_path(pack):
    with zipfile.ZipFile(pack) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        packed = {n: archive.read(n) for n in archive.namelist() if n.startswith("documents/")}
    on_disk = {
        f"documents/{path.relative_to(FIXTURES_DIR).as_posix()}": path.read_bytes()
        for folder in INPUTS
        for path in folder.iterdir()
    }
    assert packed == on_disk
    assert all(manifest["sha256"][n] == hashlib.sha256(data).hexdigest() for n, data in packed.items())


def test_an_edited_report_is_named(pack, tmp_path, capsys):
    edited = _rewrite(pack, tmp_path / "p.zip", {"report.json": _report_with(pack, _flip_ins10)})
    code, out = _verify_cli(capsys, str(edited))
    assert code == 3 and not out["concorde"]
    named = {(d["type"], d["objet"]): d["message"] for d in out["ecarts"]}
    assert "Fichier modifié" in named[("fichier", "report.json")]
    assert named[("verdict", "INS-10")] == "conforme dans report.json ; non conforme à la réexécution."


def test_a_report_rewritten_with_its_digest_is_still_named_by_the_checks_run_again(pack, tmp_path):
    def forge(report: dict) -> None:
        _flip_ins10(report)
        report["verdict"] = "conforme"

    edited = _rewrite(pack, tmp_path / "p.zip", {"report.json": _report_with(pack, forge)}, manifest_follows=True)
    named = _named(verify_pack(edited))
    assert not any(kind == "fichier" for kind, _ in named)
    assert {("verdict", "INS-10"), ("verdict", "report.json"), ("verdict", "MANIFEST.json")} <= named


def test_a_check_report_cannot_pass_a_document_off_as_live(pack, tmp_path):
    """Requirements decided live are not compared as a whole: a check run has none, so one is a forgery."""

    def forge(report: dict) -> None:
        scenario = next(s for s in report["scenarios"] if "INS-10" in s["requirements"])
        scenario["subject"] = "session directe"

    edited = _rewrite(pack, tmp_path / "p.zip", {"report.json": _report_with(pack, forge)}, manifest_follows=True)
    result = verify_pack(edited)
    live = next(d.message for d in result.discrepancies if d.subject == "session directe")
    assert live.startswith("Scénarios en direct trouvés (") and "INS-10" in live


@pytest.mark.parametrize("manifest_follows", [False, True], ids=["empreinte-fausse", "empreinte-refaite"])
def test_an_edited_document_is_named(pack, tmp_path, manifest_follows):
    edited = _rewrite(pack, tmp_path / "p.zip", {VALID_DOCUMENT: b"pas un message HL7\n"}, manifest_follows)
    result = verify_pack(edited)
    named = _named(result)
    assert (("fichier", VALID_DOCUMENT) in named) is not manifest_follows
    assert ("verdict", "GEN-01 — hl7v2/adt_a28_ins_qual.hl7") in named
    message = next(d.message for d in result.discrepancies if d.subject == "GEN-01 — hl7v2/adt_a28_ins_qual.hl7")
    assert message == "conforme dans report.json ; non conforme à la réexécution."


def test_a_removed_or_added_file_is_named(pack, tmp_path, capsys):
    hostile_name = "echanges/9999-[red]ajout[/red].json"
    edited = _rewrite(
        pack,
        tmp_path / "p.zip",
        {
            "documents/fhir/patient_ins_prov.json": None,
            "summary.md": None,
            hostile_name: b"{}",
            "documents/hl7v2/nouveau.hl7": _read(pack, VALID_DOCUMENT),
        },
    )
    result = verify_pack(edited)
    messages = {(d.kind, d.subject): d.message for d in result.discrepancies}
    assert messages[("fichier", "documents/fhir/patient_ins_prov.json")].startswith("Fichier supprimé")
    assert messages[("fichier", "summary.md")].startswith("Fichier supprimé")
    assert messages[("fichier", hostile_name)] == "Fichier ajouté : absent du manifeste."
    assert messages[("fichier", "documents/hl7v2/nouveau.hl7")] == "Fichier ajouté : absent du manifeste."
    assert "absent de la réexécution" in messages[("verdict", "fhir/patient_ins_prov.json")]
    assert messages[("verdict", "hl7v2/nouveau.hl7")] == "Document du paquet que report.json ne juge pas."
    assert main(["verifier", str(edited), "-q"]) == 3
    text = capsys.readouterr().out
    assert "NON CONCORDANT" in text and "[red]ajout[/red]" in text  # the pack's names are text, not markup


def test_a_signed_pack_verifies_with_its_key_or_certificate(signed_pack, keys, capsys):
    assert SIGNATURE in zipfile.ZipFile(signed_pack).namelist()
    for option, key in (("--cle", "publique"), ("--certificat", "certificat")):
        code, out = _verify_cli(capsys, str(signed_pack), option, str(keys[key]))
        assert code == 0 and out["signature"]["etat"] == "valide", out
    assert "Éditeur fictif" in out["signature"]["cle"]
    code, out = _verify_cli(capsys, str(signed_pack))  # signed, but no key given
    assert code == 0 and out["signature"]["etat"] == "non vérifiée"


def test_a_signature_from_another_key_fails(signed_pack, keys, capsys):
    code, out = _verify_cli(capsys, str(signed_pack), "--cle", str(keys["autre"]))
    assert code == 3 and out["signature"]["etat"] == "invalide"
    assert [d["objet"] for d in out["ecarts"]] == [SIGNATURE]


def test_a_signed_pack_fails_after_any_change(signed_pack, keys, tmp_path, capsys):
    """summary.md is not derived again: rewritten with its digest, only the signature tells."""
    edited = _rewrite(signed_pack, tmp_path / "p.zip", {"summary.md": b"# Conforme\n"}, manifest_follows=True)
    assert _verify_cli(capsys, str(edited))[0] == 0
    code, out = _verify_cli(capsys, str(edited), "--cle", str(keys["publique"]))
    assert code == 3 and out["signature"]["etat"] == "invalide"
    changed = _rewrite(signed_pack, tmp_path / "q.zip", {VALID_DOCUMENT: b"MSH|^~\\&|\n"})
    code, out = _verify_cli(capsys, str(changed), "--cle", str(keys["publique"]))
    assert code == 3 and out["signature"]["etat"] == "valide"  # the manifest is intact, the document is not
    assert ("fichier", VALID_DOCUMENT) in {(d["type"], d["objet"]) for d in out["ecarts"]}


def test_an_unsigned_pack_is_said_unsigned_when_a_key_is_given(pack, keys, capsys):
    code, out = _verify_cli(capsys, str(pack), "--cle", str(keys["publique"]))
    assert code == 3 and out["signature"]["etat"] == "absente"
    assert out["ecarts"][0]["message"].startswith("Paquet non signé")


@pytest.mark.parametrize(
    "private", [ec.generate_private_key(ec.SECP256R1()), rsa.generate_private_key(65537, 2048)], ids=["ecdsa", "rsa"]
)
def test_elliptic_curve_and_rsa_keys_sign_and_verify(private, tmp_path):
    (tmp_path / "k.pem").write_bytes(_pem_private(private))
    signature = sign(load_signing_key(tmp_path / "k.pem"), b"manifeste")
    key = VerificationKey(private.public_key(), "clé de test")
    assert key.verifies(signature, b"manifeste") and not key.verifies(signature, b"manifeste modifie")


def test_an_expired_certificate_is_noted(signed_pack, tmp_path, capsys):
    signer = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ancien")])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signer.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=365))
        .sign(signer, None)
    )
    (tmp_path / "c.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    code, out = _verify_cli(capsys, str(signed_pack), "--certificat", str(tmp_path / "c.der"))
    assert code == 3 and out["signature"]["etat"] == "invalide"
    assert any("hors de sa période de validité (valide du 01/01/2020 au 31/12/2020)" in n for n in out["notes"])


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():  # a ZipInfo keeps the name as given (« .. », absolute)
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _declaring(data: bytes, size: int, name: str = "") -> bytes:
    """The archive with its central directory entries (those named ``name``, or all) claiming ``size`` bytes
    once inflated."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at != -1:
        if out[at + 46 : at + 46 + len(name)] == name.encode():
            out[at + 24 : at + 28] = size.to_bytes(4, "little")
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)


def _manifest_for(members: dict[str, bytes]) -> bytes:
    return json.dumps({"sha256": {n: hashlib.sha256(d).hexdigest() for n, d in members.items()}}).encode()


def _hostile_packs() -> dict[str, tuple[bytes, str, str]]:
    """name → (pack bytes, subject named, words of the message)."""
    report = {"report.json": b'{"schema_version": "1.0", "inputs": [1]}'}
    scenario = {"nodeid": "n", "feature": "", "feature_file": "", "name": "", "tags": [], "requirements": []}
    run = {"schema_version": "1.0", "run_id": "r", "mode": "check", "profile": "recette", "environment": "test"}
    run |= {"started": "", "finished": "", "inputs": ["/x"], "requirements": [], "tool": {}}
    run["scenarios"] = [{**scenario, "subject": ["/x/a.xml"], "steps": []}]  # a list where a path is
    typed = {"report.json": json.dumps(run).encode()}
    return {
        "remontee": (_zip({"../hors-du-paquet.txt": b"x", MANIFEST: b"{}"}), "../hors-du-paquet.txt", "« .. »"),
        "chemin-absolu": (_zip({"/etc/preuve": b"x", MANIFEST: b"{}"}), "/etc/preuve", "Chemin absolu"),
        "bombe-declaree": (
            _declaring(_zip({"documents/bombe.xml": b"0" * 4096, MANIFEST: b"{}"}), 0xF0000000),
            "documents/bombe.xml",
            "au-delà de la limite",
        ),
        "pas-une-archive": (b"MSH|^~\\&|pas un zip", "p.zip", "Archive ZIP illisible"),
        "sans-manifeste": (_zip({"report.json": b"{}"}), MANIFEST, "Manifeste absent"),
        "manifeste-illisible": (_zip({MANIFEST: b"{" * 100_000}), MANIFEST, "Manifeste illisible"),
        "manifeste-sans-empreintes": (_zip({MANIFEST: b'{"sha256": {"a": "pas-un-sha"}}'}), MANIFEST, "sha256"),
        "rapport-incomplet": (_zip({**report, MANIFEST: _manifest_for(report)}), "report.json", "KeyError"),
        "rapport-mal-type": (
            _zip({**typed, MANIFEST: _manifest_for(typed)}),
            "report.json",
            "scenarios[0] d'un autre type",
        ),
    }


@pytest.mark.parametrize("case", sorted(_hostile_packs()))
def test_a_hostile_pack_is_a_finding_not_a_crash(case, tmp_path):
    data, subject, words = _hostile_packs()[case]
    (tmp_path / "p.zip").write_bytes(data)
    result = verify_pack(tmp_path / "p.zip")
    assert not result.agrees
    found = {d.subject: d.message for d in result.discrepancies if d.kind == "paquet"}
    assert words in found[subject], found
    assert not (tmp_path / "hors-du-paquet.txt").exists()


@pytest.mark.parametrize("field,value", [("profile", "tous"), ("environment", "lune")])
def test_a_report_with_settings_the_harness_does_not_know_is_a_finding(pack, tmp_path, field, value):
    report = _report_with(pack, lambda r: r.update({field: value}))
    result = verify_pack(_rewrite(pack, tmp_path / "p.zip", {"report.json": report}, manifest_follows=True))
    assert f"« {value} » trouvé ; attendu :" in {d.subject: d.message for d in result.discrepancies}["report.json"]


def test_a_zip_bomb_is_named_not_inflated(tmp_path):
    """A bomb that tells its size is refused before anything is inflated; one that lies about it is cut at the
    size it declares (and then fails its CRC): the member is named either way, the other files still checked."""
    members = {"documents/bombe.xml": b"\0" * (20 * 1024 * 1024), "summary.md": b"# Rapport\n"}
    honest = _zip({**members, MANIFEST: _manifest_for(members)})
    limits = ZipLimits(max_entry_bytes=1024 * 1024, max_ratio=1100.0)
    for case, data, words in (
        ("honnete", honest, "au-delà de la limite"),
        ("menteuse", _declaring(honest, 100, "documents/bombe.xml"), "illisible"),
    ):
        (tmp_path / f"{case}.zip").write_bytes(data)
        result = verify_pack(tmp_path / f"{case}.zip", limits=limits)
        assert words in {d.subject: d.message for d in result.discrepancies}["documents/bombe.xml"], case
    assert result.files == 1  # summary.md, whose digest matches


def test_usage_errors(pack, keys, tmp_path, capsys):
    assert main(["verifier", str(tmp_path / "absent.zip")]) == 2
    with pytest.raises(SystemExit) as stop:
        main(["verifier", str(pack), "--cle", str(keys["publique"]), "--certificat", str(keys["certificat"])])
    assert stop.value.code == 2
    (tmp_path / "cle.pem").write_text("pas une clé")
    assert main(["verifier", str(pack), "--cle", str(tmp_path / "cle.pem")]) == 2
    check = ["check", str(INPUTS[0]), "--report-dir", str(tmp_path / "r"), "-q", "--signer-preuves"]
    assert main([*check, str(tmp_path / "cle.pem")]) == 2
    assert main([*check, str(keys["privee"]), "--formats", "json"]) == 2
    assert not (tmp_path / "r").exists()  # refused before anything ran


def test_a_pack_written_before_packs_held_documents_is_not_verifiable(pack, tmp_path):
    names = zipfile.ZipFile(pack).namelist()
    old = _rewrite(pack, tmp_path / "p.zip", {n: None for n in names if n.startswith("documents/")}, True)
    result = verify_pack(old)
    assert [(d.kind, d.subject) for d in result.discrepancies] == [("fichier", "documents/")]
    assert "Aucun des documents de l'exécution" in result.discrepancies[0].message


def test_a_run_restricted_by_exigence_verifies_on_the_same_selection(tmp_path, capsys):
    pack = _check(tmp_path / "r", "--exigence", "INS-10")
    code, out = _verify_cli(capsys, str(pack))
    assert code == 0, out["ecarts"]
    assert any("restreinte par --exigence à : INS-10" in note for note in out["notes"])


def test_documents_inside_archives_and_messages_are_judged_again(tmp_path, capsys):
    pack = _check(tmp_path / "r", inputs=[FIXTURES_DIR / "mss"])
    code, out = _verify_cli(capsys, str(pack))
    assert code == 0, out["ecarts"]
    assert out["documents_rejoues"] > len([n for n in zipfile.ZipFile(pack).namelist() if n.startswith("documents/")])


@pytest.mark.live
def test_a_demo_pack_verifies_on_its_documents(tmp_path, capsys):
    """The live phase cannot be run again offline: its requirements are compared on their documents only."""
    assert main(["demo", "--report-dir", str(tmp_path / "demo"), "--formats", "json,evidence", "-q"]) == 0
    code, out = _verify_cli(capsys, str(tmp_path / "demo" / "evidence.zip"))
    assert code == 0, out["ecarts"]
    assert out["documents_rejoues"] > 0 and any("phase directe" in note for note in out["notes"])


def test_a_pack_is_replayed_in_the_wave_its_manifest_and_report_give(tmp_path, capsys, monkeypatch):
    pack = _check(tmp_path / "r", "--vague", "2", inputs=[INPUTS[0]])
    assert json.loads(_read(pack, MANIFEST))["execution"]["vague"] == 2
    replayed = []
    real = verify_module.execute
    monkeypatch.setattr(
        verify_module, "execute", lambda execution: replayed.append(execution.settings.wave) or real(execution)
    )
    code, out = _verify_cli(capsys, str(pack))
    assert code == 0 and replayed == [2], out["ecarts"]


def test_a_report_whose_wave_differs_from_the_manifest_is_named(pack, tmp_path):
    report = _report_with(pack, lambda r: r["referentiel"].update(vague=2))
    result = verify_pack(_rewrite(pack, tmp_path / "p.zip", {"report.json": report}, manifest_follows=True))
    assert "vague « 1 » dans le manifeste ; « 2 » dans report.json." in {d.message for d in result.discrepancies}


@pytest.mark.parametrize("wave", [3, "2", True])
def test_a_report_with_a_wave_the_harness_does_not_know_is_a_finding(pack, tmp_path, wave):
    report = _report_with(pack, lambda r: r["referentiel"].update(vague=wave))
    result = verify_pack(_rewrite(pack, tmp_path / "p.zip", {"report.json": report}, manifest_follows=True))
    assert not result.agrees and "report.json" in {d.subject for d in result.discrepancies}


def test_a_requirement_of_an_extra_catalogue_folder_is_said_not_compared(tmp_path, capsys):
    """The pack holds no --catalogue folder, its manifest names none: their requirements are not replayed without
    them, which is said in a note rather than called a discrepancy; given again, they are compared."""
    folder = tmp_path / "catalogue"
    folder.mkdir()
    (folder / "local.toml").write_text(
        '[[requirement]]\nid = "GEN-900"\nservice = "GEN"\nlevel = "DOIT"\nstatement = "Exigence locale."\n'
        'source = "Référentiel local"\n',
        encoding="utf-8",
    )
    pack = _check(tmp_path / "r", "--catalogue", str(folder), inputs=[INPUTS[0]])
    code, without = _verify_cli(capsys, str(pack))
    assert code == 0, without["ecarts"]
    assert [n for n in without["notes"] if "(GEN-900)" in n and "redonnez ce dossier avec --catalogue" in n]
    code, given = _verify_cli(capsys, str(pack), "--catalogue", str(folder))
    assert code == 0 and not [n for n in given["notes"] if "GEN-900" in n], given["ecarts"]
    assert given["exigences_comparees"] == without["exigences_comparees"] + 1
