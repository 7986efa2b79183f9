"""TLS towards the simulated services: a PKI per run, its files in services-simules.json, the
reference DUI over mTLS, and GEN-10…12 judged on what the mocks recorded (non évaluée without TLS)."""

from __future__ import annotations

import json

import pytest
import requests

from dui_conformance.exchanges import TLS_REFUSED, Exchange, HttpRequest
from dui_conformance.live.config import ConfigError, DuiConfig
from dui_conformance.live.environment import SERVICES_FILE, LiveEnvironment
from dui_conformance.live.transport import (
    check_client_certificate,
    check_legacy_refused,
    check_tls_version,
    check_untrusted_refused,
)
from dui_conformance.model import Outcome

pytestmark = pytest.mark.live


def _outcomes(findings) -> set[Outcome]:
    return {f.outcome for f in findings}


def test_tls_environment_publishes_pki_and_the_reference_dui_uses_mtls(tmp_path):
    with LiveEnvironment(reference_defects=frozenset(), services_file=tmp_path / SERVICES_FILE, tls=True) as env:
        services = json.loads((tmp_path / SERVICES_FILE).read_text(encoding="utf-8"))
        assert all(services[s]["url"].startswith("https://127.0.0.1:") for s in ("insi", "dmp"))
        assert services["mss"]["url"].startswith("smtps://") and services["mss"]["imaps"].startswith("imaps://")
        files = services["insi"]["tls"]
        assert set(files) == {"racine", "certificat_client", "cle_client"}
        run = env.admit("unique", id_document="CN")
        assert run.admission.status == "QUAL"
        assert _outcomes(check_tls_version(run.exchanges, True)) == {Outcome.PASS}
        assert _outcomes(check_client_certificate(run.exchanges, True)) == {Outcome.PASS}

        since = env.mark()
        with env.untrusted_certificates():
            with pytest.raises(requests.exceptions.SSLError):
                requests.post(env.insi.url, data=b"", verify=files["racine"], timeout=5)
            assert check_untrusted_refused(env.exchanges("insi", since), True, "insi")[0].outcome is Outcome.PASS
            requests.post(
                env.insi.url, data=b"", verify=False, cert=_cert(files), timeout=5
            )  # a client that does not check
        assert check_untrusted_refused(env.exchanges("insi", since), True, "insi")[0].outcome is Outcome.FAIL
        # back to the run's own certificate
        requests.post(env.insi.url, data=b"", verify=files["racine"], cert=_cert(files), timeout=5)
        pki_dir = env.pki.directory
    assert not pki_dir.exists()


def _config(tmp_path, mtls: str):
    config = tmp_path / "dui.toml"
    config.write_text(
        f'[dui]\nadapter_url = "http://127.0.0.1:9"\ntls = true\n[services]\nmtls = {mtls}\n', encoding="utf-8"
    )
    return DuiConfig.load(config)


@pytest.mark.parametrize("service", ["insi", "dmp", "psc"])
def test_a_dui_without_its_certificate_is_refused_where_the_service_requires_it(tmp_path, service):
    """``mtls = "exige"``: refused, as in production; the refusal is the evidence GEN-11 judges, not a request."""
    config = _config(tmp_path, f'{{ {service} = "exige" }}')
    with LiveEnvironment(config, services_file=tmp_path / SERVICES_FILE) as env:
        files = env.pki.files()
        with pytest.raises(requests.exceptions.SSLError):
            requests.post(env.mocks[service].url, data=b"", verify=files["racine"], timeout=5)
        assert env.mocks[service].recorder.wait_for(lambda e: e.operation == TLS_REFUSED, timeout=5)
        [refusal] = env.refused_handshakes(service)
        assert env.exchanges(service) == []  # no request for the service's checks to judge
        [finding] = check_client_certificate(env.refused_handshakes(service), True)
        assert finding.outcome is Outcome.FAIL and "négociation TLS refusée" in finding.message
        since = env.mark()
        requests.post(env.mocks[service].url, data=b"", verify=files["racine"], timeout=5, cert=_cert(files))
        [accepted] = env.exchanges(service, since)
        assert accepted.operation != TLS_REFUSED and accepted.transport["client_subject"]


