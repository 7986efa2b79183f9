"""Live Pro Santé Connect runs: the harness plays the browser from the DUI's login URL to the PSC
mock and back, asks the adapter who is logged in, and gathers the PSC traffic for the checks of
:mod:`dui_conformance.psc`.

The browser is a ``requests`` session that follows redirects and keeps cookies; a DUI whose login
page needs JavaScript can use :class:`ChromiumBrowser` (Playwright with Debian's Chromium).
"""

from __future__ import annotations

import importlib.util
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from ..psc import ExpectedProfessional, FollowUpRun, LoginRun, vihf_identity
from ..psc.exchanges import USERINFO
from ..psc.professionals import professional as psc_professional
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
        executable = chromium_path()
        if executable is None:
            raise BrowserError(f"Chromium ou Playwright absent ({CHROMIUM}) : pilote navigateur indisponible.")
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-proxy-server"]
        )
        self._page = self._browser.new_context(ignore_https_errors=ignore_https_errors).new_page()
        self.timeout = timeout

    def visit(self, url: str) -> int:
        response = self._page.goto(url, timeout=self.timeout * 1000, wait_until="load")
        return response.status if response is not None else 0

    def close(self) -> None:
        self._browser.close()
        self._playwright.stop()


def chromium_path() -> str | None:
    """The distribution's Chromium when Playwright is installed too (``pip install .[navigateur]``), else None."""
    if importlib.util.find_spec("playwright") is None:
        return None
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


class BrowserPilot:
    """Adapter mode: the harness's browser opens the DUI's login and logout URLs, the adapter says who is in."""

    def __init__(self, settings: PscSettings, adapter, verify: str, browser: str = "requests"):
        self.settings, self.adapter = settings, adapter
        self.browser = ChromiumBrowser() if browser == "chromium" else RequestsBrowser(verify=verify)
        self.logged_in = False  # a login this pilot opened and has not closed yet

    def login(self, pro) -> None:
        self.logged_in = True
        self.browser.visit(self.settings.connexion_url)

    def logout(self) -> None:
        if not self.settings.deconnexion_url:
            raise RuntimeError("URL de déconnexion du DUI absente : deconnexion_url dans la section [psc].")
        self.logged_in = False
        self.browser.visit(self.settings.deconnexion_url)

    def sessions(self, pro) -> list[dict]:
        return self.adapter.sessions()

    def held(self) -> list[dict]:
        """The DUI's sessions before the scenario's login: what earlier scenarios left."""
        return self.adapter.sessions()

    def revalidate(self, pro) -> list[dict]:
        return self.adapter.revalidate_sessions()

    def close(self) -> None:
        """The harness closes what it opened: at the end of the scenario (after its audit), the browser logs out
        of the session it opened, so that no later scenario meets it, whatever the DUI's reset closes."""
        try:
            if self.logged_in and self.settings.deconnexion_url:
                self.logout()
        except BrowserError:
            pass  # the DUI is down: the next scenario's reset and its own findings say so
        finally:
            self.browser.close()


