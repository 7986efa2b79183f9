"""Live Pro Santé Connect runs: the harness plays the browser from the DUI's login URL to the PSC
mock and back, asks the adapter who is logged in, and gathers the PSC traffic for the checks of
:mod:`dui_conformance.psc`.

The browser is a ``requests`` session that follows redirects and keeps cookies; a DUI whose login
page needs JavaScript can use :class:`ChromiumBrowser` (Playwright with Debian's Chromium).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from ..psc import ExpectedProfessional, FollowUpRun, LoginRun, vihf_identity
from ..psc.checks import USERINFO
from .config import PscSettings

CHROMIUM = "/usr/bin/chromium"
MAX_REDIRECTS = 20


class BrowserError(RuntimeError):
    """The browser could not reach a page (French message): a harness-side or DUI-side outage."""


class RequestsBrowser:
    """A browser without JavaScript: follows redirects, keeps cookies, trusts the test PKI's root."""

    def __init__(self, verify: str | bool = True, timeout: float = 10.0):
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = verify
        self.session.max_redirects = MAX_REDIRECTS
        self.timeout = timeout

    def visit(self, url: str) -> int:
        """Open ``url`` and follow every redirect; the final HTTP status."""
        try:
            return self.session.get(url, timeout=self.timeout).status_code
        except requests.RequestException as exc:
            raise BrowserError(f"Navigation vers {url} impossible : {exc}") from None

    def close(self) -> None:
        self.session.close()


class ChromiumBrowser:
    """Playwright driving the distribution's Chromium (Playwright cannot download browsers here)."""

    def __init__(self, ignore_https_errors: bool = True, timeout: float = 10.0):
        if not chromium_available():
            raise BrowserError(f"Chromium ou Playwright absent ({CHROMIUM}) : pilote navigateur indisponible.")
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        self._page = self._browser.new_context(ignore_https_errors=ignore_https_errors).new_page()
        self.timeout = timeout

    def visit(self, url: str) -> int:
        response = self._page.goto(url, timeout=self.timeout * 1000, wait_until="load")
        return response.status if response is not None else 0

    def close(self) -> None:
        self._browser.close()
        self._playwright.stop()


def chromium_available() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


@dataclass
class LoginAttempt:
    """A login and the browser that made it (its cookies carry the DUI session to the logout)."""

    run: LoginRun
    browser: RequestsBrowser | ChromiumBrowser


def expected_professional(pro) -> ExpectedProfessional:
    """What the checks expect of a professional of the fictitious directory (mocks/common/annuaire.toml)."""
    return ExpectedProfessional(pro.id, pro.id_national, pro.profession,
                                tuple(sorted({a.secteur_activite for a in pro.activites})),
                                tuple(a.finess_site for a in pro.activites), f"{pro.prenom} {pro.nom}")


def _settings(env) -> PscSettings:
    if env.psc_settings is None:
        raise RuntimeError("Connexion Pro Santé Connect non configurée : section [psc] (connexion_url…) absente de la "
                           "configuration du DUI.")
    if not hasattr(env.driver, "sessions"):
        raise RuntimeError("Ce mode de pilotage ne prend pas en charge les opérations PSC de l'adaptateur "
                           "(étiquette « psc » du contrat : GET /session).")
    return env.psc_settings


def run_login(env, professional_id: str, defect: str | None = None, rotate: bool = False) -> LoginAttempt:
    """Log ``professional_id`` into the DUI through PSC (the mock issues ``defect``), then ask who is logged in.

    After a defect, watch the PSC mock for a userinfo call for ``attente_s`` seconds: a relying party
    that goes on after a bad token is caught even if it calls userinfo late (harness lessons §4).
    """
    settings, psc = _settings(env), env.psc
    rotated = psc.rotate_keys() if rotate else None
    plan = psc.plan_login(professional_id, defect=defect)
    since = env.mark()
    browser = RequestsBrowser(verify=str(psc.pki.root_cert))
    browser.visit(settings.connexion_url)
    waited = 0.0
    if defect is not None:
        logins = {e.data.get("login") for e in psc.recorder.exchanges(since["psc"]) if e.operation == "authorize"}
        start = time.monotonic()
        psc.recorder.wait_for(lambda e: e.operation == USERINFO and e.data.get("login") in logins,
                              settings.attente_s, since["psc"])
        waited = round(time.monotonic() - start, 2)
    run = LoginRun(expected_professional(plan.professional), defect, env.exchanges("psc", since),
                   env.driver.sessions(), waited, rotated)
    return LoginAttempt(run, browser)


def run_logout(env, attempt: LoginAttempt) -> FollowUpRun:
    """The same browser opens the DUI's logout URL; then who is still logged in."""
    settings = _settings(env)
    if not settings.deconnexion_url:
        raise RuntimeError("URL de déconnexion du DUI absente : deconnexion_url dans la section [psc].")
    since = env.mark()
    attempt.browser.visit(settings.deconnexion_url)
    return FollowUpRun(attempt.run, env.exchanges("psc", since), env.driver.sessions())


def run_expired_access(env, attempt: LoginAttempt) -> FollowUpRun:
    """Every access token expires at the mock; the DUI revalidates its sessions (adapter)."""
    _settings(env)
    env.psc.expire_access_tokens()
    since = env.mark()
    sessions = env.driver.revalidate_sessions()
    return FollowUpRun(attempt.run, env.exchanges("psc", since), sessions)


def submission_identities(exchanges) -> list[tuple[str, dict[str, str | None]]]:
    """(exchange id, VIHF identity) of every recorded ITI-41 submission."""
    out = []
    for e in exchanges:
        if e.operation != "ITI-41":
            continue
        content_type = next((v for k, v in e.request.headers.items() if k.lower() == "content-type"), "")
        out.append((e.id, vihf_identity(content_type, e.request.body.encode("utf-8"), e.id)))
    return out
