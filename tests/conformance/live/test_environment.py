"""The live environment (live/environment.py): the mocks' URLs and exchanges it publishes, SOAP faults as
problem+json, INSi retries, injected faults, the PSC entry of the services file. The files a DUI or a test
waits for (services-simules.json, a kept PKI) appear whole or not at all: each is written to a temporary file
of the same folder and renamed over its name (issue 8 follow-up)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from dui_conformance.files import write_atomically
from dui_conformance.live.config import DuiConfig
from dui_conformance.live.environment import SERVICES_FILE, LiveEnvironment
from dui_conformance.live.ins import check_admission
from dui_conformance.model import Outcome


def test_services_file_and_kept_pki_are_renamed_into_place_whole(tmp_path, renames):
    services, pki = tmp_path / "annonce" / SERVICES_FILE, tmp_path / "pki"
    with LiveEnvironment(services_file=services, pki_dir=pki, tls=True) as env:
        written = json.loads(services.read_text(encoding="utf-8"))
        assert written == json.loads(json.dumps(env.services()))
    by_target = {dst: (src, data, before) for src, dst, data, before in renames}
    src, data, before = by_target[str(services)]
    assert os.path.dirname(src) == str(services.parent) and before is None
    assert json.loads(data) == written  # the whole content was in the temporary file before it took the name
    for name in ("racine-igc-sante-test.pem", "client-dui.pem", "client-dui.key", "serveur.pem", "serveur.key"):
        assert str(pki / name) in by_target and os.path.dirname(by_target[str(pki / name)][0]) == str(pki)
    assert stat.S_IMODE((pki / "client-dui.key").stat().st_mode) == 0o600
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_interrupted_write_keeps_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / SERVICES_FILE
    target.write_text('{"insi": {}}', encoding="utf-8")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        write_atomically(target, b'{"insi": {"url": "https://127.0.0.1:1"}, "dmp"')
    assert target.read_text(encoding="utf-8") == '{"insi": {}}'
    assert [p.name for p in tmp_path.iterdir()] == [SERVICES_FILE]


@pytest.mark.live
def test_environment_publishes_mock_urls_and_exchanges(tmp_path):
    with LiveEnvironment(reference_defects=frozenset(), services_file=tmp_path / SERVICES_FILE) as env:
        services = json.loads((tmp_path / SERVICES_FILE).read_text(encoding="utf-8"))
        assert services["insi"]["url"] == env.insi.url == env.urls()["insi"]
        assert services["insi"]["points_d_acces"]["rechercherInsAvecTraitsIdentite"] == env.insi.url
        assert services["dmp"]["points_d_acces"] == {
            "ITI-41": env.dmp.iti41_url,
            "ITI-18": env.dmp.iti18_url,
            "ITI-43": env.dmp.iti43_url,
            "TD0.2": env.dmp.td02_url,
        }
        assert env.insi.url.startswith("http://127.0.0.1:")
        since = env.mark()
        run = env.admit("unique", id_document="CN")
        assert [e.id for e in env.exchanges("insi", since)] == [e.id for e in run.exchanges]
        assert run.admission.status == "QUAL" and run.patient["resourceType"] == "Patient"
        with pytest.raises(KeyError, match="inconnu"):
            env.admit("personne")
        url = env.insi.url
    import requests

    with pytest.raises(requests.ConnectionError):
        requests.post(url, data=b"", timeout=2)


@pytest.mark.live
def test_soap_fault_is_reported_as_problem_json(tmp_path):
    with LiveEnvironment(reference_defects=frozenset()) as env:
        run = env.admit("faute")
    problem = run.admission.problem
    assert run.admission.http_status == 502 and problem["status"] == 502 and problem["service"] == "INS"
    assert "siram_100" in problem["detail"] and run.patient is not None  # provisional identity kept
    assert run.admission.ins is None


@pytest.mark.live
def test_cr02_is_retried_with_every_first_name_then_the_birth_place(tmp_path):
    with LiveEnvironment(reference_defects=frozenset()) as env:
        run = env.admit("homonyme-parfait-1")
    sent = [(e.data["traits"]["Prenom"], e.data["traits"]["LieuNaissance"]) for e in run.exchanges]
    assert sent == [(["PIERRE"], None), (["PIERRE"], "44109")]
    assert [e.data["cr"] for e in run.exchanges] == ["02", "02"] and run.admission.status == "PROV"


@pytest.mark.live
def test_injected_http_error_is_a_fault_too(tmp_path):
    with LiveEnvironment(reference_defects=frozenset()) as env:
        env.insi.set_fault(status=503, count=1)
        run = env.admit("unique", id_document="CN")
    assert run.admission.http_status == 502
    outcomes = {f.requirement: f.outcome for f in check_admission(run)}
    assert outcomes["INS-27"] is Outcome.PASS and outcomes["INS-22"] is Outcome.SKIP


@pytest.mark.live
def test_mocks_only_environment_cleans_its_temporary_folder():
    with LiveEnvironment() as env:
        assert env.driver is None and env.services_file.is_file()
        with pytest.raises(RuntimeError, match="Aucun DUI"):
            env.admit("unique")
    assert not env.services_file.exists()
    with pytest.raises(ValueError, match="soit"):
        LiveEnvironment(dui_config=object(), reference_defects=frozenset())


@pytest.mark.live
def test_services_file_tells_the_vendor_where_psc_is(tmp_path):
    with LiveEnvironment(services_file=tmp_path / SERVICES_FILE) as env:
        entry = env.services()["psc"]
        assert entry["decouverte"].startswith("https://127.0.0.1:")
        assert entry["decouverte"].endswith("/auth/realms/esante-wallet/.well-known/wallet-openid-configuration")
        assert open(entry["racine"], encoding="ascii").read().startswith("-----BEGIN CERTIFICATE")


def test_relative_pki_folder_gives_absolute_paths_in_services_file(tmp_path, monkeypatch):
    """``--dui dui.toml`` from the configuration's folder with ``pki = "pki"``: the DUI, started elsewhere, reads
    absolute PKI paths in services-simules.json, as the vendor guide promises."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dui.toml").write_text(
        '[dui]\nmode = "adaptateur"\nadapter_url = "http://127.0.0.1:9"\ntls = true\n\n[services]\npki = "pki"\n',
        encoding="utf-8",
    )
    config = DuiConfig.load("dui.toml")
    with LiveEnvironment(dui_config=config, services_file=tmp_path / SERVICES_FILE) as env:
        services = json.loads(env.services_file.read_text(encoding="utf-8"))
    paths = [p for entry in services.values() for p in (entry.get("tls") or {}).values()] + [services["psc"]["racine"]]
    assert paths and all(Path(p).is_absolute() and Path(p).exists() for p in paths), paths
    assert Path(paths[0]).parent == tmp_path / "pki"