def test_by_default_a_missing_certificate_is_recorded_and_judged_not_refused(tmp_path):
    with LiveEnvironment(_config(tmp_path, '{ dmp = "exige" }'), services_file=tmp_path / SERVICES_FILE) as env:
        files = env.pki.files()
        requests.post(env.insi.url, data=b"", verify=files["racine"], timeout=5)
        [finding] = check_client_certificate(env.exchanges("insi"), True)
        assert finding.outcome is Outcome.FAIL and "refusée" not in finding.message
        with pytest.raises(requests.exceptions.SSLError):  # the DMP is set to require it
            requests.post(env.dmp.url, data=b"", verify=files["racine"], timeout=5)


@pytest.mark.parametrize("value", ['{ insi = "oui" }', '{ annuaire = "exige" }', '"exige"'])
def test_an_unknown_mtls_setting_is_a_configuration_error(tmp_path, value):
    config = tmp_path / "dui.toml"
    config.write_text(f'[dui]\nadapter_url = "http://x"\n[services]\nmtls = {value}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="mtls"):
        DuiConfig.load(config)


def _cert(files: dict[str, str]) -> tuple[str, str]:
    return files["certificat_client"], files["cle_client"]


@pytest.mark.parametrize(
    ("defects", "outcome", "versions"),
    [((), Outcome.PASS, []), (("tls-versions-obsoletes-acceptees",), Outcome.FAIL, ["TLSv1.1"])],
    ids=["correct", "tls-versions-obsoletes-acceptees"],
)
def test_a_legacy_only_server_is_refused_by_the_correct_dui_only(tmp_path, defects, outcome, versions):
    """Both DUIs speak TLS 1.3 to a modern server; only the defective one goes on with a TLS 1.1-only server."""
    with LiveEnvironment(reference_defects=frozenset(defects), services_file=tmp_path / SERVICES_FILE, tls=True) as env:
        assert _outcomes(check_tls_version(env.admit("unique", id_document="CN").exchanges, True)) == {Outcome.PASS}
        since = env.mark()
        with env.legacy_tls():
            env.admit("unique", id_document="CN")  # the correct DUI: INSi unreachable, the resident kept without INS
        legacy = env.exchanges("insi", since)
        assert [e.transport["tls_version"] for e in legacy] == versions
        assert _outcomes(check_legacy_refused(legacy, True, "insi")) == {outcome}
        assert {e.transport["tls_version"] for e in env.admit("unique", id_document="CN").exchanges} == {"TLSv1.3"}


def test_without_tls_transport_is_not_evaluated_never_passing():
    for check in (check_tls_version, check_client_certificate):
        assert _outcomes(check([], False)) == {Outcome.NOT_RUN}
    assert _outcomes(check_untrusted_refused([], False, "insi")) == {Outcome.NOT_RUN}
    assert _outcomes(check_legacy_refused([], False, "insi")) == {Outcome.NOT_RUN}
    with LiveEnvironment(tls=False) as env:
        assert env.insi.url.startswith("http://") and not env.tls
        for change in (env.untrusted_certificates, env.legacy_tls):
            with pytest.raises(RuntimeError):
                change().__enter__()


def _exchange(transport: dict) -> Exchange:
    return Exchange(
        id="insi-0001", service="insi", started="", request=HttpRequest("POST", "/lps", {}, ""), transport=transport
    )


def test_checks_fail_on_weak_tls_and_missing_certificate():
    weak = _exchange({"scheme": "https", "tls_version": "TLSv1.1", "client_subject": None})
    assert _outcomes(check_tls_version([weak], True)) == {Outcome.FAIL}
    assert _outcomes(check_client_certificate([weak], True)) == {Outcome.FAIL}
    assert _outcomes(check_tls_version([], True)) == {Outcome.SKIP}
