"""What the reference DUI keeps, shared by the components that read and file it (admission, DMP, MSSanté):
its residents, the documents received for them, one numbering of the documents it produces."""

from __future__ import annotations

import itertools
import threading

from .resident import Resident


class Records:
    """Residents by id and the documents received for each (what the DUI files of them), behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._residents: dict[str, Resident] = {}
        self._received: dict[str, list[dict]] = {}  # by resident id
        self._numbers = itertools.count(1)

    def next_number(self) -> int:
        """The number of the next document the DUI produces (for the DMP or by MSSanté), never reused."""
        return next(self._numbers)

    def clear(self) -> None:
        with self._lock:
            self._residents.clear()
            self._received.clear()

    def __contains__(self, rid: str) -> bool:
        with self._lock:
            return rid in self._residents

    def get(self, rid: str) -> Resident | None:
        with self._lock:
            return self._residents.get(rid)

    def store(self, resident: Resident) -> None:
        with self._lock:
            self._residents[resident.id] = resident

    def other_than(self, rid: str) -> str:
        """Another resident's id (``rid`` when there is none)."""
        with self._lock:
            return next((other for other in self._residents if other != rid), rid)

    def received(self, rid: str) -> list[dict]:
        with self._lock:
            return list(self._received.get(rid, []))

    def file(self, rid: str, documents: list[dict]) -> None:
        """File received documents (what the DUI keeps of each) into a resident's record."""
        with self._lock:
            self._received.setdefault(rid, []).extend(documents)

    def mark_replaced(self, rid: str, old_unique_id: str, new_unique_id: str) -> bool:
        """Note on a document of the record that the DMP holds a newer version of it (SC.DMP/UX.39); False when the
        record has no such document."""
        with self._lock:
            found = [d for d in self._received.get(rid, []) if d.get("uniqueId") == old_unique_id]
            for document in found:
                document["remplacePar"] = new_unique_id
            return bool(found)

    def holder(self, matricule: str | None) -> Resident | None:
        """The resident holding this INS matricule (None: no matricule, or nobody holds it)."""
        if not matricule:
            return None
        with self._lock:
            return next((r for r in self._residents.values() if r.ins == matricule), None)
