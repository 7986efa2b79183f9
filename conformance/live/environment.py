"""The live session: national-service mocks on loopback, the DUI driver, and the file telling a
vendor's test build where the mocks listen (``services-simules.json``).

Mocks are a dict of named services so that DMP, MSSanté and PSC mocks plug in next to the
INSi one; steps reach everything through one :class:`LiveEnvironment`.
"""

from __future__ import annotations

import json
import shutil
import ssl
import tempfile
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

# The live-environment seam: the one place where the library starts the mocks.
from dui_conformance.mocks.common import MockService, TestPki
from dui_conformance.mocks.common.legacy_tls import legacy_only
from dui_conformance.mocks.dmp import DmpMock
from dui_conformance.mocks.dui import ReferenceDui
from dui_conformance.mocks.insi import InsiMock
from dui_conformance.mocks.mss import MssMock
from dui_conformance.mocks.mss.auth import psc_reader
from dui_conformance.mocks.psc import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, PscMock

from ..exchanges import TLS_REFUSED, Exchange
from ..files import write_atomically
from ..ins.insi_request import check_insi_exchange
from ..model import Finding, Outcome
from ..mss.submission import check_submission
from ..psc import judge_exchanges as judge_psc_exchanges
from ..xds.dmp_requests import check_dmp_exchange
from .adapter import AdapterClient, AdapterError, UnknownServiceLabel
from .attended import AttendedDriver, TerminalTester, Tester, terminal_available
from .config import ATTENDED, MTLS_DEFAULTS, REQUIRED, ConfigError, DuiConfig, PscSettings
from .driver import DuiDriver
from .ins import AdmissionRun
from .mss import DUI_MAILBOX
from .mss_auth import api_lps
from .personas import LivePersona, extra_personas, live_personas

SERVICES_FILE = "services-simules.json"
MSS = "mss"  # the MSSanté operator: SMTP/IMAP, always over TLS with the run's PKI (port: its SMTPS one)
MSS_PORTS = {MSS: "smtps", "mss_imaps": "imaps"}  # [services] key -> port of the MSSanté mock


def _insi(port: int = 0, ssl_context: ssl.SSLContext | None = None) -> InsiMock:
    """The INSi mock with the live scenarios' extra personas (perfect homonyms)."""
    mock = InsiMock(port=port, ssl_context=ssl_context)
    extra = extra_personas()
    clash = {p.id for p in mock.personas} & {p.id for p in extra}
    if clash:
        raise ValueError(f"Identités fictives définies deux fois : {', '.join(sorted(clash))}.")
    mock.personas = mock.personas + extra
    return mock


# service name -> factory of an unstarted mock on a port (0: any free one), over TLS when given a server
# context; later services add theirs.
MOCK_FACTORIES: dict[str, Callable[..., MockService]] = {
    "insi": _insi,
    "dmp": lambda port, ssl_context=None: DmpMock(port=port, ssl_context=ssl_context),
    "psc": lambda port, ssl_context=None: PscMock(port=port, ssl_context=ssl_context),
}
# The reference DUI answers the PSC callback only after its token and userinfo calls: a short watch suffices.
REFERENCE_PSC_WAIT_S = 0.1

ExchangeJudge = Callable[[Sequence[Exchange]], list[Finding]]
"""The library's judgement of the exchanges one simulated service recorded during a scenario."""


def each(check: Callable[[Exchange], list[Finding]]) -> ExchangeJudge:
    """The judge that applies a check of one exchange to every exchange, in order."""

    def judge(exchanges: Sequence[Exchange]) -> list[Finding]:
        return [finding for exchange in exchanges for finding in check(exchange)]

    return judge


# service name -> its judge; every mock has one, so that no exchange of a scenario goes unjudged.
EXCHANGE_JUDGES: dict[str, ExchangeJudge] = {
    "insi": each(check_insi_exchange),
    "dmp": each(check_dmp_exchange),
    "psc": judge_psc_exchanges,
    MSS: each(check_submission),
}
FAILING = (Outcome.FAIL, Outcome.ERROR)


