"""What a step needs from the DUI under test, whoever drives it (adapter or human tester).

Steps call a :class:`DuiDriver`; :class:`~dui_conformance.live.adapter.AdapterClient` drives the
vendor's test adapter over HTTP, :class:`~dui_conformance.live.attended.AttendedDriver` asks a
tester to do the same action in the DUI. Both return the same plain records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from ..model import Finding, Location, failed


@dataclass(frozen=True)
class Traits:
    """Identity traits as typed at admission (birth place: COG code, None when unknown)."""

    birth_name: str
    first_names: tuple[str, ...]
    sex: str
    birth_date: str
    birth_place: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "nomNaissance": self.birth_name,
            "prenoms": list(self.first_names),
            "sexe": self.sex,
            "dateNaissance": self.birth_date,
            "lieuNaissance": self.birth_place,
        }

    def describe(self) -> str:
        """French one-liner for a tester: « Mme ADRUN Zoé, née le 1975-12-31 à 63220 »."""
        civility, born = ("Mme", "née") if self.sex == "F" else ("M.", "né")
        place = f" (lieu de naissance {self.birth_place})" if self.birth_place else ""
        return f"{civility} {self.birth_name} {' '.join(self.first_names)}, {born} le {self.birth_date}{place}"


@dataclass(frozen=True)
class VitaleCard:
    """What the DUI reads from a carte Vitale (synthetic)."""

    matricule: str
    key: str
    birth_name: str
    birth_date: str
    birth_rank: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "matricule": self.matricule,
            "cle": self.key,
            "nomNaissance": self.birth_name,
            "dateNaissance": self.birth_date,
            "rangNaissance": self.birth_rank,
        }


class DuiFailure(RuntimeError):
    """The DUI failed an order or broke the adapter contract (error status, no or wrong JSON, timeout, connection
    refused): a finding against the DUI, never a harness error (French message: what was found, what was expected).

    The step that met it fails every requirement of its scenario not decided yet (:meth:`findings`)."""

    def __init__(self, message: str, location: str = ""):
        super().__init__(message)
        self.location = location  # the adapter operation, e.g. « POST /residents »

    def findings(self, requirements: Iterable[str]) -> list[Finding]:
        return [failed(req, str(self), Location(file=self.location)) for req in requirements]


def answer_label(http_status: int | None) -> str:
    """How an answer is named in messages: its HTTP status, or the tester's account (attended mode)."""
    return f"HTTP {http_status}" if http_status is not None else "réponse rapportée par le testeur"


@dataclass
class Admission:
    """Outcome of one admission as the DUI reports it.

    ``ins`` is the 15-character matricule the DUI says it stored (None: none, or unknown in
    attended mode); ``problem`` is the RFC 9457 body when the DUI reported an error.
    """

    http_status: int | None  # None in attended mode
    resident_id: str | None = None
    status: str | None = None
    ins: str | None = None
    problem: dict[str, Any] | None = None

    @property
    def error_reported(self) -> bool:
        return self.problem is not None


class DuiDriver(Protocol):
    """The admission operations every live step relies on."""

    def admit_by_traits(self, traits: Traits, id_document: str | None = None) -> Admission: ...

    def admit_by_vitale(self, card: VitaleCard, id_document: str | None = None) -> Admission: ...

    def patient(self, admission: Admission) -> dict[str, Any] | None: ...

    def reset(self) -> None: ...


@dataclass
class DmpAnswer:
    """The DUI's answer to a DMP order (feed or integration); ``problem`` when it reported an error."""

    http_status: int | None
    body: dict[str, Any] | None = None
    problem: dict[str, Any] | None = None

    @property
    def error_reported(self) -> bool:
        return self.problem is not None

    @property
    def document_id(self) -> str | None:
        for source in (self.body, self.problem):
            value = (source or {}).get("document_id")
            if isinstance(value, str):
                return value
        return None


class DmpDriver(Protocol):
    """The DMP operations of the live DMP steps (adapter tag « dmp »)."""

    def feed_dmp(self, resident_id: str, model: str = "DLU", replaces: str | None = None) -> DmpAnswer: ...

    def dmp_documents(self, resident_id: str) -> list[dict[str, Any]]: ...

    def integrate_dmp(self, resident_id: str) -> DmpAnswer: ...

    def received_documents(self, resident_id: str) -> list[dict[str, Any]]: ...

    def open_record(self, resident_id: str, non_opposition: bool = True) -> DmpAnswer: ...

    def dmp_view(self, resident_id: str) -> dict[str, Any]: ...


class MssDriver(Protocol):
    """The MSSanté operations of the live MSSanté steps (adapter tag « mss »; the last three are vague 2's)."""

    def send_mss(
        self, resident_id: str, recipient: str | None = None, citizen: bool = False, block_reply: bool = False
    ) -> DmpAnswer: ...

    def mss_sendings(self, resident_id: str) -> list[dict[str, Any]]: ...

    def fetch_mss(self) -> DmpAnswer: ...

    def reply_mss(self, message_id: str, text: str) -> DmpAnswer: ...

    def pending_mss_documents(self) -> list[dict[str, Any]] | None: ...

    def open_mss_sessions(self, mailbox: str) -> DmpAnswer: ...
