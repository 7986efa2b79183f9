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
from collections.abc import Sequence
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
from .dmp import ITI18, ITI41, ITI43, PENDING
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
    """Implements :class:`~dui_conformance.live.driver.DuiDriver` and :class:`~dui_conformance.live.driver.DmpDriver`
    through a human tester (DMP operations need ``dmp``, the DMP mock the DUI talks to; MSSanté ones ``mss``)."""

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
        since = dmp.recorder.mark()
        self.tester.instruct(f"{action} {self._wait()}")
        if self._wait_for(dmp.recorder, lambda e: e.operation == ITI41, self.config.attente_s, since) is None:
            if self.tester.confirm("Le DUI a-t-il refusé l'envoi au DMP ou affiché une erreur ?"):
                return DmpAnswer(
                    None,
                    problem={
                        "title": "Envoi au DMP refusé par le DUI (constat du testeur)",
                        "status": 409,
                        "service": "DMP",
                    },
                )
            return DmpAnswer(None)  # nothing sent, nothing reported
        self._settle(dmp.recorder, since)
        last = [e for e in dmp.recorder.exchanges(since) if e.operation == ITI41][-1]
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

    def _summary(self, unique_id: str) -> dict[str, Any]:
        """What the adapter lists for a received document, read from the DMP mock's registry entry."""
        entry = self._dmp().store.by_unique_id(unique_id)
        metadata = entry.metadata if entry is not None else None

        def first(expr: str) -> str | None:
            found = metadata.xpath(expr, namespaces=ebrim.NS) if metadata is not None else []
            return str(found[0]) if found else None

        return {"uniqueId": unique_id, "typeCode": first(_TYPE_CODE), "title": first(_TITLE)}

    def _filed_in(self, summary: dict[str, Any]) -> str | None:
        """Ask which resident's record the DUI filed a retrieved document in (None: in none)."""
        residents = list(self._who.items())
        menu = " ; ".join(f"{n} = {who}" for n, (_, who) in enumerate(residents, 1))
        question = (
            f"Dans quel dossier le DUI a-t-il rangé le document « {summary['title'] or 'sans titre'} » "
            f"(uniqueId {summary['uniqueId']}) ? Répondez par le numéro ({menu} ; 0 = dans aucun dossier ; "
            f"« {ABORT} » pour arrêter)"
        )
        for _ in range(MAX_ANSWERS):
            answer = self.tester.ask(question).strip()
            if answer.lower() == ABORT:
                raise AbortedByTester("Test arrêté par le testeur.")
            if answer.isdigit() and int(answer) <= len(residents):
                return residents[int(answer) - 1][0] if int(answer) else None
        raise AttendedError(
            f"Pas de réponse utilisable après {MAX_ANSWERS} essais : numéro de 0 à {len(residents)} attendu."
        )

    def received_documents(self, resident_id: str) -> list[dict[str, Any]]:
        return [dict(d) for d in self._received.get(resident_id, [])]

    # --- MSSanté (what the adapter's « mss » operations return, from the MSSanté mock's traffic) ----

    def _mss(self) -> RecordedMss:
        if self.mss is None:
            raise AttendedError("Aucun opérateur MSSanté simulé n'est relié au pilotage accompagné.")
        return self.mss

    def _mailbox(self) -> str:
        return self.config.mss_mailbox or DUI_MAILBOX

    def send_mss(self, resident_id: str, recipient: str | None = None, citizen: bool = False) -> DmpAnswer:
        mss = self._mss()
        who = self._who.get(resident_id, f"le résident {resident_id}")
        to = "à sa messagerie Mon espace santé (adresse formée de son INS)" if citizen else f"à la BAL « {recipient} »"
        since = mss.recorder.mark()
        self.tester.instruct(
            f"Envoyez par MSSanté, depuis la BAL applicative du DUI, le document de liaison "
            f"d'urgence de {who} {to}, une seule fois ; si le DUI refuse cet envoi, notez-le "
            f"{self._wait()}"
        )
        if self._wait_for(mss.recorder, _smtp, self.config.attente_s, since) is None:
            if self.tester.confirm("Le DUI a-t-il refusé l'envoi MSSanté ou affiché une erreur ?"):
                return DmpAnswer(
                    None,
                    problem={
                        "title": "Envoi MSSanté refusé par le DUI (constat du testeur)",
                        "status": 409,
                        "service": "MSS",
                    },
                )
            return DmpAnswer(None)  # nothing sent, nothing reported
        self._settle(mss.recorder, since)
        last = [e for e in mss.recorder.exchanges(since) if _smtp(e)][-1]
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
            return []
        self._received.setdefault(target, []).append(summary)
        return [summary]
