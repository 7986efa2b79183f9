"""``python -m dui_conformance.mocks.insi``: run the INSi mock until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from ..common.harness import ADMIN_TOKEN
from .service import InsiMock


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m dui_conformance.mocks.insi",
        description="Téléservice INSi simulé (SOAP 1.2) sur 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port d'écoute (0 = port libre choisi par le système)")
    parser.add_argument("--personas", help="fichier TOML d'identités fictives (par défaut : celui fourni)")
    args = parser.parse_args(argv)
    mock = InsiMock(personas_path=args.personas, port=args.port)
    try:  # announce only inside the try: a Ctrl-C right after the announcement still stops cleanly
        url = mock.start()
        print(f"Téléservice INSi simulé à l'écoute : {url}", flush=True)
        print(f"Échanges enregistrés : {mock.base_url}/_harness/exchanges — Ctrl-C pour arrêter.", flush=True)
        print(f"Jeton d'administration (en-tête « Authorization: Bearer … ») : {ADMIN_TOKEN}", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nArrêt du téléservice INSi simulé.")
    finally:
        mock.stop()


if __name__ == "__main__":
    main()