class AttendedPilot:
    """Attended mode: the tester logs in and out in the DUI; the harness watches the PSC mock's traffic and
    asks what the screen shows (or the adapter, when the vendor implemented GET /session)."""

    def __init__(self, tester, recorder, wait_s: float, adapter=None):
        self.tester, self.recorder, self.wait_s, self.adapter = tester, recorder, wait_s, adapter

    def _await(self, operation: str) -> None:
        since = self.recorder.mark()
        if self.recorder.wait_for(lambda e: e.operation == operation, self.wait_s, since) is not None:
            time.sleep(min(1.0, self.wait_s))  # let the DUI finish the exchanges that follow

    def login(self, pro) -> None:
        self.tester.instruct(
            f"Dans le DUI, lancez la connexion par Pro Santé Connect. Le fournisseur simulé connectera "
            f"automatiquement le professionnel fictif {pro.display_name}, identifiant national {pro.id_national} "
            f"(attente maximale : {self.wait_s:g} s)."
        )
        self._await("authorize")

    def logout(self) -> None:
        self.tester.instruct(f"Déconnectez-vous du DUI (attente maximale : {self.wait_s:g} s).")
        self._await("logout")

    def sessions(self, pro) -> list[dict]:
        if self.adapter is not None:
            return self.adapter.sessions()
        if not self.tester.confirm(
            f"Le DUI affiche-t-il {pro.prenom} {pro.nom} comme connecté(e), en tant que "
            f"{pro.libelle_profession} à {pro.activites[0].raison_sociale} ?"
        ):
            return []
        first = pro.activites[0]  # the tester's account stands for the DUI's session
        return [
            {
                "idNational": pro.id_national,
                "profession": pro.profession,
                "secteurActivite": first.secteur_activite,
                "finess": first.finess_site,
                "constat": "testeur",
            }
        ]

    def held(self) -> list[dict]:
        """The DUI's sessions before the scenario's login, through the adapter; without one, none is asked of the
        tester (they log out of the DUI themselves between scenarios)."""
        return self.adapter.sessions() if self.adapter is not None else []

    def revalidate(self, pro) -> list[dict]:
        self.tester.instruct(
            "Ouvrez le dossier d'un résident dans le DUI, comme le ferait le professionnel "
            f"connecté (attente maximale : {self.wait_s:g} s)."
        )
        self._await("userinfo")
        return self.sessions(pro)

    def close(self) -> None:
        pass


@dataclass
class LoginAttempt:
    """A login and the pilot that made it (its browser's cookies carry the DUI session to the logout)."""

    run: LoginRun
    pilot: BrowserPilot | AttendedPilot | None  # None: no login possible (run.unavailable says why)
    professional: object


def expected_professional(pro) -> ExpectedProfessional:
    """What the checks expect of a professional of the fictitious directory (conformance/psc/annuaire.toml)."""
    return ExpectedProfessional(
        pro.id,
        pro.id_national,
        pro.profession,
        tuple(sorted({a.secteur_activite for a in pro.activites})),
        tuple(a.finess_site for a in pro.activites),
        f"{pro.prenom} {pro.nom}",
    )


class PscUnavailable(RuntimeError):
    """No way to log into this DUI through PSC (French message): its PSC scenarios are undecided."""


def _pilot(env) -> tuple[BrowserPilot | AttendedPilot, float]:
    """How to log in with this environment's DUI, and the watch after a bad token."""
    settings = env.psc_settings
    if hasattr(env.driver, "sessions"):
        if settings is None:
            raise PscUnavailable(
                "Connexion Pro Santé Connect non configurée : section [psc] (connexion_url…) absente "
                "de la configuration du DUI ; scénario non évalué."
            )
        return BrowserPilot(settings, env.driver, str(env.pki.root_cert), settings.navigateur), settings.attente_s
    if hasattr(env.driver, "tester"):
        wait = settings.attente_s if settings else PscSettings.attente_s
        return AttendedPilot(env.driver.tester, env.psc.recorder, env.dui_config.attente_s, env.driver.adapter), wait
    raise PscUnavailable(
        "Ce mode de pilotage ne prend pas en charge les opérations PSC de l'adaptateur "
        "(étiquette « psc » du contrat : GET /session) ; scénario non évalué."
    )


