"""Usage exports written on the fly: a header and rows, as a DUI would export them."""

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "conformance" / "funding" / "examples"
HEADER = (
    "finess;debut;fin;personnes_accompagnees;personnes_ins_qualifiee;dossiers_actifs;dmp:DLU;dmp:PPA;"
    "mss_envoyes;mss_recus;connexions_psc"
)


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def csv_export(tmp_path):
    def _write(*rows: str, header: str = HEADER, name: str = "export.csv") -> Path:
        path = tmp_path / name
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        return path

    _write.header = HEADER  # tests derive bad headers from it (conftest cannot be imported)
    return _write


@pytest.fixture
def targets(tmp_path):
    def _write(
        text: str = "exemple: true\ntitre: EXEMPLE\ncibles:\n  part_ins_qualifiee: 0.5\n  mss_envoyes: 1\n",
    ) -> Path:
        path = tmp_path / "cibles.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return _write
