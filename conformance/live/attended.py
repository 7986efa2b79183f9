"""Attended mode: for a DUI without the test adapter, a tester performs each action by hand.

The harness prints the action in French, then waits (bounded) for the exchange it must cause
at the mock (INSi for an admission, DMP for a feed or an integration); the exported FHIR
Patient is read from a folder the tester drops it in, or from the adapter when the vendor
implemented only that part of it. What traffic cannot tell (an error shown on screen, the
record a document was filed in) is asked to the tester. A DUI that stays silent yields the
records of a DUI that did nothing, so the checks, not the harness, judge it.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from email import message_from_bytes, policy
from itertools import count
from pathlib import Path
from typing import Any, Protocol

from lxml import etree
from rich.console import Console
from rich.markup import escape

from ..exchanges import Exchange, ExchangeRecorder
from ..mss import MimeProblem, is_mdn, parse_message
from ..xds import ebrim
from ..xmlsafe import XmlProblem
from .adapter import AdapterClient
from .config import DuiConfig
from .dmp import ITI18, ITI41, ITI43, PENDING, VSM_TYPE
from .driver import Admission, DmpAnswer, Traits, VitaleCard
from .mss import DUI_MAILBOX, TO_RESEND, document_id, is_error_mdn
from .mss_auth import is_session_event

# After the first INSi request, how long without a new one before the DUI is deemed done retrying.
SETTLE_S = 3.0
POLL_S = 0.2
MAX_EXPORT_BYTES = 5 * 1024 * 1024
MAX_ANSWERS = 3  # invalid answers to a numbered question before giving up
ABORT = "abandon"  # answer to any question that stops the run
SENT, REFUSED = "envoye", "refuse"
_TITLE = "rim:Name/rim:LocalizedString/@value"
_TYPE_CODE = f"rim:Classification[@classificationScheme='{ebrim.DE_TYPE}']/@nodeRepresentation"
_CREATED = "rim:Slot[@name='creationTime']/rim:ValueList/rim:Value/text()"
# What a record may show of the DMP (VueDmp.statutDmp of the adapter contract), as the tester reads it on screen.
DMP_STATES = (
    ("ouvert", "DMP ouvert, accès autorisé"),
    ("absent", "pas de DMP"),
    ("acces-refuse", "accès au DMP refusé"),
    ("opposition", "opposition du résident"),
    ("non-interroge", "DMP non interrogé (identité non qualifiée)"),
)


class AttendedError(RuntimeError):
    """The tester's export or answer could not be used (French message)."""


class AbortedByTester(AttendedError):
    """The tester stopped the run: a harness-side end, not a verdict on the DUI."""


class Tester(Protocol):
    """The person at the DUI's keyboard; ``ask`` answered « abandon » (or AbortedByTester raised) stops the run.

    A tester may also offer ``countdown(seconds_left)``, called about once a second while the harness waits
    for the DUI's traffic."""

    def instruct(self, message: str) -> None: ...

    def confirm(self, question: str) -> bool: ...

    def ask(self, question: str) -> str: ...


TTY = "/dev/tty"
YES, NO = ("o", "oui", "y", "yes"), ("n", "non", "no")


def terminal_available(path: str = TTY) -> bool:
    """Whether a tester can be reached: the process has a controlling terminal."""
    try:
        with open(path, "rb"):
            return True
    except OSError:
        return False


