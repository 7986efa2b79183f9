"""Usage inputs for the usage tests, unit and CLI: a usage export as a DUI writes it (its header, which the fixture
``csv_export`` in tests/conftest.py writes, and two rows of one ESMS), and a cluster of evidence whose counts are
known, one item per counting rule (:func:`evidence_cluster`)."""

from __future__ import annotations

import datetime
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.usage import corpus

HEADER = (
    "finess;debut;fin;personnes_accompagnees;personnes_ins_qualifiee;dossiers_actifs;dmp:DLU;dmp:PPA;"
    "mss_envoyes;mss_recus;connexions_psc"
)
ROW_A1 = "590000011;2022-01-01;2022-03-31;50;20;45;3;1;10;4;30"
ROW_A2 = "590000011;2022-04-01;2022-06-30;52;40;50;5;2;12;6;31"


A, B, C = "590000011", "590000022", "590000033"
BOX_A, BOX_B = "dui@esms-a.mssante.fr", "secretariat@esms-b.mssante.fr"
OUTSIDE_BOX = "urgences@ch-fictif.mssante.fr"
PERIOD = "periode: {debut: 2024-01-01, fin: 2024-12-31}\n"
REAL = "exemple: false\ntitre: Cibles ARS test\nconvention: {reference: ARS-HDF-2024-042, date: 2024-01-10}\n"
EXAMPLE = "exemple: true\ntitre: EXEMPLE\n"


def at(month: int, day: int, year: int = 2024) -> datetime.datetime:
    return datetime.datetime(year, month, day, 10, 30)


# P1 to P4 have a qualified identity (an INS), P3 and P6 none, P5 an INS with a provisional status.
P1, P2, P4 = corpus.person(1), corpus.person(2), corpus.person(4)
P3, P6 = corpus.person(3, qualified=False), corpus.person(6, qualified=False)
P5 = corpus.person(5)


@dataclass
class Cluster:
    folder: Path
    grappe: Path

    def targets(self, text: str = "", head: str = REAL, period: str = PERIOD) -> Path:
        path = self.folder.parent / "cibles.yaml"
        path.write_text(head + period + (text or "cibles:\n  documents_dmp: 1\n"), encoding="utf-8")
        return path


def write(folder: Path, name: str, data: bytes) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def evidence_cluster(tmp_path: Path) -> Cluster:
    """Two ESMS of a cluster of three (C has no evidence). Expected, in 2024:

    A: documents_dmp 2 (DLU 1, VSM 1); persons P1, P2, P3, P5 of whom P1, P2 qualified; 2 messages sent.
    B: documents_dmp 1 (DLU); persons P4, P6 of whom P4 qualified; 2 messages received.
    """
    folder = tmp_path / "preuves"
    a, b = folder / "esms-a", folder / "esms-b"
    d1 = corpus.cda(P1, A, at(3, 1), "S1")
    write(a, "d1.xml", d1)  # counted: DLU of P1
    write(a, "d1-v2.xml", corpus.cda(P1, A, at(4, 1), "S1", 2, replaces="S1.1"))  # replacement: not new
    d2 = corpus.cda(P2, A, at(5, 1), "S2", kind="VSM")
    write(a, "d2.xml", d2)  # counted once: VSM of P2 ...
    write(a, "d2.mtom", corpus.iti41([d2], at(5, 2)))  # ... also submitted: the same document
    write(a, "d3.xml", corpus.cda(P3, A, at(6, 1), "S3"))  # patient without INS: not counted
    write(a, "d4.xml", corpus.cda(P1, A, at(12, 15, 2023), "S4"))  # before the period
    write(a, "d5.xml", corpus.cda(P2, None, at(7, 1), "S5"))  # no structure id: not attributable
    write(a, "d6.xml", corpus.cda(P1, A, None, "S6"))  # no effectiveTime: not dated
    write(a, "d9.xml", corpus.cda(P1, "999999999", at(7, 2), "S9"))  # a structure outside the cluster
    write(b, "d7.mtom", corpus.iti41([corpus.cda(P4, B, at(2, 1), "S7")], at(2, 3)))  # counted for B
    write(a, "m1.eml", corpus.message(BOX_A, [OUTSIDE_BOX], at(3, 2), "m1@esms-a", d1))  # sent by A
    write(a, "copie/m1.eml", corpus.message(BOX_A, [OUTSIDE_BOX], at(3, 2), "m1@esms-a", d1))  # the same message
    write(b, "m2.eml", corpus.message(OUTSIDE_BOX, [BOX_B], at(3, 3), "m2@ch"))  # received by B
    write(a, "m3.eml", corpus.message(BOX_A, [BOX_B], at(7, 1), "m3@esms-a"))  # sent by A, received by B
    write(a, "m4.eml", corpus.message("x@ailleurs.mssante.fr", [OUTSIDE_BOX], at(7, 1), "m4@x"))  # no cluster box
    write(a, "m5.eml", corpus.message(BOX_A, [OUTSIDE_BOX], at(11, 1, 2023), "m5@esms-a"))  # before the period
    write(a, "m6.eml", corpus.message(BOX_A, [OUTSIDE_BOX], None, "m6@esms-a"))  # no Date
    shutil.copy(FIXTURES_DIR / "mss" / "mdn-traite.eml", a / "mdn.eml")  # an acknowledgement: no message
    write(a, "identites.json", corpus.fhir_patients([(P1, "QUAL"), (P3, "PROV"), (P5, "PROV")], A, at(9, 1).date()))
    write(a, "sans-date.json", corpus.fhir_patients([(P2, "QUAL")], A, None))  # not dated
    write(b, "adt.hl7", corpus.hl7_patients([(P4, "VALI"), (P6, "PROV")], B, at(9, 2)))
    write(folder, "notes.txt", b"Ceci n'est pas une preuve.\n")
    grappe = tmp_path / "grappe.yaml"
    grappe.write_text(
        yaml.safe_dump(corpus.cluster_file([A, B, C], {A: [BOX_A], B: [BOX_B], C: []}), allow_unicode=True),
        encoding="utf-8",
    )
    return Cluster(folder, grappe)
