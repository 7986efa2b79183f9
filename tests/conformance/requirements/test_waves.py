"""The referential each wave judges against: sourced data, read once, named by every report."""

from __future__ import annotations

from pathlib import Path

import pytest

from dui_conformance.requirements.catalogue import WAVES, CatalogueError
from dui_conformance.requirements.waves import _builtin, parse_waves, wave_referential

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference"


def test_every_wave_has_its_referential():
    assert sorted(_builtin()) == list(WAVES)
    vague1, vague2 = wave_referential(1), wave_referential(2)
    assert vague1.version == "version non sourcée" and vague1.status == "publie"
    assert vague2.status == "projet" and "19/12/2025" in vague2.version and "Squash" in vague2.source
    assert vague2.to_dict() == {
        "vague": 2,
        "nom": vague2.name,
        "version": vague2.version,
        "statut": "projet",
        "source": vague2.source,
    }
    assert vague2.describe().startswith("Vague 2 — DSR / REM Ségur vague 2") and vague2.describe().endswith("(projet)")


def test_each_referential_is_named_in_its_reference_file():
    if not REFERENCE.is_dir():
        pytest.skip(f"{REFERENCE} absent : référentiels non vérifiés contre leur source")
    for wave in WAVES:
        ref = wave_referential(wave)
        assert ref.cite in (REFERENCE / ref.reference).read_text(encoding="utf-8"), wave


ROW = 'name = "n"\nversion = "v"\nstatus = "projet"\nsource = "s"\nreference = "r.md"\ncite = "c"\n'
NO_VERSION = ROW.replace('version = "v"', 'version = ""')


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (f"[wave.1]\n{ROW}", r"vague\(s\) \[2\] sans référentiel"),
        (f"[wave.1]\n{ROW}[wave.2]\n{ROW}[wave.3]\n{ROW}", "vague 3 :"),
        (f"[wave.1]\n{ROW}[wave.2]\n{ROW.replace('projet', 'officiel')}", "statut 'officiel'"),
        (f"[wave.1]\n{ROW}[wave.2]\n{NO_VERSION}", "« version » absent ou vide"),
    ],
)
def test_a_malformed_waves_file_is_refused(text, words):
    with pytest.raises(CatalogueError, match=words):
        parse_waves(text)
