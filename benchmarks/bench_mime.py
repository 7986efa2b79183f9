"""Cost of reading hostile MIME headers (issue 21, item 4): time per input size, which must grow linearly.

    python benchmarks/bench_mime.py [--tailles 1000,2000,4000,8000,32000,100000] [--repetitions 200]

Three families of one header field each, at growing sizes: a Content-Type with N parameters, a Subject folded on
N lines, a Subject of N RFC 2047 encoded words; plus the valid DLU of fixtures/mss read ``--repetitions`` times
(messages per second). Each line: the family, N, the message's size, the wall time of ``check_message_data`` and
its MSS-01 outcome (a field beyond the bounds of conformance/mss/mime.py is refused before analysis). Every input
is generated in memory; the largest (100 000 encoded words) is under 3 MB.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from dui_conformance.mss import check_message_data

ROOT = Path(__file__).resolve().parents[1]
HEAD = (
    "From: secretariat@ehpad-les-tilleuls.mssante.fr\r\nTo: urgences@ch-fictif.mssante.fr\r\n"
    "Date: Tue, 12 Mar 2024 10:35:00 +0100\r\nMessage-ID: <m-1@ehpad-les-tilleuls.mssante.fr>\r\nMIME-Version: 1.0\r\n"
)
FAMILIES = {
    "paramètres": lambda n: "Content-Type: text/plain" + "".join(f"; p{i}=v{i}" for i in range(n)),
    "lignes repliées": lambda n: "Subject: XDM" + "".join("\r\n x" for _ in range(n)),
    "mots encodés": lambda n: "Subject: " + "\r\n ".join("=?utf-8?q?R=C3=A9sident?=" for _ in range(n)),
}


def message(field: str) -> bytes:
    return (HEAD + field + "\r\n\r\ncorps\r\n").encode()


def timed(data: bytes) -> tuple[float, str]:
    start = time.perf_counter()
    findings = check_message_data(data, "bench.eml")
    elapsed = time.perf_counter() - start
    outcome = next(f.outcome.value for f in findings if f.requirement == "MSS-01")
    return elapsed, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description="Coût des en-têtes MIME hostiles (secondes par taille).")
    parser.add_argument("--tailles", default="1000,2000,4000,8000,32000,100000", help="valeurs de N, virgules")
    parser.add_argument("--repetitions", type=int, default=200, help="lectures du DLU valide")
    args = parser.parse_args()
    sizes = [int(n) for n in args.tailles.split(",")]
    for family, build in FAMILIES.items():
        for n in sizes:
            data = message(build(n))
            elapsed, outcome = timed(data)
            print(f"{family:<16} N={n:>7}  {len(data):>9} octets  {elapsed:8.3f} s  MSS-01 {outcome}")
    valid = (ROOT / "fixtures" / "mss" / "message-dlu-valide.eml").read_bytes()
    start = time.perf_counter()
    for _ in range(args.repetitions):
        check_message_data(valid, "message-dlu-valide.eml")
    elapsed = time.perf_counter() - start
    rate = args.repetitions / elapsed
    print(f"DLU valide       {args.repetitions} lectures  {elapsed:8.2f} s  {rate:8.1f} messages/s")


if __name__ == "__main__":
    main()