class LiveEnvironment:
    """``with LiveEnvironment(...) as env:`` — everything a live scenario needs.

    - ``dui_config``: drive the vendor's DUI (adapter or attended mode, see :class:`DuiConfig`);
    - ``reference_defects``: start the harness's reference DUI with these defects and drive it
      through the adapter (``demo`` and the harness's self-test; an empty set = correct DUI);
    - neither: mocks only (``driver`` is None).

    ``services_file`` is where the mock URLs are written (default: a temporary folder removed
    on close). ``ports`` fixes a mock's port (service name -> port) so that a vendor's test
    build can be configured before the run; by default, and for the others, any free port.

    ``tls`` serves every mock over HTTPS with a test PKI generated for this run (its files are
    listed in ``services-simules.json``); default: the DUI configuration's ``tls`` (plain HTTP
    without one). The reference DUI then trusts only the PKI's root and presents its client certificate.
    ``pki_dir`` (default: the configuration's ``[services] pki``) keeps that PKI in a folder across runs,
    for a DUI configured before the run; without it, a fresh PKI per run, removed on close.
    """

    def __init__(
        self,
        dui_config: DuiConfig | None = None,
        reference_defects: frozenset[str] | None = None,
        services_file: str | Path | None = None,
        tester: Tester | None = None,
        ports: dict[str, int] | None = None,
        tls: bool | None = None,
        pki_dir: str | Path | None = None,
    ):
        if dui_config is not None and reference_defects is not None:
            raise ValueError("Choisir soit le DUI testé (dui_config), soit le DUI de référence (reference_defects).")
        self.dui_config = dui_config
        self.reference_defects = reference_defects
        self.tester = tester
        self.ports = dict(ports or (dui_config.ports if dui_config else {}))
        unknown = set(self.ports) - set(MOCK_FACTORIES) - set(MSS_PORTS)
        if unknown:
            raise ConfigError(
                f"Services simulés inconnus : {', '.join(sorted(unknown))} "
                f"(connus : {', '.join([*MOCK_FACTORIES, *MSS_PORTS])})."
            )
        pki = pki_dir or (dui_config.pki if dui_config else None)
        # absolute: services-simules.json gives the DUI these paths, and the DUI does not run from our folder
        self.pki_dir = Path(pki).absolute() if pki else None
        self.mss_mailbox = (dui_config.mss_mailbox if dui_config else None) or DUI_MAILBOX
        self._own_dir: Path | None = None  # the temporary folder of services-simules.json, removed on close
        if services_file:
            self.services_file = Path(services_file)
        else:
            self._own_dir = Path(tempfile.mkdtemp(prefix="dui-conformance-"))
            self.services_file = self._own_dir / SERVICES_FILE
        self.tls = tls if tls is not None else bool(dui_config and dui_config.tls)
        self.mtls = {**MTLS_DEFAULTS, **(dui_config.mtls if dui_config else {})}
        self.pki: TestPki | None = None
        self._own_pki: Path | None = None  # the temporary PKI folder, removed on close
        self._contexts: list[ssl.SSLContext] = []
        self.mocks: dict[str, MockService | MssMock] = {}
        self.reference: ReferenceDui | None = None
        self.driver: DuiDriver | None = None
        self.personas: dict[str, LivePersona] = {}
        self.psc_settings: PscSettings | None = dui_config.psc if dui_config else None
        self._scenario_start: dict[str, int] | None = None  # mark() at the last reset
        self._own_tester: TerminalTester | None = None

    def __enter__(self) -> LiveEnvironment:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        # MSSanté is TLS-only, so the PKI always exists; ``tls`` decides for the HTTP services.
        if self.pki_dir:
            self.pki = TestPki(self.pki_dir, reuse=True)
        else:  # known before its keys are made: an interruption meanwhile still removes it
            self._own_pki = Path(tempfile.mkdtemp(prefix="dui-conformance-pki-"))
            self.pki = TestPki(self._own_pki)
        for name, factory in MOCK_FACTORIES.items():
            options = {}
            if self.tls or (name == "psc" and (self.psc_settings is None or self.psc_settings.https)):
                # PSC is HTTPS as in production unless the DUI configuration asks for plain HTTP
                options["ssl_context"] = self.pki.server_context(
                    client_certificate_required=self.mtls[name] == REQUIRED
                )
                self._contexts.append(options["ssl_context"])
            mock = self.mocks[name] = factory(self.ports.get(name, 0), **options)
            mock.start()
        # the operator reads bearer tokens as Pro Santé Connect issued them (keys, states: SC.MSS/CONF.07, CONF.10)
        self.mocks[MSS] = MssMock(
            self.pki,
            ports={port: self.ports.get(key, 0) for key, port in MSS_PORTS.items()},
            token_reader=psc_reader(self.psc.keys.verify, self.psc.token_status, api_lps().azp_allowed),
        )
        self.mocks[MSS].start()
        self.personas = live_personas(self.insi.personas)
        self.services_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.services_file, json.dumps(self.services(), ensure_ascii=False, indent=2).encode("utf-8"))
        config = self.dui_config
        if self.reference_defects is not None:
            dmp_url = self.mocks["dmp"].url if "dmp" in self.mocks else None
            psc = {
                "discovery_url": self.psc.discovery_url,
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "verify": str(self.pki.root_cert),
            }
            self.reference = ReferenceDui(
                self.insi.url,
                self.reference_defects,
                dmp_url=dmp_url,
                psc=psc,
                tls=self.pki.files() if self.tls else None,
                mss_urls=self.mss.urls,
                mss_tls=self.pki.files(),
            )
            url = self.reference.start()
            self.psc_settings = PscSettings(
                url + "/psc/connexion",
                url + "/psc/deconnexion",
                redirect_uris=(url + "/psc/retour",),
                post_logout_redirect_uris=(url + "/psc/fin-de-session",),
                attente_s=REFERENCE_PSC_WAIT_S,
            )
            self.driver = AdapterClient(url)
        elif config is not None and config.mode == ATTENDED:
            if self.tester is None:
                if not terminal_available():
                    raise ConfigError(
                        "Le mode « accompagne » exige un terminal : un testeur doit lire les actions "
                        "et y répondre. Lancez la commande dans un terminal interactif, ou utilisez le "
                        "mode « adaptateur »."
                    )
                self.tester = self._own_tester = TerminalTester()
            adapter = AdapterClient(config.adapter_url, config.timeout_s) if config.adapter_url else None
            self.driver = AttendedDriver(self.insi.recorder, config, self.tester, adapter, dmp=self.dmp, mss=self.mss)
        elif config is not None and config.adapter_url:  # adapter mode: its URL is required (DuiConfig)
            self.driver = AdapterClient(config.adapter_url, config.timeout_s)
        if self.psc_settings is not None:
            settings = self.psc_settings
            self.psc.register_client(
                settings.client_id,
                settings.client_secret,
                list(settings.redirect_uris),
                list(settings.post_logout_redirect_uris),
            )

    def preflight(self) -> None:
        """Before any scenario: the vendor's adapter answers ``GET /sante``, else one usage error (exit 2)."""
        adapter = self.driver if isinstance(self.driver, AdapterClient) else getattr(self.driver, "adapter", None)
        if adapter is None or self.reference is not None:
            return
        try:
            adapter.health()
        except UnknownServiceLabel:
            return  # the adapter answers: the scenarios that read its labels report the unknown one
        except AdapterError as exc:
            raise ConfigError(
                f"l'adaptateur du DUI ne répond pas à {adapter.base_url}/sante ({exc}). Démarrez la "
                "version de test du DUI et son adaptateur, ou corrigez adapter_url."
            ) from None

    def close(self) -> None:
        if isinstance(self.driver, AdapterClient):
            self.driver.close()
        if self._own_tester is not None:
            self._own_tester.close()
        if self.reference is not None:
            self.reference.stop()
        for mock in reversed(list(self.mocks.values())):
            mock.stop()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
        if self._own_pki is not None:
            shutil.rmtree(self._own_pki, ignore_errors=True)

    # --- what steps and reports use ----------------------------------------------------------

    def reset(self) -> None:
        """Start a scenario from scratch: the DUI (through its driver) and every simulated service."""
        for mock in self.mocks.values():
            mock.reset()
        if self.driver is not None:
            self.driver.reset()
        self._scenario_start = self.mark()

    def audit(self) -> list[Finding]:
        """Every failure the library finds in what each mock recorded since the last :meth:`reset`, whichever
        step caused the exchange (a second submission, a retry…), so that no exchange of a scenario goes unjudged."""
        if self._scenario_start is None:
            return []
        return [
            finding
            for name in self.mocks
            for finding in EXCHANGE_JUDGES[name](self.exchanges(name, self._scenario_start))
            if finding.outcome in FAILING
        ]

    @property
    def insi(self) -> InsiMock:
        return cast(InsiMock, self.mocks["insi"])

    @property
    def dmp(self) -> DmpMock:
        return cast(DmpMock, self.mocks["dmp"])

    @property
    def psc(self) -> PscMock:
        return cast(PscMock, self.mocks["psc"])

    @property
    def mss(self) -> MssMock:
        return cast(MssMock, self.mocks[MSS])

    def services(self) -> dict[str, Any]:
        """Content of services-simules.json: each mock's base endpoint, each of its operations' URL, its exchange
        log, and the test PKI's files when it is served over TLS."""
        tls = self.pki.files() if self.pki and self.tls else None
        services = {}
        for name, mock in self.mocks.items():
            services[name] = {"url": mock.url, "echanges": f"{mock.base_url}/_harness/exchanges", "tls": tls}
            endpoints = getattr(mock, "endpoints", None)  # each operation or transaction by name
            if endpoints is not None:
                services[name]["points_d_acces"] = endpoints()
        if self.pki is None:  # not started: no mock either
            return services
        if MSS in self.mocks:
            services[MSS].update(self.mss.urls, tls=self.pki.files())
        if "psc" in self.mocks:
            services["psc"].update(
                {
                    "decouverte": self.psc.discovery_url,
                    "racine": str(self.pki.root_cert),
                    "client_id": (self.psc_settings.client_id if self.psc_settings else DEFAULT_CLIENT_ID),
                }
            )
        return services

    @contextmanager
    def untrusted_certificates(self):
        """Every mock presents a certificate from another root for new connections (the mocks close each
        TLS connection after one request), then its own again."""
        if not self.tls:
            raise RuntimeError("Services simulés sans TLS : aucun certificat à remplacer.")
        for ctx in self._contexts:
            ctx.load_cert_chain(self.pki.other_server_cert, self.pki.other_server_key)
        try:
            yield
        finally:
            for ctx in self._contexts:
                ctx.load_cert_chain(self.pki.server_cert, self.pki.server_key)

    @contextmanager
    def legacy_tls(self):
        """Every mock served over HTTPS accepts only TLS 1.0/1.1 for new connections, then its own versions again."""
        if not self.tls:
            raise RuntimeError("Services simulés sans TLS : aucune version de TLS à restreindre.")
        with legacy_only(self._contexts):
            yield

    def urls(self) -> dict[str, str]:
        return {name: mock.url for name, mock in self.mocks.items()}

    def mark(self) -> dict[str, int]:
        """Positions to pass to :meth:`exchanges` to see only what happens from now on."""
        return {name: mock.recorder.mark() for name, mock in self.mocks.items()}

    def exchanges(self, service: str | None = None, since: dict[str, int] | None = None) -> list[Exchange]:
        """What the DUI sent (handshakes refused for want of its certificate are not requests: see
        :meth:`refused_handshakes`)."""
        return [e for e in self._recorded(service, since) if e.operation != TLS_REFUSED]

    def refused_handshakes(self, service: str | None = None) -> list[Exchange]:
        """The connections of this scenario a service refused for want of the DUI's certificate (``mtls``)."""
        return [e for e in self._recorded(service, self._scenario_start) if e.operation == TLS_REFUSED]

    def _recorded(self, service: str | None, since: dict[str, int] | None) -> list[Exchange]:
        names = [service] if service else list(self.mocks)
        return [e for name in names for e in self.mocks[name].recorder.exchanges((since or {}).get(name, 0))]

    def admit(self, persona_id: str, by_vitale: bool = False, id_document: str | None = None) -> AdmissionRun:
        """Admit a persona through the driver and gather the INSi traffic and the export it caused."""
        if self.driver is None:
            raise RuntimeError("Aucun DUI à piloter : environnement démarré sans DUI (simulateurs seuls).")
        try:
            persona = self.personas[persona_id]
        except KeyError:
            raise KeyError(f"Résident fictif « {persona_id} » inconnu (connus : {', '.join(self.personas)}).") from None
        card = persona.card if by_vitale else None
        if by_vitale and card is None:
            raise ValueError(f"Le résident fictif « {persona_id} » n'a pas de carte Vitale.")
        since = self.mark()
        if card is not None:
            admission = self.driver.admit_by_vitale(card, id_document)
        else:
            admission = self.driver.admit_by_traits(persona.traits, id_document)
        patient = self.driver.patient(admission) if admission.resident_id else None
        return AdmissionRun(
            admission,
            self.exchanges("insi", since),
            patient,
            persona.expected(by_vitale),
            id_document,
            card,
        )
