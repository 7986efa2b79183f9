"""Read an official REM spreadsheet (``REM-<couloir>-<logiciel>-Va<N>.xlsx``) so that its ids replace the built-in
list of official ids without code.

The ANS template has one row per proof (ID → N° scénario → N° preuve) and a « VA N-1 » column naming the previous
wave's id: a REM row is verified by the catalogue requirements mapped to its own id or to its VA N-1 id, which is how a
mapping keyed on the 2022 draft carries over to the published REM. The file comes from outside: every failure is a
:class:`RemError` with a French message, and the size read is bounded.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

COLUMNS = {
    "id": "id",
    "chapitre": "chapter",
    "exigence": "statement",
    "nature": "nature",
    "n° scénario": "scenario",
    "n° preuve": "proof",
    "va n-1": "previous",
}
REQUIRED = ("ID", "Exigence")
TEMPLATE = "ID, Chapitre, Exigence, Nature, N° scénario, N° preuve, VA N-1"
MAX_ROWS = 20_000  # a published REM has a few thousand rows (the 2022 Squash export: 1,540)
MAX_COLUMNS = 64
HEADER_ROWS = 20  # the header may sit below a title block
_SEPARATORS = re.compile(r"[\s,;]+")


class RemError(ValueError):
    pass


@dataclass(frozen=True)
class RemRequirement:
    id: str
    chapter: str
    statement: str
    nature: str
    scenarios: tuple[str, ...]
    proofs: tuple[str, ...]
    previous: tuple[str, ...]  # « VA N-1 » ids


def _header(cell: object) -> str:
    return " ".join(str(cell or "").split()).casefold()


def _cell(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _find_header(rows) -> tuple[dict[str, int], int] | None:
    for number, row in enumerate(rows, start=1):
        names = {_header(c): i for i, c in enumerate(row) if _header(c) in COLUMNS}
        if all(r.casefold() in names for r in REQUIRED):
            return {COLUMNS[name]: i for name, i in names.items()}, number
        if number >= HEADER_ROWS:
            break
    return None


def read_rem(path: str | Path, max_rows: int = MAX_ROWS) -> list[RemRequirement]:
    """The requirements of the first sheet that has the template's ID and Exigence columns, one per ID, in order."""
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RemError(f"{path} : classeur Excel (.xlsx) illisible ({type(exc).__name__}).") from exc
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
            found = _find_header(rows)
            if found:
                return _requirements(path, sheet.title, rows, *found, max_rows)
    finally:
        book.close()
    raise RemError(
        f"{path} : aucune feuille n'a les colonnes {' et '.join(REQUIRED)} dans ses {HEADER_ROWS} premières lignes "
        f"(colonnes du modèle ANS : {TEMPLATE})."
    )


def _requirements(path, title: str, rows, columns: dict[str, int], header_row: int, max_rows: int):
    merged: dict[str, dict] = {}
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise RemError(
                f"{path} : feuille « {title} » de plus de {max_rows} lignes après l'en-tête : fichier refusé."
            )

        # absent optional columns read as empty
        cells = {f: _cell(row[columns[f]]) if columns.get(f, len(row)) < len(row) else "" for f in COLUMNS.values()}
        rid = cells["id"]
        if not rid:
            continue
        entry = merged.setdefault(
            rid,
            {
                "chapter": cells["chapter"],
                "statement": cells["statement"],
                "nature": cells["nature"],
                "scenarios": [],
                "proofs": [],
                "previous": [],
            },
        )
        for field, key in (("scenario", "scenarios"), ("proof", "proofs")):
            if cells[field] and cells[field] not in entry[key]:
                entry[key].append(cells[field])
        for prev in _SEPARATORS.split(cells["previous"]):
            if prev and prev not in entry["previous"]:
                entry["previous"].append(prev)
    if not merged:
        raise RemError(f"{path} : feuille « {title} » sans aucune exigence sous l'en-tête (ligne {header_row}).")
    return [
        RemRequirement(
            rid,
            e["chapter"],
            e["statement"],
            e["nature"],
            tuple(e["scenarios"]),
            tuple(e["proofs"]),
            tuple(e["previous"]),
        )
        for rid, e in merged.items()
    ]


def rekey(rem: list[RemRequirement], covered: dict[str, list[str]]) -> dict[str, list[str]]:
    """REM id → the catalogue requirements that verify it, through its own id or its « VA N-1 » ids."""
    out: dict[str, list[str]] = {}
    for req in rem:
        found = [r for oid in (req.id, *req.previous) for r in covered.get(oid, [])]
        if found:
            out[req.id] = sorted(set(found))
    return out
