"""Time and peak memory of `usage` over a year of a cluster's exports, on the executors `check` uses.

    python benchmarks/bench_usage.py                       # 30 ESMS, 10 000 documents, 1 then 2 processes
    python benchmarks/bench_usage.py --documents 100000 --jobs 2 --executor local dask-local

Writes a synthetic corpus (conformance/usage/corpus.py: one folder per ESMS, CDA exports, ITI-41
submissions, MSSanté messages, a FHIR identity export; replacements, people without a qualified
identity), then runs each measure in a fresh process: wall and processor time, peak memory of the controller
(the process that counts) and of the largest worker, and whether the counts are the ones the
corpus was written with. A benchmark, not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from dui_conformance.usage import corpus, evaluate_exports

START = datetime.date(2024, 1, 1)
TARGETS = (
    "exemple: false\ntitre: Cibles du banc d'essai\nconvention: {reference: BANC-USAGE, date: 2024-01-01}\n"
    f"periode: {{debut: {START}, fin: {START + datetime.timedelta(days=364)}}}\n"
    "cibles:\n  documents_dmp: 1\n  part_ins_qualifiee: 0.5\n  mss_envoyes: 1\n"
)


def measure(folder: Path, executor: str, jobs: int) -> None:
    """One run in this process; prints its figures as JSON (the parent reads them)."""
    start = time.perf_counter()
    result = evaluate_exports(
        [folder / "preuves"], folder / "cibles.yaml", folder / "grappe.yaml", executor=executor, jobs=jobs
    )
    elapsed = time.perf_counter() - start
    counts = {
        e["finess"]: [
            e["indicateurs"]["documents_dmp"],
            e["indicateurs"]["personnes_accompagnees"],
            e["indicateurs"]["personnes_ins_qualifiee"],
            e["indicateurs"]["mss_envoyes"],
        ]
        for e in result["esms"]
    }
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
                "controller_mib": own.ru_maxrss / 1024,
                "worker_mib": children.ru_maxrss / 1024,
                "counts": counts,
                "read": result["preuves"]["lus"],
                "decision": result["grappe"]["decision"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000, help="documents of the year (100000: the target)")
    parser.add_argument("--esms", type=int, default=30, help="ESMS of the cluster (30: the funding cap)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    parser.add_argument("--executor", nargs="+", default=["local"], help="local, dask-local or dask://HÔTE:PORT")
    parser.add_argument("--dossier", type=Path, help="keep the corpus in this folder (reused when it is there)")
    parser.add_argument("--mesurer", type=Path, help=argparse.SUPPRESS)  # the child process: one measure
    args = parser.parse_args()
    if args.mesurer:
        measure(args.mesurer, args.executor[0], args.jobs[0])
        return
    with tempfile.TemporaryDirectory(prefix="bench-usage-") as tmp:
        folder = args.dossier or Path(tmp)
        esms = [f"59{index:07d}" for index in range(1, args.esms + 1)]
        expected_file = folder / "attendu.json"
        if not expected_file.exists():
            start = time.perf_counter()
            written = corpus.write_year(folder / "preuves", esms, args.documents, START)
            (folder / "grappe.yaml").write_text(yaml.safe_dump(corpus.cluster_file(esms)), encoding="utf-8")
            (folder / "cibles.yaml").write_text(TARGETS, encoding="utf-8")
            expected = {
                f: [written.documents[f], len(written.persons[f]), len(written.qualified[f]), written.sent[f]]
                for f in esms
            }
            expected_file.write_text(json.dumps({"files": written.files, "counts": expected}), encoding="utf-8")
            print(f"corpus : {written.files} fichiers écrits en {time.perf_counter() - start:.0f} s ({folder})")
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        for executor in args.executor:
            for jobs in args.jobs:
                proc = subprocess.run(
                    [sys.executable, __file__, "--mesurer", str(folder), "--jobs", str(jobs), "--executor", executor],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                figures = json.loads(proc.stdout.strip().splitlines()[-1])
                same = "comptes exacts" if figures["counts"] == expected["counts"] else "COMPTES FAUX"
                print(
                    f"{args.documents} documents ({expected['files']} fichiers), {args.esms} ESMS, {executor}, "
                    f"{jobs} processus : {figures['seconds']:.1f} s ({figures['cpu_seconds']:.0f} s de processeur), "
                    f"{expected['files'] / figures['seconds']:.0f} fichiers/s, "
                    f"contrôleur {figures['controller_mib']:.0f} Mio, plus gros processus fils "
                    f"{figures['worker_mib']:.0f} Mio ; {same} ; décision {figures['decision']}"
                )


if __name__ == "__main__":
    main()
