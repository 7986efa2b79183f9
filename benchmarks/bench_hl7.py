"""Cost of reading HL7 v2 files: many messages in one file, and one PID-3 with a hostile number of repetitions.

    python benchmarks/bench_hl7.py [--messages 20000] [--repetitions 100000] [--sans-cli]

Both files are generated in a temporary folder from fixtures/hl7v2/adt_a28_ins_qual.hl7 (issue 21, item 4:
20 000 messages took 220 s and 2.5 GB, one PID-3 of 100 000 repetitions 95 s). For each file it measures
(a) the PID reader alone (split + identities), (b) every INS check of the document (``ins.check_document``),
in this process, then (c) the whole ``dui-conformance check`` in a child process (wall time and peak
memory of the child, report written). The reader must stay linear: doubling --messages doubles (a) and (b).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dui_conformance.inputs import load
from dui_conformance.ins import check_document
from dui_conformance.ins.hl7v2_pid import read_hl7v2

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "hl7v2" / "adt_a28_ins_qual.hl7"
IPP = "IPP-19420714^^^EHPAD-TILLEULS&2.25.50879408969262206750548096886815666610&ISO^PI"


def inputs(folder: Path, messages: int, repetitions: int) -> list[tuple[str, Path, int]]:
    """(label, file, PID segments) of the two generated files."""
    sample = SAMPLE.read_text("utf-8")
    many = folder / "messages.hl7"
    many.write_text(sample * messages, encoding="utf-8")
    wide = folder / "repetitions.hl7"
    wide.write_text(sample.replace(IPP, "~".join([IPP] * repetitions)), encoding="utf-8")
    return [(f"{messages} messages", many, messages), (f"PID-3 de {repetitions} répétitions", wide, 1)]


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def cli(path: Path, report: Path) -> tuple[float, float, int]:
    """Wall seconds, peak MiB and exit code of one ``dui-conformance check`` child process."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "dui_conformance", "check", str(path), "--taille-max", "1000"]
        + ["--report-dir", str(report), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, child.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description="Coût de lecture des messages HL7 v2 (linéaire et borné).")
    parser.add_argument("--messages", type=int, default=20000, help="messages dans le premier fichier")
    parser.add_argument("--repetitions", type=int, default=100000, help="répétitions de PID-3 dans le second")
    parser.add_argument("--sans-cli", action="store_true", help="ne pas mesurer la commande check complète")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hl7-") as tmp:
        folder = Path(tmp)
        files = inputs(folder, args.messages, args.repetitions)
        # The children first: a child's peak memory counts what it shares with this process at fork time.
        runs = {} if args.sans_cli else {path: cli(path, folder / f"rapport-{path.stem}") for _, path, _ in files}
        for label, path, pids in files:
            text = path.read_text("utf-8")
            read = timed(lambda text=text, path=path: read_hl7v2(text, str(path)))
            checks = timed(lambda path=path: check_document(load(path, 1024 * 1024 * 1024)))
            print(f"{label} ({path.stat().st_size / 1024 / 1024:.1f} Mo)")
            print(f"  (a) lecture des PID            {read:8.2f} s  {1000 * read / pids:8.3f} ms par PID")
            print(f"  (b) contrôles INS du document   {checks:8.2f} s  {1000 * checks / pids:8.3f} ms par PID")
            if path in runs:
                elapsed, peak, code = runs[path]
                print(f"  (c) dui-conformance check       {elapsed:8.2f} s  pic {peak:7.0f} Mio  code {code}")


if __name__ == "__main__":
    main()