def run_login(
    env,
    professional_id: str,
    defect: str | None = None,
    rotate: bool = False,
    auth_mode: str = "e-CPS",
    acr: str = "eidas1",
) -> LoginAttempt:
    """Log ``professional_id`` into the DUI through PSC by ``auth_mode`` (the mock issues ``defect``, and tokens at
    the eIDAS level ``acr``), then ask who is logged in. Who was logged in just before is kept too: the checks judge
    only the sessions this login opened, never one an earlier scenario left (its reset and logout kept it).

    After a defect, watch the PSC mock for a userinfo call for ``attente_s`` seconds: a relying party
    that goes on after a bad token is caught even if it calls userinfo late (harness lessons §4).
    """
    psc = env.psc
    pro = psc_professional(professional_id)
    try:
        pilot, wait_s = _pilot(env)
    except PscUnavailable as exc:
        return LoginAttempt(LoginRun(expected_professional(pro), defect, [], [], unavailable=str(exc)), None, pro)
    earlier = pilot.held()
    rotated = psc.rotate_keys() if rotate else None
    plan = psc.plan_login(professional_id, auth_mode, defect, acr)
    since = env.mark()
    pilot.login(plan.professional)
    waited = 0.0
    if defect is not None:
        logins = {e.data.get("login") for e in psc.recorder.exchanges(since["psc"]) if e.operation == "authorize"}
        start = time.monotonic()
        psc.recorder.wait_for(lambda e: e.operation == USERINFO and e.data.get("login") in logins, wait_s, since["psc"])
        waited = round(time.monotonic() - start, 2)
    run = LoginRun(
        expected_professional(plan.professional),
        defect,
        env.exchanges("psc", since),
        pilot.sessions(plan.professional),
        waited,
        rotated,
        earlier=earlier,
    )
    return LoginAttempt(run, pilot, plan.professional)


def run_logout(env, attempt: LoginAttempt) -> FollowUpRun:
    """The same browser (or the tester) logs out of the DUI; then who is still logged in."""
    if attempt.pilot is None:
        return FollowUpRun(attempt.run, [], [])
    since = env.mark()
    attempt.pilot.logout()
    return FollowUpRun(attempt.run, env.exchanges("psc", since), attempt.pilot.sessions(attempt.professional))


def run_expired_access(env, attempt: LoginAttempt) -> FollowUpRun:
    """Every access token expires at the mock; the DUI revalidates its sessions (adapter or tester)."""
    if attempt.pilot is None:
        return FollowUpRun(attempt.run, [], [])
    env.psc.expire_access_tokens()
    since = env.mark()
    sessions = attempt.pilot.revalidate(attempt.professional)
    return FollowUpRun(attempt.run, env.exchanges("psc", since), sessions)


def run_refresh_death(env, attempt: LoginAttempt, how: str) -> FollowUpRun:
    """Every access token expires and every refresh token dies ``how`` at the mock (expire, invalide, revoque); the
    DUI revalidates its sessions (adapter or tester): it can only learn of the death by presenting the refresh
    token."""
    if attempt.pilot is None:
        return FollowUpRun(attempt.run, [], [])
    env.psc.expire_access_tokens()
    env.psc.kill_refresh_tokens(how)
    since = env.mark()
    sessions = attempt.pilot.revalidate(attempt.professional)
    return FollowUpRun(attempt.run, env.exchanges("psc", since), sessions)


def run_replayed_callback(env, attempt: LoginAttempt) -> FollowUpRun:
    """The authorization response that completed ``attempt`` (the mock's redirect to the DUI, same code and
    state) is delivered to the DUI once more, by the login's browser or, in attended mode, by the harness's;
    then who is logged in."""
    if attempt.pilot is None:
        return FollowUpRun(attempt.run, [], [])
    callback = attempt.run.callback()
    since = env.mark()
    if callback:
        browser = getattr(attempt.pilot, "browser", None)
        if browser is not None:
            browser.visit(callback)
        else:
            replayer = RequestsBrowser(verify=str(env.pki.root_cert))
            try:
                replayer.visit(callback)
            finally:
                replayer.close()
    return FollowUpRun(attempt.run, env.exchanges("psc", since), attempt.pilot.sessions(attempt.professional))


def submission_identities(exchanges) -> list[tuple[str, dict[str, str | None]]]:
    """(exchange id, VIHF identity) of every recorded ITI-41 submission."""
    out = []
    for e in exchanges:
        if e.operation != "ITI-41":
            continue
        content_type = next((v for k, v in e.request.headers.items() if k.lower() == "content-type"), "")
        out.append((e.id, vihf_identity(content_type, e.request.body.encode("utf-8"), e.id)))
    return out
