"""Regenerate conformance/cda/valuesets.json, the built-in CI-SIS code lists, from SVS files.

Usage: python scripts/generate_value_sets.py DOSSIER_JEUX_DE_VALEURS [--source NOM] [--commit SHA]

DOSSIER is a ``jeuxDeValeurs`` folder (a TestContenuCDA checkout's, or a copy beside a
SOURCE_COMMIT file). The sets to extract and the hand-written fallbacks are read from
conformance/cda/codes.toml; the commit is taken from git or SOURCE_COMMIT unless given.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

from dui_conformance.cda.valuesets import generate_builtin

CDA = Path(__file__).resolve().parents[1] / "conformance" / "cda"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("svs_dir", type=Path)
    parser.add_argument("--source", default="ansforge/TestContenuCDA-3-0 jeuxDeValeurs")
    parser.add_argument("--commit", default=None)
    parser.add_argument("--output", type=Path, default=CDA / "valuesets.json")
    args = parser.parse_args(argv)
    config = tomllib.loads((CDA / "codes.toml").read_text(encoding="utf-8"))
    try:
        data = generate_builtin(
            args.svs_dir, config["generation"]["value_sets"], config.get("value_set", []), args.source, args.commit
        )
    except ValueError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 2
    args.output.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    manual = [s["name"] for s in data["value_sets"] if s["origin"] == "hand-written"]
    print(
        f"{args.output} : {len(data['value_sets'])} jeux, commit {data['source']['commit']}, "
        f"écrits à la main : {', '.join(manual) or 'aucun'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
