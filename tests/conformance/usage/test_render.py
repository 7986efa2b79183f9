"""The text output of ``usage`` (usage/render.py): what comes from the inputs prints as written, never as markup."""

from __future__ import annotations

import io

from rich.console import Console

from dui_conformance.usage import evaluate_exports
from dui_conformance.usage.render import show_usage

from ...support.usage import ROW_A1, ROW_A2

BOLD, EXTRA = "[bold]x[/bold]", "'dui-conformance[distribue]'"


def test_text_from_the_inputs_prints_as_written_never_as_markup(csv_export, targets, tmp_path):
    """Issue 17: rich reads brackets as markup. ESMS names, FINESS, document types, file names, titles and reasons
    from the inputs are escaped."""
    result = evaluate_exports([csv_export(ROW_A1, ROW_A2)], targets())
    result["cibles"].update(titre=f"Cibles {BOLD}", fichier=f"cibles{EXTRA}.yaml")
    result["cibles"]["convention"] = {"reference": f"ARS {BOLD}", "date": "2024-01-10"}
    esms = result["esms"][0]
    esms.update(nom=f"ESMS {BOLD}", finess=f"59{EXTRA}", motif=f"motif {EXTRA}", decision_libelle=f"décision {BOLD}")
    esms["indicateurs"]["documents_dmp_par_type"] = {f"type {BOLD}": 3}
    result["grappe"].update(motif=f"grappe {EXTRA}", decision_libelle=f"libellé {BOLD}")
    result["lignes_lues"] = 2
    result["preuves"] = {"lus": {f"pièce {BOLD}": 1}, "ecartes_par_motif": {f"écarté {EXTRA}": 1}}
    console = Console(file=io.StringIO(), width=400, color_system=None)
    show_usage(console, result)
    text = console.file.getvalue()
    for hostile in (
        f"Cibles {BOLD}",
        f"cibles{EXTRA}.yaml",
        f"ARS {BOLD}",
        f"ESMS {BOLD} (59{EXTRA})",
        f"décision {BOLD} : motif {EXTRA}",
        f"type {BOLD} 3",
        f"libellé {BOLD}",
        f"grappe {EXTRA}",
        f"pièce {BOLD}",
        f"écarté {EXTRA}",
    ):
        assert hostile in text, hostile
