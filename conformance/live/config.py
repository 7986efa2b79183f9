"""How the harness reaches the DUI under test, read from a small TOML file.

[dui]
mode = "adaptateur"          # or "accompagne" (a tester performs each action)
adapter_url = "http://127.0.0.1:8080"
timeout_s = 10               # per adapter call
attente_s = 300              # attended mode: how long to wait for each action
export_dir = "exports"       # attended mode: where the tester drops exported Patients
tls = true                   # simulated services over TLS with a per-run test PKI (default: false)

[services]                   # optional: fixed ports of the simulated services
insi = 18001
dmp = 18002
psc = 18003
mss = 18004                  # MSSanté operator, SMTPS (submission)
mss_imaps = 18005            # MSSanté operator, IMAPS (retrieval)
pki = "pki"                  # test PKI folder kept between runs (reused when present, generated otherwise),
                             # so that a DUI started before the harness trusts its root and has its certificate
mtls = { insi = "exige", dmp = "exige" }  # client certificate per HTTPS service: "exige" (refused without
                             # one, as in production) or "demande" (the default: recorded, judged by GEN-11)

[mss]                        # optional: the DUI's MSSanté mailbox (an APP mailbox of conformance/psc/annuaire.toml)
bal = "dui@ehpad-les-tilleuls.mssante.fr"

[psc]                        # optional: Pro Santé Connect login of the DUI (see docs/pro-sante-connect.md)
connexion_url = "http://127.0.0.1:8080/psc/connexion"       # where a browser starts the login
deconnexion_url = "http://127.0.0.1:8080/psc/deconnexion"   # where it logs out
client_id = "dui-conformance"                               # registered at the PSC mock for this DUI
client_secret = "secret-de-test-psc"
redirect_uris = ["http://127.0.0.1:8080/psc/retour"]
post_logout_redirect_uris = ["http://127.0.0.1:8080/psc/fin-de-session"]
attente_s = 5                # after a bad token: how long to watch for a userinfo call (OIDF default)
navigateur = "requests"      # or "chromium": Playwright with Debian's Chromium, for JavaScript login pages
https = true                 # false: PSC mock in plain HTTP (default: HTTPS from the run's test PKI)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ADAPTER = "adaptateur"
ATTENDED = "accompagne"
MODES = (ADAPTER, ATTENDED)
BROWSERS = ("requests", "chromium")
REQUIRED, REQUESTED = "exige", "demande"
MTLS_VALUES = (REQUIRED, REQUESTED)
# Client certificate per HTTPS service. Production refuses the INSi téléservice and the DMP to a DUI without
# its certificate (``exige`` reproduces it, docs/tls.md); by default the mocks stay permissive: they ask for
# it and record its absence, so that GEN-11 names the defect instead of every INSi and DMP scenario failing.
MTLS_SERVICES = ("insi", "dmp", "psc")
MTLS_DEFAULTS = dict.fromkeys(MTLS_SERVICES, REQUESTED)


class ConfigError(ValueError):
    """A configuration problem the user must fix (French message)."""


@dataclass(frozen=True)
class PscSettings:
    """How the harness logs into the DUI through Pro Santé Connect (section [psc])."""

    connexion_url: str
    deconnexion_url: str | None = None
    client_id: str = "dui-conformance"
    client_secret: str = "secret-de-test-psc"
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    attente_s: float = 5.0
    https: bool = True  # false: the PSC mock serves plain HTTP (only for a DUI that cannot be given a root yet)
    navigateur: str = (
        "requests"  # or "chromium" (Playwright + /usr/bin/chromium) for a login page that needs JavaScript
    )

    def __post_init__(self) -> None:
        if not isinstance(self.https, bool):
            raise ConfigError("[psc] https doit valoir true ou false.")
        if self.navigateur not in BROWSERS:
            raise ConfigError(f"[psc] navigateur « {self.navigateur} » inconnu : choisir parmi {', '.join(BROWSERS)}.")

    @classmethod
    def from_toml(cls, path: Path, section: object) -> PscSettings:
        if not isinstance(section, dict) or not isinstance(section.get("connexion_url"), str):
            raise ConfigError(f"{path} : [psc] exige connexion_url (URL où un navigateur commence la connexion).")
        unknown = set(section) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{path} : clés inconnues dans [psc] : {', '.join(sorted(unknown))}.")
        lists = ("redirect_uris", "post_logout_redirect_uris")
        if not all(isinstance(section.get(k, []), list) for k in lists):
            raise ConfigError(f"{path} : [psc] redirect_uris et post_logout_redirect_uris sont des listes d'URL.")
        try:
            wait = float(section.get("attente_s", 5.0))
        except (TypeError, ValueError):
            raise ConfigError(f"{path} : [psc] attente_s doit être un nombre de secondes.") from None
        if not 0 < wait <= 60:
            raise ConfigError(f"{path} : [psc] attente_s doit être entre 0 et 60 secondes.")
        return cls(**{**section, **{k: tuple(section.get(k, [])) for k in lists}, "attente_s": wait})


@dataclass(frozen=True)
class DuiConfig:
    mode: str = ADAPTER
    adapter_url: str | None = None
    timeout_s: float = 10.0
    attente_s: float = 300.0
    export_dir: Path | None = None
    ports: dict[str, int] = field(default_factory=dict)
    psc: PscSettings | None = None
    tls: bool = False  # false: plain HTTP, and the report says transport security was not evaluated
    pki: Path | None = None  # persistent test PKI folder ([services] pki); None: a fresh PKI per run
    mss_mailbox: str | None = None  # [mss] bal; None: the reference DUI's mailbox
    mtls: dict[str, str] = field(default_factory=dict)  # [services] mtls: service -> "exige" | "demande"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"Mode « {self.mode} » inconnu : choisir parmi {', '.join(MODES)}.")
        if self.mode == ADAPTER and not self.adapter_url:
            raise ConfigError("Le mode « adaptateur » exige adapter_url (URL de l'adaptateur de test du DUI).")
        if self.mode == ATTENDED and self.export_dir is None and not self.adapter_url:
            raise ConfigError("Le mode « accompagne » exige export_dir (dossier des exports Patient) ou adapter_url.")
        for name in ("timeout_s", "attente_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} doit être un nombre de secondes positif.")

    @classmethod
    def load(cls, path: str | Path) -> DuiConfig:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"Configuration DUI illisible ({path}) : {exc}") from exc
        section = data.get("dui")
        if not isinstance(section, dict):
            raise ConfigError(f"{path} : section [dui] absente.")
        unknown = set(section) - {"mode", "adapter_url", "timeout_s", "attente_s", "export_dir", "tls"}
        if unknown:
            raise ConfigError(f"{path} : clés inconnues dans [dui] : {', '.join(sorted(unknown))}.")
        try:
            timeout_s = float(section.get("timeout_s", 10.0))
            attente_s = float(section.get("attente_s", 300.0))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{path} : durée invalide dans [dui] : {exc}") from exc
        export_dir = section.get("export_dir")
        tls = section.get("tls", False)
        if not isinstance(tls, bool):
            raise ConfigError(f"{path} : tls attend true ou false.")
        ports = dict(data.get("services", {})) if isinstance(data.get("services", {}), dict) else None
        pki = ports.pop("pki", None) if ports is not None else None
        mtls = ports.pop("mtls", {}) if ports is not None else {}
        if not isinstance(mtls, dict) or set(mtls) - set(MTLS_DEFAULTS) or set(mtls.values()) - set(MTLS_VALUES):
            raise ConfigError(
                f"{path} : [services] mtls attend, pour {', '.join(MTLS_DEFAULTS)}, « exige » ou « demande » "
                '(ex. mtls = { insi = "exige" }).'
            )
        if ports is None or not all(isinstance(v, int) and 0 < v < 65536 for v in ports.values()):
            raise ConfigError(f"{path} : [services] attend des numéros de port (ex. insi = 18001).")
        if pki is not None and (not isinstance(pki, str) or not pki.strip()):
            raise ConfigError(f'{path} : [services] pki attend un dossier (ex. pki = "pki").')
        mss = data.get("mss", {})
        if not isinstance(mss, dict) or set(mss) - {"bal"} or not isinstance(mss.get("bal", ""), str):
            raise ConfigError(f'{path} : [mss] n\'accepte que bal = "adresse@….mssante.fr".')
        return cls(
            mode=section.get("mode", ADAPTER),
            adapter_url=section.get("adapter_url"),
            timeout_s=timeout_s,
            attente_s=attente_s,
            # a relative export folder is relative to the configuration file, not to the cwd
            export_dir=(path.parent / export_dir) if export_dir else None,
            ports=ports,
            psc=PscSettings.from_toml(path, data["psc"]) if "psc" in data else None,
            tls=tls,
            # relative to the configuration file, like export_dir
            pki=(path.parent / pki) if pki else None,
            mss_mailbox=mss.get("bal"),
            mtls=mtls,
        )
