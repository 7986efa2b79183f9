"""The REM spreadsheet reader: the ANS template's columns, one requirement per ID, and clear French errors."""

from __future__ import annotations

import re
import zipfile

import pytest
from openpyxl import Workbook

from dui_conformance.requirements.rem import RemError, read_rem, rekey

TEMPLATE = ("Périmètre", "ID", "Chapitre", "Fonction", "Exigence", "Nature", "N° scénario", "N° preuve", "VA N-1")


def write(tmp_path, rows, title_rows=0, name="REM.xlsx"):
    book = Workbook()
    sheet = book.active
    for _ in range(title_rows):
        sheet.append(["REM-MS-DUI-Va2 (synthétique)"])
    for row in rows:
        sheet.append(list(row))
    path = tmp_path / name
    book.save(path)
    return path


def test_reads_the_template_one_requirement_per_id(tmp_path):
    path = write(
        tmp_path,
        [
            TEMPLATE,
            (
                "DUI",
                "DUI.PSC.01",
                "PSC",
                "f",
                "Le système DOIT…",
                "EXIGENCE",
                "DUI.PSC.01.01",
                "DUI.PSC.01.01.01",
                "SC.PSC.08",
            ),
            ("DUI", "DUI.PSC.01", "PSC", "f", "Le système DOIT…", "EXIGENCE", "DUI.PSC.01.01", "DUI.PSC.01.01.02", ""),
            ("DUI", None, None, None, None, None, None, None, None),
            (
                "DUI",
                "DUI.MSS.02",
                "MSS",
                "f",
                "Le système PEUT…",
                "PRECONISATION",
                None,
                None,
                "SC.MSS/UX.33, SC.MSS/UX.34",
            ),
        ],
        title_rows=2,
    )
    first, second = read_rem(path)
    assert first.id == "DUI.PSC.01" and first.nature == "EXIGENCE" and first.scenarios == ("DUI.PSC.01.01",)
    assert first.proofs == ("DUI.PSC.01.01.01", "DUI.PSC.01.01.02") and first.previous == ("SC.PSC.08",)
    assert second.previous == ("SC.MSS/UX.33", "SC.MSS/UX.34") and second.chapter == "MSS"
    assert rekey([first, second], {"SC.MSS/UX.34": ["MSS-08"], "DUI.PSC.01": ["PSC-01"]}) == {
        "DUI.PSC.01": ["PSC-01"],
        "DUI.MSS.02": ["MSS-08"],
    }


def test_missing_columns(tmp_path):
    path = write(tmp_path, [("Identifiant", "Chapitre", "Exigence"), ("X.01", "c", "e")])
    with pytest.raises(RemError, match=r"aucune feuille n.a les colonnes ID \(ou « N° exigence »\) et Exigence"):
        read_rem(path)


def test_empty_sheet_and_header_only(tmp_path):
    with pytest.raises(RemError, match="aucune feuille"):
        read_rem(write(tmp_path, []))
    with pytest.raises(RemError, match="sans aucune exigence sous l'en-tête"):
        read_rem(write(tmp_path, [TEMPLATE], name="entete.xlsx"))


def test_huge_sheet_is_capped(tmp_path):
    rows = [TEMPLATE] + [("DUI", f"X.{i}", "c", "f", "e", "EXIGENCE", "", "", "") for i in range(60)]
    with pytest.raises(RemError, match="plus de 50 lignes après l'en-tête : fichier refusé"):
        read_rem(write(tmp_path, rows), max_rows=50)


def test_not_a_workbook(tmp_path):
    path = tmp_path / "faux.xlsx"
    path.write_bytes(b"PK\x03\x04 pas un classeur")
    with pytest.raises(RemError, match="classeur Excel"):
        read_rem(path)
    with pytest.raises(RemError, match="classeur Excel"):
        read_rem(tmp_path / "absent.xlsx")


def test_reads_both_ans_header_spellings(tmp_path):
    """The Convergence export (« Nature de l'exigence », « N° preuve 1…10 ») and the older Ségur report
    (« N° exigence », Section, « Énoncé de l'exigence… ») name the same columns differently."""
    prepub = ("ID", "Chapitre", "Exigence", "Nature de l'exigence", "N° scénario", "N° preuve 1", "Preuve 1")
    prepub += ("N° preuve 2", "Preuve 2", "Statut publication", "VA N-1")
    path = write(
        tmp_path,
        [
            prepub,
            (
                "X.01",
                "c",
                "e",
                "EXIGENCE",
                "X.01.01",
                "X.01.01.01",
                "p",
                "X.01.01.02",
                "p",
                "Inchangée",
                "SC.\u00a0DMP/HISTO.07 ; SC.MSS.14",
            ),
        ],
    )
    (req,) = read_rem(path)
    assert req.nature == "EXIGENCE" and req.proofs == ("X.01.01.01", "X.01.01.02")
    assert req.previous == ("SC. DMP/HISTO.07", "SC.MSS.14")
    older = ("Profil", "ID Section", "Section", "Nature de l'exigence", "N° exigence")
    older += ("Énoncé de l'exigence (DOIT) ou de la préconisation (PEUT)", "N° scénario", "N° preuve 1")
    (req,) = read_rem(
        write(tmp_path, [older, ("G", "MSS/CDA", "CDA", "EXIGENCE", "MSS/CDA.01", "e", "s", "p")], name="b.xlsx")
    )
    assert (req.id, req.chapter, req.statement, req.scenarios) == ("MSS/CDA.01", "CDA", "e", ("s",))


def test_a_wrong_declared_dimension_does_not_hide_rows(tmp_path):
    path = write(tmp_path, [TEMPLATE] + [("DUI", f"X.{i}", "c", "f", "e", "EXIGENCE", "", "", "") for i in range(5)])
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:I2"', parts[sheet])
    with zipfile.ZipFile(path, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)
    assert [r.id for r in read_rem(path)] == [f"X.{i}" for i in range(5)]