class TerminalTester:
    """Talks to the tester on the controlling terminal (``/dev/tty``), never on stdin/stdout: the plan runs
    inside pytest, which captures both."""

    def __init__(self, path: str = TTY) -> None:
        try:
            self._in = open(path, encoding="utf-8", errors="replace")
            self._out = open(path, "w", encoding="utf-8")
        except OSError as exc:
            raise AttendedError(f"Le mode accompagné exige un terminal ({path} inaccessible : {exc}).") from None
        self.console = Console(file=self._out, force_terminal=True, highlight=False, soft_wrap=True)

    def close(self) -> None:
        self._in.close()
        self._out.close()

    def instruct(self, message: str) -> None:
        self.console.print(f"\n[bold cyan]Action à réaliser dans le DUI[/] : {escape(message)}")

    def countdown(self, seconds_left: float) -> None:
        self._out.write(f"\r  attente : {seconds_left:4.0f} s restantes ")
        self._out.flush()

    def _line(self, question: str) -> str:
        self.console.print(f"\n[bold]{escape(question)}[/] ", end="")
        self._out.flush()
        line = self._in.readline()
        if not line:
            raise AbortedByTester("Terminal fermé : test arrêté.")
        return line.strip()

    def confirm(self, question: str) -> bool:
        for _ in range(MAX_ANSWERS):
            answer = self._line(f"{question} [o/n]").lower()
            if answer == ABORT:
                raise AbortedByTester("Test arrêté par le testeur.")
            if answer in YES or answer in NO:
                return answer in YES
        raise AttendedError(f"Pas de réponse utilisable après {MAX_ANSWERS} essais : « o » ou « n » attendu.")

    def ask(self, question: str) -> str:
        answer = self._line(question)
        if answer.lower() == ABORT:
            raise AbortedByTester("Test arrêté par le testeur.")
        return answer


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _document(id_document: str | None) -> str:
    return f", sur présentation de la pièce d'identité « {id_document} »" if id_document else ", sans pièce d'identité"


def _date(creation_time: str | None) -> str:
    """An XDS creationTime (AAAAMMJJhhmmss) as a French screen shows it: « 20/11/2026 14:30 »."""
    t = creation_time or ""
    if not re.fullmatch(r"\d{8}(\d{4}(\d{2})?)?", t):
        return t or "date inconnue"
    return f"{t[6:8]}/{t[4:6]}/{t[:4]}" + (f" {t[8:10]}:{t[10:12]}" if len(t) >= 12 else "")


def _smtp(exchange: Exchange) -> bool:
    """A submission the DUI made: a message, or a recipient the operator refused (not its authentication)."""
    return exchange.request.method == "SMTP" and not is_session_event(exchange)


class RegistryEntry(Protocol):
    """A document the simulated DMP registered: its CDA uniqueId and its stored ebRIM metadata."""

    @property
    def unique_id(self) -> str: ...

    @property
    def metadata(self) -> etree._Element: ...


class Registry(Protocol):
    def get(self, entry_uuid: str) -> RegistryEntry | None: ...

    def by_unique_id(self, unique_id: str) -> RegistryEntry | None: ...

    def find(self, patient_id: str, statuses: set[str] | None = None) -> Sequence[RegistryEntry]: ...


class RecordedDmp(Protocol):
    """What the attended driver reads of the simulated DMP (``LiveEnvironment`` hands it the mock)."""

    @property
    def recorder(self) -> ExchangeRecorder: ...

    @property
    def store(self) -> Registry: ...


class DeliveredMessage(Protocol):
    @property
    def uid(self) -> int: ...

    @property
    def data(self) -> bytes: ...

    @property
    def received(self) -> float: ...


class Mailboxes(Protocol):
    def messages(self, address: str) -> Sequence[DeliveredMessage]: ...


class RecordedMss(Protocol):
    """What the attended driver reads of the simulated MSSanté operator (``LiveEnvironment`` hands it the mock)."""

    @property
    def recorder(self) -> ExchangeRecorder: ...

    @property
    def store(self) -> Mailboxes: ...


