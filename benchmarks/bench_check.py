"""Throughput of a whole offline `check` run (Gherkin plan + every service check), in documents per second.

    python benchmarks/bench_check.py --copies 20 --jobs 1 2

Copies the bundled valid fixtures N times into a temporary export folder, then times the real
runner with each worker count. A benchmark, not a test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from dui_conformance.fixtures import iter_manifest
from dui_conformance.runner import Execution, execute
from dui_conformance.settings import RunSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="copies of each valid fixture")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    args = parser.parse_args()
    sources = [e.path for e in iter_manifest() if not e.fails]
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        for i in range(args.copies):
            for src in sources:
                shutil.copy(src, Path(tmp) / f"{i:04d}-{src.parent.name}-{src.name}")
        count = len(sources) * args.copies
        for jobs in args.jobs:
            start = time.perf_counter()
            run = execute(Execution(RunSettings(mode="check", inputs=[tmp]), jobs=jobs))
            elapsed = time.perf_counter() - start
            print(
                f"{count} documents, {len(run.scenarios)} scénarios, {jobs} processus : "
                f"{elapsed:.1f} s, {count / elapsed:.1f} documents/s"
            )


if __name__ == "__main__":
    main()
