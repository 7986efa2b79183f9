"""``python -m dui_conformance.mocks.dui --insi URL [--dmp URL] [--psc URL] [--pki DOSSIER --mss-smtps URL
--mss-imaps URL]``: run the reference DUI until Ctrl-C, as a vendor's test build started before the harness."""

from __future__ import annotations

import argparse
import threading

from dui_conformance.mocks.common import TestPki

from .app import ReferenceDui
from .defects import DEFECTS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m dui_conformance.mocks.dui",
        description="DUI de référence (adaptateur de test) sur 127.0.0.1.",
        epilog="Défauts : " + " ; ".join(f"{name} — {defect.text}" for name, defect in DEFECTS.items()),
    )
    parser.add_argument("--insi", required=True, help="URL du téléservice INSi (simulé) à interroger")
    parser.add_argument("--dmp", help="URL du DMP simulé (…/dmp) à alimenter et à consulter")
    parser.add_argument("--psc", metavar="URL", help="URL de découverte du fournisseur Pro Santé Connect (simulé)")
    parser.add_argument("--psc-racine", metavar="FICHIER", help="certificat racine à qui faire confiance pour PSC")
    parser.add_argument("--psc-client", default="dui-conformance", help="client_id enregistré auprès de PSC")
    parser.add_argument("--psc-secret", default="secret-de-test-psc", help="secret du client PSC")
    parser.add_argument(
        "--pki",
        metavar="DOSSIER",
        help="dossier de la PKI de test du harnais ([services] pki) : faire confiance à sa racine "
        "seule, présenter son certificat client (INSi, DMP, PSC et MSSanté en TLS)",
    )
    parser.add_argument("--mss-smtps", metavar="URL", help="soumission MSSanté de l'opérateur (smtps://…), avec --pki")
    parser.add_argument("--mss-imaps", metavar="URL", help="relève MSSanté de l'opérateur (imaps://…), avec --pki")
    parser.add_argument("--port", type=int, default=0, help="port d'écoute (0 = port libre choisi par le système)")
    parser.add_argument(
        "--defaut", action="append", default=[], choices=sorted(DEFECTS), help="défaut à activer (répétable)"
    )
    args = parser.parse_args(argv)
    if (args.mss_smtps or args.mss_imaps) and not (args.pki and args.mss_smtps and args.mss_imaps):
        parser.error("MSSanté exige --pki, --mss-smtps et --mss-imaps.")
    tls = TestPki.files_in(args.pki) if args.pki else None
    psc = (
        {
            "discovery_url": args.psc,
            "client_id": args.psc_client,
            "client_secret": args.psc_secret,
            "verify": args.psc_racine or (tls["racine"] if tls else True),
        }
        if args.psc
        else None
    )
    mss = {"smtps": args.mss_smtps, "imaps": args.mss_imaps} if args.mss_smtps else None
    dui = ReferenceDui(
        args.insi, frozenset(args.defaut), port=args.port, dmp_url=args.dmp, psc=psc, tls=tls, mss_urls=mss, mss_tls=tls
    )
    try:  # announce only inside the try: a Ctrl-C right after the announcement still stops cleanly
        print(f"DUI de référence à l'écoute : {dui.start()}", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nArrêt du DUI de référence.")
    finally:
        dui.stop()


if __name__ == "__main__":
    main()
