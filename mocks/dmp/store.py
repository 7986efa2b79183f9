"""The registry + repository state of the DMP mock: stored DocumentEntries and their bytes."""

from __future__ import annotations

import copy
import hashlib
import threading
from dataclasses import dataclass, field

from lxml import etree

from dui_conformance.xds import ebrim
from dui_conformance.xds.build import add_slot, q

REPOSITORY_ID = "1.2.250.1.213.1.1.9.999.1"  # fictitious repository of the mock


@dataclass
class StoredEntry:
    entry_uuid: str
    unique_id: str
    patient_id: str
    document: bytes
    metadata: etree._Element = field(repr=False)  # the ExtrinsicObject as stored (id = entry_uuid)
    mime_type: str = "text/xml"
    status: str = ebrim.APPROVED
    replaced_by: str | None = None

    def type_code(self) -> str | None:
        """The stored typeCode (XDS classification's nodeRepresentation)."""
        path = f"rim:Classification[@classificationScheme='{ebrim.DE_TYPE}']/@nodeRepresentation"
        return next(iter(self.metadata.xpath(path, namespaces=ebrim.NS)), None)

    def slot(self, name: str) -> str | None:
        """The first value of a stored slot (creationTime…)."""
        path = f"rim:Slot[@name='{name}']/rim:ValueList/rim:Value/text()"
        return next(iter(self.metadata.xpath(path, namespaces=ebrim.NS)), None)

    def leaf_class(self) -> etree._Element:
        """The ExtrinsicObject as a query answer shows it now (current status)."""
        node = copy.deepcopy(self.metadata)
        node.set("status", self.status)
        return node


def prepare_metadata(source: etree._Element, entry_uuid: str, document: bytes) -> etree._Element:
    """Copy of a submitted ExtrinsicObject with the registry's id, repository id, hash and size."""
    node = copy.deepcopy(source)
    old = node.get("id")
    node.set("id", entry_uuid)
    for child in node.iter():
        for attr in ("classifiedObject", "registryObject"):
            if child.get(attr) == old:
                child.set(attr, entry_uuid)
    present = {s.get("name") for s in node.findall(q("rim", "Slot"))}
    for name, value in (
        ("repositoryUniqueId", REPOSITORY_ID),
        ("hash", hashlib.sha1(document).hexdigest()),
        ("size", str(len(document))),
    ):
        if name not in present:
            add_slot(node, name, [value])
            node.insert(0, node[-1])  # slots come first in ebRIM
    return node


class Store:
    """Thread-safe in-memory registry; entries keyed by entryUUID."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, StoredEntry] = {}

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def add(self, entry: StoredEntry) -> None:
        with self._lock:
            self._entries[entry.entry_uuid] = entry

    def get(self, entry_uuid: str) -> StoredEntry | None:
        with self._lock:
            return self._entries.get(entry_uuid)

    def by_unique_id(self, unique_id: str) -> StoredEntry | None:
        with self._lock:
            return next((e for e in self._entries.values() if e.unique_id == unique_id), None)

    def deprecate(self, entry_uuid: str, replaced_by: str) -> None:
        with self._lock:
            entry = self._entries[entry_uuid]
            entry.status, entry.replaced_by = ebrim.DEPRECATED, replaced_by

    def find(self, patient_id: str, statuses: set[str] | None = None) -> list[StoredEntry]:
        with self._lock:
            return [
                e
                for e in self._entries.values()
                if e.patient_id == patient_id and (not statuses or e.status in statuses)
            ]
