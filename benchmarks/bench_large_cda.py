"""Peak memory and time of `check` on one CDA made of many tiny elements (issue 21: 190 MB took 4.9 GB).

    python benchmarks/bench_large_cda.py --elements 500000 1900000 2100000 38000000

Each size is the valid DLU fixture whose first narrative ``<text>`` holds N empty ``<br/>`` elements (5 bytes
each: 38 000 000 is the 190 MB of the issue). Every run is a fresh `dui-conformance check --jobs 1` process:
its peak resident memory comes from ``wait4``. A benchmark, not a test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.xmlsafe import MAX_XML_ELEMENTS

SOURCE = FIXTURES_DIR / "cda" / "dmp" / "dlu-valide.xml"
ANCHOR = b"<text>Aucun traitement.</text>"
CHUNK = 100_000


def write_cda(path: Path, elements: int) -> int:
    """The fixture with ``elements`` ``<br/>`` in one narrative block, written in chunks (bounded memory)."""
    head, _, tail = SOURCE.read_bytes().partition(ANCHOR)
    with path.open("wb") as out:
        out.write(head + b"<text>")
        for start in range(0, elements, CHUNK):
            out.write(b"<br/>" * min(CHUNK, elements - start))
        out.write(b"</text>" + tail)
    return path.stat().st_size


def measure(path: Path, report_dir: Path) -> tuple[int, float, int]:
    """(exit code, seconds, peak RSS in bytes) of one check run in its own process."""
    command = [sys.executable, "-m", "dui_conformance", "check", str(path), "--jobs", "1", "-q"]
    command += ["--formats", "json", "--report-dir", str(report_dir)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    return os.waitstatus_to_exitcode(status), elapsed, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, nargs="+", default=[500_000, 1_900_000, 2_100_000])
    args = parser.parse_args()
    print(f"limite : {MAX_XML_ELEMENTS} éléments (xmlsafe.MAX_XML_ELEMENTS)")
    with tempfile.TemporaryDirectory(prefix="bench-large-cda-") as tmp:
        for elements in args.elements:
            path = Path(tmp) / f"cda-{elements}.xml"
            size = write_cda(path, elements)
            code, elapsed, peak = measure(path, Path(tmp) / f"rapport-{elements}")
            print(
                f"{elements:>11} éléments, {size / 1e6:7.1f} Mo : code {code}, {elapsed:6.1f} s, "
                f"pic {peak / 2**20:7.0f} Mio"
            )
            path.unlink()


if __name__ == "__main__":
    main()
