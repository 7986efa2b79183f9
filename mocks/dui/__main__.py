"""``python -m dui_conformance.mocks.dui --insi URL [--dmp URL] [--psc URL]``: run the reference DUI until Ctrl-C."""

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
    parser.add_argument("--psc", metavar="URL", help="URL de découverte du fournisseur Pro Santé Connect (simulé)")
    parser.add_argument("--psc-racine", metavar="FICHIER", help="certificat racine à qui faire confiance pour PSC")
    parser.add_argument("--psc-client", default="dui-conformance", help="client_id enregistré auprès de PSC")
    parser.add_argument("--psc-secret", default="secret-de-test-psc", help="secret du client PSC")
    parser.add_argument("--port", type=int, default=0, help="port d'écoute (0 = port libre choisi par le système)")
    parser.add_argument("--defaut", action="append", default=[], choices=sorted(DEFECTS),
                        help="défaut à activer (répétable)")
    args = parser.parse_args(argv)
    psc = {"discovery_url": args.psc, "client_id": args.psc_client, "client_secret": args.psc_secret,
           "verify": args.psc_racine or True} if args.psc else None
    dui = ReferenceDui(args.insi, frozenset(args.defaut), port=args.port, dmp_url=args.dmp, psc=psc)
    print(f"DUI de référence à l'écoute : {dui.start()}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nArrêt du DUI de référence.")
    finally:
        dui.stop()


if __name__ == "__main__":
    main()
