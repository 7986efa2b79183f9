"""Attended mode: for a DUI without the test adapter, a tester performs each action by hand.

The harness prints the action in French, then waits (bounded) for the INSi exchange it must
cause at the mock; the exported FHIR Patient is read from a folder the tester drops it in, or
from the adapter when the vendor implemented only that part of it.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from itertools import count
from pathlib import Path
from typing import Any, Protocol

from dui_conformance_mocks.common import ExchangeRecorder

from .adapter import AdapterClient
from .config import DuiConfig
from .driver import Admission, Traits, VitaleCard

# After the first INSi request, how long without a new one before the DUI is deemed done retrying.
SETTLE_S = 3.0
POLL_S = 0.2
MAX_EXPORT_BYTES = 5 * 1024 * 1024


class AttendedError(RuntimeError):
    """The tester's export could not be used (French message)."""


class Tester(Protocol):
    """The person at the DUI's keyboard."""

    def instruct(self, message: str) -> None: ...

    def confirm(self, question: str) -> bool: ...

    def ask(self, question: str) -> str: ...


class RichTester:
    """Talks to the tester on the terminal."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console()

    def instruct(self, message: str) -> None:
        self.console.print(f"\n[bold cyan]Action à réaliser dans le DUI[/] : {message}")

    def confirm(self, question: str) -> bool:
        from rich.prompt import Confirm

        return Confirm.ask(question, console=self.console)

    def ask(self, question: str) -> str:
        from rich.prompt import Prompt

        return Prompt.ask(question, console=self.console)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _document(id_document: str | None) -> str:
    return f", sur présentation de la pièce d'identité « {id_document} »" if id_document else ", sans pièce d'identité"


class AttendedDriver:
    """Implements :class:`~conformance.live.driver.DuiDriver` through a human tester."""

    def __init__(self, recorder: ExchangeRecorder, config: DuiConfig, tester: Tester,
                 adapter: AdapterClient | None = None):
        self.recorder = recorder
        self.config = config
        self.tester = tester
        self.adapter = adapter
        self.settle_s = SETTLE_S
        self._numbers = count(1)
        self._who: dict[str, str] = {}

    def admit_by_traits(self, traits: Traits, id_document: str | None = None) -> Admission:
        who = traits.describe()
        message = (f"Admettez {who} en saisissant ses traits{_document(id_document)}, puis lancez "
                   "l'interrogation du téléservice INSi.")
        return self._admit(who, message)

    def admit_by_vitale(self, card: VitaleCard, id_document: str | None = None) -> Admission:
        who = (f"le titulaire de la carte Vitale de test {card.matricule} {card.key} "
               f"({card.birth_name}, né(e) le {card.birth_date})")
        message = (f"Admettez {who} en lisant sa carte{_document(id_document)}, puis lancez l'interrogation "
                   "du téléservice INSi avec la carte.")
        return self._admit(who, message)

    def _admit(self, who: str, message: str) -> Admission:
        since = self.recorder.mark()
        self.tester.instruct(f"{message} (attente maximale : {self.config.attente_s:g} s)")
        problem = None
        if self.recorder.wait_for(lambda e: True, self.config.attente_s, since) is not None:
            self._settle(since)
            if self.tester.confirm("Le DUI a-t-il affiché une erreur du téléservice INSi ?"):
                problem = {"title": "Erreur affichée par le DUI (constat du testeur)", "status": 502, "service": "INS"}
        rid = f"{next(self._numbers):02d}-{_slug(who)}"[:64]
        self._who[rid] = who
        return Admission(http_status=None, resident_id=rid, problem=problem)

    def _settle(self, since: int) -> None:
        """Let the DUI finish its retries: wait until no new INSi exchange for ``settle_s`` seconds."""
        deadline = time.monotonic() + self.config.attente_s
        seen = len(self.recorder.exchanges(since))
        while time.monotonic() < deadline:
            quiet = min(self.settle_s, max(0.0, deadline - time.monotonic()))
            if self.recorder.wait_for(lambda e: True, quiet, since + seen) is None:
                return
            seen = len(self.recorder.exchanges(since))

    def patient(self, admission: Admission) -> dict[str, Any] | None:
        who = self._who.get(admission.resident_id or "", "ce résident")
        if self.adapter is not None:
            rid = self.tester.ask(f"Identifiant dans le DUI de {who} (export lu par l'adaptateur)").strip()
            return self.adapter.patient(Admission(http_status=None, resident_id=rid)) if rid else None
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
