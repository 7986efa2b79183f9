"""``python -m dui_conformance.mocks.dui --insi URL [--dmp URL]``: run the reference DUI until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from .app import ReferenceDui
from .defects import DEFECTS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m dui_conformance.mocks.dui",
        description="DUI de référence (adaptateur de test) sur 127.0.0.1.",
        epilog="Défauts : " + " ; ".join(f"{name} — {text}" for name, text in DEFECTS.items()),
    )
    parser.add_argument("--insi", required=True, help="URL du téléservice INSi (simulé) à interroger")
    parser.add_argument("--dmp", help="URL du DMP simulé (…/dmp) à alimenter et à consulter")
    parser.add_argument("--port", type=int, default=0, help="port d'écoute (0 = port libre choisi par le système)")
    parser.add_argument("--defaut", action="append", default=[], choices=sorted(DEFECTS),
                        help="défaut à activer (répétable)")
    args = parser.parse_args(argv)
    dui = ReferenceDui(args.insi, frozenset(args.defaut), port=args.port, dmp_url=args.dmp)
    print(f"DUI de référence à l'écoute : {dui.start()}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nArrêt du DUI de référence.")
    finally:
        dui.stop()


if __name__ == "__main__":
    main()