class AttendedDriver:
    """Implements :class:`~dui_conformance.live.driver.DuiDriver`, :class:`~dui_conformance.live.driver.DmpDriver` and
    :class:`~dui_conformance.live.driver.MssDriver` through a human tester (DMP operations need ``dmp``, the DMP
    mock the DUI talks to; MSSanté ones ``mss``)."""

    def __init__(
        self,
        recorder: ExchangeRecorder,
        config: DuiConfig,
        tester: Tester,
        adapter: AdapterClient | None = None,
        dmp: RecordedDmp | None = None,
        mss: RecordedMss | None = None,
    ):
        self.recorder = recorder
        self.config = config
        self.tester = tester
        self.adapter = adapter
        self.dmp = dmp
        self.mss = mss
        self.settle_s = SETTLE_S
        self._numbers = count(1)
        self._who: dict[str, str] = {}
        self._doc_numbers = count(1)
        self._documents: dict[str, list[dict[str, Any]]] = {}  # resident id → documents produced for the DMP
        self._received: dict[str, list[dict[str, Any]]] = {}  # resident id → DMP/MSS documents filed in its record
        self._sendings: dict[str, list[dict[str, Any]]] = {}  # resident id → MSSanté messages it sent
        self._fetched: set[tuple[int, float]] = set()  # messages of the DUI's mailbox fetch_mss already handled
        self._opened: dict[str, list[Exchange]] = {}  # resident id → DMP traffic of the last opening of its record
        self._unfiled: list[dict[str, Any]] = []  # documents read by fetch_mss and filed in no record

    def admit_by_traits(self, traits: Traits, id_document: str | None = None) -> Admission:
        who = traits.describe()
        message = (
            f"Admettez {who} en saisissant ses traits{_document(id_document)}, puis lancez "
            "l'interrogation du téléservice INSi."
        )
        return self._admit(who, message)

    def admit_by_vitale(self, card: VitaleCard, id_document: str | None = None) -> Admission:
        who = (
            f"le titulaire de la carte Vitale de test {card.matricule} {card.key} "
            f"({card.birth_name}, né(e) le {card.birth_date})"
        )
        message = (
            f"Admettez {who} en lisant sa carte{_document(id_document)}, puis lancez l'interrogation "
            "du téléservice INSi avec la carte."
        )
        return self._admit(who, message)

    def _admit(self, who: str, message: str) -> Admission:
        since = self.recorder.mark()
        self.tester.instruct(f"{message} (attente maximale : {self.config.attente_s:g} s)")
        problem = None
        if self._wait_for(self.recorder, lambda e: True, self.config.attente_s, since) is not None:
            self._settle(self.recorder, since)
            if self.tester.confirm("Le DUI a-t-il affiché une erreur du téléservice INSi ?"):
                problem = {"title": "Erreur affichée par le DUI (constat du testeur)", "status": 502, "service": "INS"}
        rid = f"{next(self._numbers):02d}-{_slug(who)}"[:64]
        self._who[rid] = who
        return Admission(http_status=None, resident_id=rid, problem=problem)

    def _wait_for(self, recorder: ExchangeRecorder, predicate, timeout: float, since: int) -> Exchange | None:
        """``recorder.wait_for`` in one-second slices, showing the tester a countdown when it can."""
        countdown = getattr(self.tester, "countdown", None)
        if countdown is None:
            return recorder.wait_for(predicate, timeout, since)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            countdown(left)
            found = recorder.wait_for(predicate, min(1.0, left), since)
            if found is not None:
                return found

    def _settle(self, recorder: ExchangeRecorder, since: int) -> None:
        """Let the DUI finish its retries: wait until no new exchange for ``settle_s`` seconds."""
        deadline = time.monotonic() + self.config.attente_s
        seen = len(recorder.exchanges(since))
        while time.monotonic() < deadline:
            quiet = min(self.settle_s, max(0.0, deadline - time.monotonic()))
            if recorder.wait_for(lambda e: True, quiet, since + seen) is None:
                return
            seen = len(recorder.exchanges(since))

    def patient(self, admission: Admission) -> dict[str, Any] | None:
        who = self._who.get(admission.resident_id or "", "ce résident")
        if self.adapter is not None:
            rid = self.tester.ask(f"Identifiant dans le DUI de {who} (export lu par l'adaptateur)").strip()
            return self.adapter.patient(Admission(http_status=None, resident_id=rid)) if rid else None
        assert self.config.export_dir is not None  # DuiConfig demands it when there is no adapter
        path = Path(self.config.export_dir) / f"{admission.resident_id}.json"
        self.tester.instruct(f"Exportez la ressource FHIR Patient de {who} dans le fichier {path}")
        deadline = time.monotonic() + self.config.attente_s
        while not path.is_file():
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL_S)
        return self._read(path)

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        # The file may still be being written: wait until its size is stable.
        size = -1
        for _ in range(25):
            if size == path.stat().st_size:
                break
            size = path.stat().st_size
            time.sleep(POLL_S)
        if size > MAX_EXPORT_BYTES:
            raise AttendedError(f"Export {path} trop volumineux ({size} octets ; maximum {MAX_EXPORT_BYTES}).")
        try:
            data = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise AttendedError(f"Export {path} illisible : JSON attendu ({exc}).") from exc
        if not isinstance(data, dict) or data.get("resourceType") != "Patient":
            raise AttendedError(f"Export {path} : une ressource FHIR Patient est attendue.")
        return data

    def reset(self) -> None:
        """Nothing to erase by hand: each attended admission gets its own export file name."""

    # --- DMP (what the adapter's « dmp » operations return, from the DMP mock's traffic) ----------

    def _dmp(self) -> RecordedDmp:
        if self.dmp is None:
            raise AttendedError("Aucun DMP simulé n'est relié au pilotage accompagné.")
        return self.dmp

    def _wait(self) -> str:
        return f"(attente maximale : {self.config.attente_s:g} s)"

    def feed_dmp(self, resident_id: str, model: str = "DLU", replaces: str | None = None) -> DmpAnswer:
        dmp = self._dmp()
        who = self._who.get(resident_id, f"le résident {resident_id}")
        if replaces is None:
            action = (
                f"Produisez pour {who} un document de liaison d'urgence ({model}) et envoyez-le au DMP, une seule fois"
            )
        else:
            old = next((d for d in self._documents.get(resident_id, []) if d["document_id"] == replaces), {})
            action = (
                f"Produisez pour {who} un nouveau document de liaison d'urgence ({model}) qui remplace celui "
                f"déjà envoyé au DMP (uniqueId {old.get('uniqueId', 'inconnu')}), et envoyez-le au DMP"
            )
        last = self._submitted(
            dmp.recorder,
            lambda e: e.operation == ITI41,
            f"{action} {self._wait()}",
            "Le DUI a-t-il refusé l'envoi au DMP ou affiché une erreur ?",
            ("DMP", "Envoi au DMP"),
        )
        if isinstance(last, DmpAnswer):
            return last
        record = {"document_id": f"dlu-{next(self._doc_numbers):02d}", "statut": SENT, **self._unique_id(last)}
        self._documents.setdefault(resident_id, []).append(record)
        if last.data.get("status") == "Success":
            return DmpAnswer(None, body={"document_id": record["document_id"], "statut": SENT})
        shown = self.tester.confirm("Le DMP a refusé la soumission : le DUI a-t-il affiché l'erreur du DMP ?")
        record["statut"] = (
            PENDING if self.tester.confirm("Le DUI garde-t-il ce document en attente d'un nouvel envoi ?") else REFUSED
        )
        if not shown:
            return DmpAnswer(None, body={"document_id": record["document_id"], "statut": SENT})
        return DmpAnswer(
            None,
            problem={
                "title": "Erreur du DMP affichée par le DUI (constat du testeur)",
                "status": 502,
                "service": "DMP",
                "document_id": record["document_id"],
            },
        )

    def _unique_id(self, submission: Exchange) -> dict[str, str]:
        """The CDA uniqueId of what the DMP mock stored for a submission (nothing when it stored none)."""
        for entry_uuid in submission.data.get("stored", []):
            entry = self._dmp().store.get(entry_uuid)
            if entry is not None:
                return {"uniqueId": entry.unique_id}
        return {}

    def dmp_documents(self, resident_id: str) -> list[dict[str, Any]]:
        return [dict(d) for d in self._documents.get(resident_id, [])]

    def integrate_dmp(self, resident_id: str) -> DmpAnswer:
        dmp = self._dmp()
        who = self._who.get(resident_id, f"le résident {resident_id}")
        since = dmp.recorder.mark()
        deadline = time.monotonic() + self.config.attente_s
        self.tester.instruct(
            f"Lancez l'intégration des documents du DMP de {who} : le DUI doit rechercher ses "
            "documents dans le DMP, récupérer ceux qu'il n'a pas encore et les ranger dans son "
            f"dossier {self._wait()}"
        )
        query = self._wait_for(dmp.recorder, lambda e: e.operation == ITI18, self.config.attente_s, since)
        if query is not None:
            if query.data.get("results"):
                self._wait_for(
                    dmp.recorder, lambda e: e.operation == ITI43, max(0.0, deadline - time.monotonic()), since
                )
            self._settle(dmp.recorder, since)
        exchanges = dmp.recorder.exchanges(since)
        troubled = query is None or any(
            e.data.get("errors") or e.response is None or e.response.status >= 400 for e in exchanges
        )
        if troubled and self.tester.confirm("Le DUI a-t-il affiché une erreur du DMP pendant l'intégration ?"):
            return DmpAnswer(
                None,
                problem={"title": "Erreur affichée par le DUI (constat du testeur)", "status": 502, "service": "DMP"},
            )
        integrated = []
        for unique_id in dict.fromkeys(
            u for e in exchanges if e.operation == ITI43 for u in e.data.get("retrieved", [])
        ):
            summary = self._summary(unique_id)
            target = self._filed_in(summary)
            if target is not None:
                self._received.setdefault(target, []).append(summary)
            if target == resident_id:
                integrated.append(summary)
        return DmpAnswer(None, body={"integres": integrated})

    def _summary(self, unique_id: str, entry: RegistryEntry | None = None) -> dict[str, Any]:
        """What the adapter lists for a DMP document (uniqueId, typeCode, title, dateCreation), read from the DMP
        mock's registry entry."""
        entry = entry or self._dmp().store.by_unique_id(unique_id)
        metadata = entry.metadata if entry is not None else None

        def first(expr: str) -> str | None:
            found = metadata.xpath(expr, namespaces=ebrim.NS) if metadata is not None else []
            return str(found[0]) if found else None

        return {
            "uniqueId": unique_id,
            "typeCode": first(_TYPE_CODE),
            "title": first(_TITLE),
            "dateCreation": first(_CREATED),
        }

    def _choose(self, question: str, options: Sequence[str], none: str | None = None) -> int:
        """Ask for one numbered option (1…n; 0 = ``none`` when given), re-asking on a bad answer; 0-based index, or
        -1 for ``none``."""
        low = 0 if none else 1
        menu = " ; ".join([f"{n} = {o}" for n, o in enumerate(options, 1)] + ([f"0 = {none}"] if none else []))
        asked = f"{question} Répondez par le numéro ({menu} ; « {ABORT} » pour arrêter)"
        for _ in range(MAX_ANSWERS):
            answer = self.tester.ask(asked).strip()
            if answer.lower() == ABORT:
                raise AbortedByTester("Test arrêté par le testeur.")
            if answer.isdigit() and low <= int(answer) <= len(options):
                return int(answer) - 1
        raise AttendedError(
            f"Pas de réponse utilisable après {MAX_ANSWERS} essais : numéro de {low} à {len(options)} attendu."
        )

    def _filed_in(self, summary: dict[str, Any]) -> str | None:
        """Ask which resident's record the DUI filed a retrieved document in (None: in none)."""
        residents = list(self._who.items())
        chosen = self._choose(
            f"Dans quel dossier le DUI a-t-il rangé le document « {summary['title'] or 'sans titre'} » "
            f"(uniqueId {summary['uniqueId']}) ?",
            [who for _, who in residents],
            none="dans aucun dossier",
        )
        return residents[chosen][0] if chosen >= 0 else None

    def received_documents(self, resident_id: str) -> list[dict[str, Any]]:
        return [dict(d) for d in self._received.get(resident_id, [])]

    def open_record(self, resident_id: str, non_opposition: bool = True) -> DmpAnswer:
        """The tester records the resident's non-opposition (or opposition) and opens the record, nothing more; the
        DMP traffic that follows, until it settles, is what the opening caused (kept for :meth:`dmp_view`)."""
        dmp = self._dmp()
        who = self._who.get(resident_id, f"le résident {resident_id}")
        choice = "ne s'oppose pas" if non_opposition else "s'oppose"
        since = dmp.recorder.mark()
        self.tester.instruct(
            f"Enregistrez dans le DUI que {who} {choice} à l'accès à son DMP, puis ouvrez son dossier, sans autre "
            f"action {self._wait()}"
        )
        if not self.tester.confirm(f"Le dossier de {who} est-il ouvert à l'écran ?"):
            return DmpAnswer(
                None,
                problem={
                    "title": "Ouverture du dossier impossible (constat du testeur)",
                    "status": 409,
                    "service": "DMP",
                },
            )
        self._settle(dmp.recorder, since)
        self._opened[resident_id] = dmp.recorder.exchanges(since)
        return DmpAnswer(None, body={})

    def dmp_view(self, resident_id: str) -> dict[str, Any]:
        """What the open record shows of the DMP (VueDmp), as the tester reads it: every answer is a yes/no or a
        number from a menu. The documents and VSM dates offered are those the DMP returned to the DUI's ITI-18
        queries at the opening; a document shown beyond them is counted and named as not identified."""
        who = self._who.get(resident_id, f"le résident {resident_id}")
        qualified = self.tester.confirm(f"Le dossier de {who} montre-t-il son identité INS comme qualifiée ?")
        state = self._choose(
            "Quel état du DMP le dossier montre-t-il ?", [label for _, label in DMP_STATES], none="aucun état montré"
        )
        returned = self._returned(resident_id)
        view: dict[str, Any] = {
            "insQualifiee": qualified,
            "statutDmp": DMP_STATES[state][0] if state >= 0 else None,
            "documents": None,
            "vsm": None,
        }
        if self.tester.confirm("Le dossier montre-t-il une liste des documents du DMP (même vide) ?"):
            view["documents"] = self._listed_documents(returned)
        shown = self._choose(
            "Que montre le dossier du volet de synthèse médicale (VSM) ?",
            ["un VSM disponible", "aucun VSM disponible"],
            none="rien sur le VSM",
        )
        if shown == 1:
            view["vsm"] = {"disponible": False, "date": None}
        elif shown == 0:
            view["vsm"] = {"disponible": True, "date": self._vsm_date(returned)}
        return view

    def _returned(self, resident_id: str) -> list[dict[str, Any]]:
        """The documents the DMP returned to the DUI's ITI-18 queries during the last opening of the record."""
        store, seen, out = self._dmp().store, set(), []
        for query in (e for e in self._opened.get(resident_id, []) if e.operation == ITI18 and e.data.get("results")):
            statuses = set(query.data.get("statuses") or ()) or None
            for entry in store.find(query.data.get("patient_id", ""), statuses):
                if entry.unique_id not in seen:
                    seen.add(entry.unique_id)
                    out.append(self._summary(entry.unique_id, entry))
        return out

    def _listed_documents(self, returned: list[dict[str, Any]]) -> list[dict[str, Any]]:
        listed = [
            d
            for d in returned
            if self.tester.confirm(
                f"La liste montre-t-elle le document « {d['title'] or 'sans titre'} » du {_date(d['dateCreation'])} "
                f"(type {d['typeCode']}, uniqueId {d['uniqueId']}) ?"
            )
        ]
        others = 1 + self._choose(
            "Combien d'autres documents la liste montre-t-elle ?", [str(n) for n in range(1, 10)], none="aucun"
        )
        unknown = [{"uniqueId": f"document non identifié n° {n} (constat du testeur)"} for n in range(1, others + 1)]
        return listed + unknown

    def _vsm_date(self, returned: list[dict[str, Any]]) -> str:
        """The date shown for the latest VSM, chosen among those of the VSMs the DMP returned (creationTime)."""
        dates = sorted({d["dateCreation"] for d in returned if d["typeCode"] == VSM_TYPE and d["dateCreation"]})
        chosen = self._choose(
            "Quelle date le dossier montre-t-il pour le VSM le plus récent ?",
            [_date(d) for d in dates],
            none="une autre date, ou aucune",
        )
        return dates[chosen] if chosen >= 0 else "autre date (constat du testeur)"

    # --- MSSanté (what the adapter's « mss » operations return, from the MSSanté mock's traffic) ----

    def _mss(self) -> RecordedMss:
        if self.mss is None:
            raise AttendedError("Aucun opérateur MSSanté simulé n'est relié au pilotage accompagné.")
        return self.mss

    def _mailbox(self) -> str:
        return self.config.mss_mailbox or DUI_MAILBOX

    def send_mss(
        self, resident_id: str, recipient: str | None = None, citizen: bool = False, block_reply: bool = False
    ) -> DmpAnswer:
        who = self._who.get(resident_id, f"le résident {resident_id}")
        to = "à sa messagerie Mon espace santé (adresse formée de son INS)" if citizen else f"à la BAL « {recipient} »"
        blocked = ", en interdisant au patient d'y répondre" if block_reply else ""
        last = self._submitted(
            self._mss().recorder,
            _smtp,
            f"Envoyez par MSSanté, depuis la BAL applicative du DUI, le document de liaison "
            f"d'urgence de {who} {to}{blocked}, une seule fois ; si le DUI refuse cet envoi, notez-le "
            f"{self._wait()}",
            "Le DUI a-t-il refusé l'envoi MSSanté ou affiché une erreur ?",
            ("MSS", "Envoi MSSanté"),
        )
        if isinstance(last, DmpAnswer):
            return last
        record = {
            "id": f"mss-{next(self._doc_numbers):02d}",
            "destinataire": recipient or "Mon espace santé",
            "statut": SENT,
            "erreur": None,
            "message_id": last.data.get("message_id"),
        }
        self._sendings.setdefault(resident_id, []).append(record)
        if last.response is not None and last.response.status < 400:
            return DmpAnswer(None, body=dict(record))
        reply = last.response.body if last.response is not None else "pas de réponse"
        if not self._error_kept(record, f"L'opérateur MSSanté a refusé le message ({reply})"):
            return DmpAnswer(None, body=dict(record))
        return DmpAnswer(
            None,
            problem={
                "title": "Erreur MSSanté affichée par le DUI (constat du testeur)",
                "status": 502,
                "service": "MSS",
                "envoi": dict(record),
            },
        )

    def _submitted(
        self,
        recorder: ExchangeRecorder,
        matches: Callable[[Exchange], bool],
        action: str,
        refused: str,
        service: tuple[str, str],
    ) -> Exchange | DmpAnswer:
        """Have the tester make the DUI send something (a DMP submission, a message): the last exchange ``matches``
        selects once the DUI's traffic settles, or, when it sent none, the answer of a DUI that refused (the tester
        says so: a problem of ``service``, its label and what was refused) or did nothing."""
        since = recorder.mark()
        self.tester.instruct(action)
        if self._wait_for(recorder, matches, self.config.attente_s, since) is None:
            if self.tester.confirm(refused):
                label, what = service
                problem = {"title": f"{what} refusé par le DUI (constat du testeur)", "status": 409, "service": label}
                return DmpAnswer(None, problem=problem)
            return DmpAnswer(None)  # nothing sent, nothing reported
        self._settle(recorder, since)
        return [e for e in recorder.exchanges(since) if matches(e)][-1]

    def _error_kept(self, record: dict[str, Any], what: str) -> bool:
        """Ask whether the DUI showed the error and kept the message for a resend; True when shown."""
        shown = self.tester.confirm(f"{what} : le DUI a-t-il montré cette erreur à l'utilisateur ?")
        kept = self.tester.confirm("Le DUI garde-t-il ce message pour un nouvel envoi ?")
        record["statut"] = TO_RESEND if kept else REFUSED
        record["erreur"] = f"{what} (erreur montrée, constat du testeur)" if shown else None
        return shown

    def mss_sendings(self, resident_id: str) -> list[dict[str, Any]]:
        return [dict(s) for s in self._sendings.get(resident_id, [])]

    def fetch_mss(self) -> DmpAnswer:
        mss = self._mss()
        mailbox = self._mailbox()
        since = mss.recorder.mark()
        waiting = [
            m for m in mss.store.messages(mailbox) if (m.uid, m.received) not in self._fetched
        ]  # before it reads
        self.tester.instruct(
            f"Relevez la messagerie MSSanté du DUI ({mailbox}) : le DUI doit lire les messages "
            "reçus, ranger leurs documents dans le dossier des résidents et renvoyer les accusés "
            f"demandés {self._wait()}"
        )
        if self._wait_for(mss.recorder, lambda e: e.request.method == "IMAP", self.config.attente_s, since) is None:
            return DmpAnswer(None)  # nothing read: the checks find no acknowledgement
        self._settle(mss.recorder, since)
        integrated = []
        for stored in waiting:
            self._fetched.add((stored.uid, stored.received))
            integrated += self._handle_received(stored.data)
        return DmpAnswer(None, body={"integres": integrated})

    def _handle_received(self, data: bytes) -> list[dict[str, Any]]:
        """An error MDN for one of our messages: ask what the DUI showed; a document: ask where it was filed."""
        try:
            message = parse_message(data)
            if is_mdn(message):
                text = data.decode("utf-8", "replace")
                for record in (s for sent in self._sendings.values() for s in sent):
                    if record["message_id"] and record["message_id"] in text and is_error_mdn(data):
                        self._error_kept(
                            record, f"Le destinataire {record['destinataire']} a renvoyé un accusé d'erreur"
                        )
                return []
            email = message_from_bytes(data, policy=policy.default)
            unique_id = document_id(email)
        except (MimeProblem, XmlProblem, ValueError, KeyError):  # an unreadable archive carries no document to file
            return []
        if unique_id is None:
            return []
        summary = {"uniqueId": unique_id, "title": str(email.get("Subject", "")) or None}
        target = self._filed_in(summary)
        if target is None:
            self._unfiled.append(summary)
            return []
        self._received.setdefault(target, []).append(summary)
        return [summary]

    def reply_mss(self, message_id: str, text: str) -> DmpAnswer:
        """The tester answers a received message from the DUI's mail screens; the operator records the reply."""
        last = self._submitted(
            self._mss().recorder,
            _smtp,
            f"Dans la messagerie MSSanté du DUI ({self._mailbox()}), répondez au message reçu {message_id} avec le "
            f"texte « {text} », une seule fois {self._wait()}",
            "Le DUI a-t-il refusé cette réponse ou affiché une erreur ?",
            ("MSS", "Envoi MSSanté"),
        )
        if isinstance(last, DmpAnswer):
            return last
        return DmpAnswer(
            None, body={"id": f"mss-{next(self._doc_numbers):02d}", "message_id": last.data.get("message_id")}
        )

    def pending_mss_documents(self) -> list[dict[str, Any]] | None:
        """The worklist as the tester reads it: for each document read and filed in no record, whether it waits
        there; None when the DUI keeps no such list."""
        if not self.tester.confirm(
            "Le DUI tient-il une liste de travail des documents reçus par MSSanté à rapprocher d'un résident ?"
        ):
            return None
        return [
            dict(d)
            for d in self._unfiled
            if self.tester.confirm(
                f"La liste de travail montre-t-elle le document « {d['title'] or 'sans titre'} » "
                f"(uniqueId {d['uniqueId']}) ?"
            )
        ]

    def open_mss_sessions(self, mailbox: str) -> DmpAnswer:
        """The tester opens the mailbox in the DUI (a personal one once logged in with Pro Santé Connect, which the
        attended PSC pilot drives); the IMAP and SMTP logins the operator records are what is judged."""
        mss = self._mss()
        since = mss.recorder.mark()
        self.tester.instruct(
            f"Ouvrez dans le DUI la messagerie MSSanté « {mailbox} » : le DUI doit se connecter à l'opérateur en IMAP "
            f"et en SMTP {self._wait()}"
        )
        if self._wait_for(mss.recorder, is_session_event, self.config.attente_s, since) is not None:
            self._settle(mss.recorder, since)
        return DmpAnswer(None, body={})
