"""Mailboxes of the MSSanté mock: what SMTP delivers, IMAP reads. In memory, thread-safe."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class StoredMessage:
    uid: int
    data: bytes
    received: float
    flags: set[str] = field(default_factory=set)


class MailStore:
    def __init__(self) -> None:
        self._boxes: dict[str, list[StoredMessage]] = {}
        self._next_uid: dict[str, int] = {}
        self._lock = threading.Lock()

    def deliver(self, address: str, data: bytes) -> StoredMessage:
        address = address.lower()
        with self._lock:
            uid = self._next_uid.get(address, 1)
            self._next_uid[address] = uid + 1
            message = StoredMessage(uid, data, time.time())
            self._boxes.setdefault(address, []).append(message)
            return message

    def messages(self, address: str) -> list[StoredMessage]:
        with self._lock:
            return list(self._boxes.get(address.lower(), []))

    def next_uid(self, address: str) -> int:
        with self._lock:
            return self._next_uid.get(address.lower(), 1)

    def expunge(self, address: str) -> list[int]:
        """Remove messages flagged \\Deleted; returns their UIDs."""
        with self._lock:
            box = self._boxes.get(address.lower(), [])
            gone = [m.uid for m in box if "\\Deleted" in m.flags]
            self._boxes[address.lower()] = [m for m in box if "\\Deleted" not in m.flags]
            return gone

    def clear(self) -> None:
        with self._lock:
            self._boxes.clear()
            self._next_uid.clear()
