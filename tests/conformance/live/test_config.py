"""DuiConfig (live/config.py): the [dui] section of the run's TOML file, its TLS options, its [psc] section."""

from __future__ import annotations

import pytest

from dui_conformance.live.config import ConfigError, DuiConfig


def _load(tmp_path, text: str) -> DuiConfig:
    path = tmp_path / "dui.toml"
    path.write_text(text, encoding="utf-8")
    return DuiConfig.load(path)


def test_adapter_mode(tmp_path):
    config = _load(tmp_path, '[dui]\nmode = "adaptateur"\nadapter_url = "http://127.0.0.1:8080"\ntimeout_s = 3\n')
    assert (config.mode, config.adapter_url) == ("adaptateur", "http://127.0.0.1:8080")
    assert (config.timeout_s, config.attente_s) == (3.0, 300.0)


def test_attended_mode_export_dir_is_relative_to_the_file(tmp_path):
    config = _load(tmp_path, '[dui]\nmode = "accompagne"\nexport_dir = "exports"\nattente_s = 60\n')
    assert config.export_dir == tmp_path / "exports" and config.attente_s == 60.0


@pytest.mark.parametrize(
    "text, message",
    [
        ('[dui]\nmode = "manuel"\n', "inconnu"),
        ('[dui]\nmode = "adaptateur"\n', "adapter_url"),
        ('[dui]\nmode = "accompagne"\n', "export_dir"),
        ('[dui]\nadapter_url = "http://127.0.0.1:1"\nport = 3\n', "clés inconnues"),
        ('[dui]\nadapter_url = "http://127.0.0.1:1"\ntimeout_s = -1\n', "positif"),
        ('[dui]\nadapter_url = "http://127.0.0.1:1"\ntimeout_s = "vite"\n', "durée invalide"),
        ("[autre]\n", "section"),
        ("[dui\n", "illisible"),
    ],
)
def test_bad_configuration_is_explained(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, text)


def test_missing_file_is_explained(tmp_path):
    with pytest.raises(ConfigError, match="illisible"):
        DuiConfig.load(tmp_path / "absent.toml")


@pytest.mark.live
def test_tls_is_a_dui_configuration_option(tmp_path):
    path = tmp_path / "dui.toml"
    path.write_text('[dui]\nadapter_url = "http://127.0.0.1:8080"\ntls = true\n', encoding="utf-8")
    assert DuiConfig.load(path).tls is True
    path.write_text('[dui]\nadapter_url = "http://127.0.0.1:8080"\n', encoding="utf-8")
    assert DuiConfig.load(path).tls is False
    path.write_text('[dui]\nadapter_url = "http://127.0.0.1:8080"\ntls = "oui"\n', encoding="utf-8")
    with pytest.raises(ConfigError):
        DuiConfig.load(path)


@pytest.mark.live
def test_psc_section_of_the_dui_configuration(tmp_path):
    path = tmp_path / "dui.toml"
    path.write_text(
        '[dui]\nadapter_url = "http://127.0.0.1:8080"\n[psc]\n'
        'connexion_url = "http://127.0.0.1:8080/psc/connexion"\n'
        'redirect_uris = ["http://127.0.0.1:8080/psc/retour"]\nattente_s = 2\n',
        encoding="utf-8",
    )
    settings = DuiConfig.load(path).psc
    assert settings.redirect_uris == ("http://127.0.0.1:8080/psc/retour",) and settings.attente_s == 2
    for bad in ("attente_s = 0", 'navigateur = "lynx"', "inconnue = 1", 'redirect_uris = "x"'):
        path.write_text('[dui]\nadapter_url = "http://x"\n[psc]\nconnexion_url = "http://x"\n' + bad, encoding="utf-8")
        with pytest.raises(ConfigError):
            DuiConfig.load(path)
