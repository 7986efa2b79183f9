"""Read a workbook the harness wrote (``rem-preuves.xlsx``) back as plain rows."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook


def sheet_rows(path: Path) -> list[tuple]:
    """Every row of the first sheet, as values (the header first)."""
    book = load_workbook(path, read_only=True)
    try:
        return list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
