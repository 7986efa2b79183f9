import hashlib
import io
import json
import zipfile

from dui_conformance.report import build_evidence


def _open(run):
    return zipfile.ZipFile(io.BytesIO(build_evidence(run)))


def test_contents_and_manifest_hashes(run):
    with _open(run) as pack:
        names = pack.namelist()
        assert names[:2] == ["report.json", "index.html"] and names[-1] == "MANIFEST.json"
        exchanges = [n for n in names if n.startswith("echanges/")]
        assert exchanges == ["echanges/0001-insi-0001.json", "echanges/0002-etc_passwd.json"]
        manifest = json.loads(pack.read("MANIFEST.json"))
        assert set(manifest["sha256"]) == set(names) - {"MANIFEST.json"}
        for name, digest in manifest["sha256"].items():
            assert hashlib.sha256(pack.read(name)).hexdigest() == digest
        assert manifest["outil"] == {"name": "dui-conformance", "version": "0.1.0"}
        assert manifest["artefacts"][0]["version"] == "2024.01"
        assert manifest["execution"]["verdict"] == "erreur"
        assert json.loads(pack.read(exchanges[0]))["operation"] == "rechercherInsAvecTraitsIdentite"


def test_entry_names_are_safe(run):
    run.exchanges.append({"id": "/abs/..\\..\\x:y", "service": "MSS"})
    run.exchanges.append({"service": "MSS"})
    with _open(run) as pack:
        for name in pack.namelist():
            assert not name.startswith("/") and ".." not in name and "\\" not in name and ":" not in name


def test_secrets_are_redacted_in_every_file(run):
    with _open(run) as pack:
        for name in pack.namelist():
            assert b"SECRET" not in pack.read(name), name
        first = json.loads(pack.read("echanges/0001-insi-0001.json"))
        assert first["request"]["headers"]["Authorization"] == "[masqué]"
        assert first["response"]["headers"][1] == ["Content-Type", "application/json"]


def test_pack_is_reproducible(run):
    assert build_evidence(run) == build_evidence(run)


def test_pack_holds_the_summary_and_the_expected_failures(failing_run):
    from dui_conformance.expectations import Expectation
    from dui_conformance.report import ReportContext

    expected = Expectation("INS-01", "contestée", "https://suivi.example/1")
    pack = zipfile.ZipFile(io.BytesIO(build_evidence(failing_run, ReportContext(expectations=[expected]))))
    assert "summary.md" in pack.namelist()
    manifest = json.loads(pack.read("MANIFEST.json"))
    assert manifest["attendus"] == [
        {"requirement": "INS-01", "reason": "contestée", "link": "https://suivi.example/1", "document": None}
    ]
    assert manifest["schema_rapport"] and manifest["outil"]["version"] == "0.1.0"


def test_redacting_item_by_item_equals_redacting_the_whole_run(run, failing_run):
    from dui_conformance.model import RunResult
    from dui_conformance.report import redact
    from dui_conformance.report.evidence import redact_run

    data = failing_run.to_dict()
    data["scenarios"][0]["error"] = "réponse : Authorization: Bearer abcdefSECRET123"
    leaky = RunResult.from_dict(data)
    for sample in (run, failing_run, leaky):
        assert redact_run(sample).to_dict() == redact(sample.to_dict())
    assert "SECRET" not in str(redact_run(leaky).to_dict()) and "SECRET" in str(leaky.to_dict())
    assert redact_run(failing_run) is failing_run or redact_run(failing_run).to_dict() == failing_run.to_dict()
