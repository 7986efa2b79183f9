"""Reading DUI usage exports (CSV or JSON): one row per ESMS and per period, every error with its line.

Nothing is dropped: an unreadable row, a negative count, an unknown column, an unknown FINESS or
two overlapping periods of one ESMS make the whole input refused, with every problem listed.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..funding.files import InputError, load, read_text, schema_errors

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "export.schema.json").read_text(encoding="utf-8"))
COUNT_COLUMNS = (
    "personnes_accompagnees",
    "personnes_ins_qualifiee",
    "dossiers_actifs",
    "mss_envoyes",
    "mss_recus",
    "connexions_psc",
)
COLUMNS = ("finess", "debut", "fin", *COUNT_COLUMNS)
DMP_PREFIX = "dmp:"  # CSV: one column per DMP document type, e.g. dmp:DLU


@dataclass(frozen=True)
class PeriodCounts:
    """The counts of one ESMS over one period: what a DUI export, or a live run's recorded exchanges, give."""

    finess: str
    start: datetime.date
    end: datetime.date
    persons: int  # accompanied persons in the period
    ins_qualified: int  # of them, with a qualified INS
    active_records: int  # of them, whose record was updated in the period
    dmp_documents: dict[str, int]  # documents fed to the DMP, by type
    mss_sent: int
    mss_received: int
    psc_logins: int
    source: str = ""
    line: int | None = None

    @property
    def where(self) -> str:
        return f"{self.source}{f' ligne {self.line}' if self.line else ''}"


@dataclass
class _Collector:
    source: str
    errors: list[str] = field(default_factory=list)

    def error(self, line: int | None, message: str) -> None:
        self.errors.append(f"ligne {line} : {message}" if line else message)


def read_export(path: Path) -> list[PeriodCounts]:
    """Rows of one export file, recognised by its extension (``.csv`` or ``.json``)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".json":
        return _read_json(path)
    raise InputError(str(path), ["export d'usage : extension .csv ou .json attendue"])


def _read_csv(path: Path) -> list[PeriodCounts]:
    text = read_text(path)
    out = _Collector(str(path))
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(str(path), ["fichier vide : ligne d'en-tête attendue"]) from None
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h not in COLUMNS and not (h.startswith(DMP_PREFIX) and len(h) > len(DMP_PREFIX))]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if missing:
        out.error(1, f"colonne(s) absente(s) : {', '.join(missing)}")
    if unknown:
        out.error(
            1, f"colonne(s) inconnue(s) : {', '.join(unknown)} (types DMP : préfixe « {DMP_PREFIX} », ex. dmp:DLU)"
        )
    if duplicated:
        out.error(1, f"colonne(s) en double : {', '.join(duplicated)}")
    if out.errors:
        raise InputError(str(path), out.errors)
    rows = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # a blank line holds no data
            if len(values) != len(header):
                out.error(line, f"{len(values)} valeur(s) pour {len(header)} colonne(s)")
                continue
            record = dict(zip(header, (v.strip() for v in values), strict=False))
            columns = [*COUNT_COLUMNS, *(h for h in header if h.startswith(DMP_PREFIX))]
            read = {column: _count(record[column], column, line, out) for column in columns}
            counts = {column: n for column, n in read.items() if n is not None}
            start, end = _date(record["debut"], "debut", line, out), _date(record["fin"], "fin", line, out)
            if len(counts) < len(read) or start is None or end is None:
                continue
            rows.append(
                PeriodCounts(
                    record["finess"],
                    start,
                    end,
                    counts["personnes_accompagnees"],
                    counts["personnes_ins_qualifiee"],
                    counts["dossiers_actifs"],
                    {h[len(DMP_PREFIX) :]: n for h, n in counts.items() if h.startswith(DMP_PREFIX)},
                    counts["mss_envoyes"],
                    counts["mss_recus"],
                    counts["connexions_psc"],
                    str(path),
                    line,
                )
            )
    except csv.Error as exc:
        out.error(reader.line_num, f"CSV illisible : {exc}")
    if out.errors:
        raise InputError(str(path), out.errors)
    return rows


def _count(value: str, column: str, line: int, out: _Collector) -> int | None:
    try:
        number = int(value)
    except ValueError:
        out.error(line, f"{column} : « {value} » n'est pas un nombre entier")
        return None
    if number < 0:
        out.error(line, f"{column} : compte négatif ({number})")
        return None
    return number


def _date(value: str, column: str, line: int | None, out: _Collector) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        out.error(line, f"{column} : « {value} » n'est pas une date AAAA-MM-JJ")
        return None


def _read_json(path: Path) -> list[PeriodCounts]:
    loaded = load(path)
    errors = schema_errors(loaded, SCHEMA)
    if errors:
        raise InputError(str(path), errors)
    out = _Collector(str(path))
    rows = []
    for index, item in enumerate(loaded.data["periodes"]):
        line = loaded.line(("periodes", index))
        start, end = _date(item["debut"], "debut", line, out), _date(item["fin"], "fin", line, out)
        if start and end:
            rows.append(
                PeriodCounts(
                    item["finess"],
                    start,
                    end,
                    item["personnes_accompagnees"],
                    item["personnes_ins_qualifiee"],
                    item["dossiers_actifs"],
                    dict(item["documents_dmp"]),
                    item["mss_envoyes"],
                    item["mss_recus"],
                    item["connexions_psc"],
                    str(path),
                    line,
                )
            )
    if out.errors:
        raise InputError(str(path), out.errors)
    return rows


def check_rows(rows: list[PeriodCounts], known_finess: set[str] | None, finess_problem) -> list[str]:
    """Consistency across every row of every export: FINESS, dates, counts, overlapping periods."""
    errors = []
    for row in rows:
        problem = finess_problem(row.finess)
        if problem:
            errors.append(f"{row.where} : FINESS {problem}")
        elif known_finess is not None and row.finess not in known_finess:
            errors.append(f"{row.where} : FINESS {row.finess} inconnu (absent du fichier de grappe)")
        if row.start > row.end:
            errors.append(f"{row.where} : période du {row.start} au {row.end}, début après la fin")
        for count, name in ((row.ins_qualified, "personnes_ins_qualifiee"), (row.active_records, "dossiers_actifs")):
            if count > row.persons:
                errors.append(f"{row.where} : {name} ({count}) dépasse personnes_accompagnees ({row.persons})")
    by_esms: dict[str, list[PeriodCounts]] = {}
    for row in rows:
        by_esms.setdefault(row.finess, []).append(row)
    for finess, periods in by_esms.items():
        periods = sorted(periods, key=lambda r: (r.start, r.end))
        latest = periods[0]  # the period that ends last so far
        for after in periods[1:]:
            if after.start <= latest.end:
                errors.append(
                    f"{after.where} : période du {after.start} au {after.end} de l'ESMS {finess} chevauche "
                    f"celle du {latest.start} au {latest.end} ({latest.where})"
                )
            if after.end > latest.end:
                latest = after
    return errors
