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

# The ANS template's column names (REM Convergence export), as `rem-preuves.xlsx` writes them (report/official.py):
# N° scénario = ID.nn, N° preuve = ID.nn.nn, « Preuve 1 » the first proof's text.
HEADERS = {
    "id": "ID",
    "chapter": "Chapitre",
    "statement": "Exigence",
    "nature": "Nature",
    "scenario": "N° scénario",
    "scenario_text": "Scénario de conformité",
    "proof": "N° preuve",
    "proof_text": "Preuve 1",
    "previous": "VA N-1",
}
_READ = ("id", "chapter", "statement", "nature", "scenario", "proof", "previous")
# Header (case and spacing ignored) → field. The ANS templates spell some columns two ways: the Convergence export
# (ID, Chapitre, Exigence, « Nature de l'exigence », « N° preuve 1…10 », VA N-1) and the older Ségur report
# (« N° exigence », Section, « Énoncé de l'exigence (DOIT) ou de la préconisation (PEUT) »).
COLUMNS = {
    **{HEADERS[field].casefold(): field for field in _READ},
    "n° exigence": "id",
    "section": "chapter",
    "énoncé de l'exigence (doit) ou de la préconisation (peut)": "statement",
    "nature de l'exigence": "nature",
    **{f"n° preuve {i}": "proof" for i in range(1, 11)},
}
REQUIRED = ("id", "statement")
TEMPLATE = ", ".join(HEADERS[field] for field in _READ)
MAX_ROWS = 20_000  # a published REM has a few thousand rows (the 2022 Squash export: 1,540)
MAX_COLUMNS = 64
HEADER_ROWS = 20  # the header may sit below a title block
_SEPARATORS = re.compile(r"[,;\n]+")


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


def _norm(value: object) -> str:
    """One line, single spaces (a non-breaking space too: the Squash export writes « SC.\u00a0DMP/HISTO.07 »)."""
    return " ".join(str(value).split()) if value is not None else ""


def _find_header(rows) -> tuple[dict[str, list[int]], int] | None:
    for number, row in enumerate(rows, start=1):
        columns: dict[str, list[int]] = {}
        for i, cell in enumerate(row):
            field = COLUMNS.get(_norm(cell).casefold())
            if field:
                columns.setdefault(field, []).append(i)
        if all(field in columns for field in REQUIRED):
            return columns, number
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
            # the declared dimension can be wrong (an ANS test export declares A1:K2 over 11 rows): read every row
            sheet.reset_dimensions()
            rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
            found = _find_header(rows)
            if found:
                return _requirements(path, sheet.title, rows, *found, max_rows)
    finally:
        book.close()
    raise RemError(
        f"{path} : aucune feuille n'a les colonnes ID (ou « N° exigence ») et Exigence dans ses {HEADER_ROWS} "
        f"premières lignes (colonnes du modèle ANS : {TEMPLATE})."
    )


def _requirements(path, title: str, rows, columns: dict[str, list[int]], header_row: int, max_rows: int):
    merged: dict[str, dict] = {}
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise RemError(
                f"{path} : feuille « {title} » de plus de {max_rows} lignes après l'en-tête : fichier refusé."
            )
        # every non-empty raw value of each field (several « N° preuve n » columns); absent columns read as empty
        raw = {f: [row[i] for i in columns.get(f, []) if i < len(row) and _norm(row[i])] for f in set(COLUMNS.values())}
        if not raw["id"]:
            continue
        first = {f: _norm(values[0]) if values else "" for f, values in raw.items()}
        entry = merged.setdefault(
            first["id"],
            {
                "chapter": first["chapter"],
                "statement": first["statement"],
                "nature": first["nature"],
                "scenarios": [],
                "proofs": [],
                "previous": [],
            },
        )
        found = {
            "scenarios": [_norm(v) for v in raw["scenario"]],
            "proofs": [_norm(v) for v in raw["proof"]],
            "previous": [_norm(p) for v in raw["previous"] for p in _SEPARATORS.split(str(v)) if _norm(p)],
        }
        for key, values in found.items():
            entry[key] += [v for v in values if v not in entry[key]]
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


def keys(req: RemRequirement) -> tuple[str, ...]:
    """The ids a REM row answers to: its own and its « VA N-1 » ids."""
    return (req.id, *req.previous)


def rekey(rem: list[RemRequirement], covered: dict[str, list[str]]) -> dict[str, list[str]]:
    """REM id → the catalogue requirements that verify it, through its own id or its « VA N-1 » ids."""
    out: dict[str, list[str]] = {}
    for req in rem:
        found = [r for oid in keys(req) for r in covered.get(oid, [])]
        if found:
            out[req.id] = sorted(set(found))
    return out
