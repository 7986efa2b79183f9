"""Cost of a large FHIR export in an offline `check`: time and peak memory against the number of entries.

    python benchmarks/bench_fhir.py [--entries 10000 100000] [--xml-entries 10000]

Writes, in a temporary folder, one file per case, and runs ``dui-conformance check`` on each in a fresh process
(``bench_engine.measure``: wall and CPU time, peak memory), next to a one-Patient Bundle (the start-up floor):

- ``observations``: a JSON Bundle of N Observation entries and one ITI-65-like DocumentReference carrying its
  Patient in ``contained`` (the cost of walking entries that hold no Patient);
- ``patients``: a JSON Bundle of N Patient entries (over ``MAX_PATIENTS``: the surplus is counted, not read);
- ``xml``: the ``patients`` Bundle in XML FHIR, for --xml-entries entries.

Per-entry cost is (CPU − floor CPU) / N. A benchmark, not a test: it prints numbers and asserts nothing (results:
BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_engine import measure
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
PATIENT = json.loads((ROOT / "fixtures" / "fhir" / "patient_ins_qual_corse.json").read_text("utf-8"))
PATIENT_XML = etree.parse(str(ROOT / "fixtures" / "fhir" / "patient_ins_qual_corse.xml")).getroot()
OBSERVATION = {"resourceType": "Observation", "status": "final", "code": {"text": "poids"}}


def observations(count: int) -> bytes:
    entries = [{"fullUrl": f"urn:uuid:{i}", "resource": OBSERVATION} for i in range(count)]
    docref = {"resourceType": "DocumentReference", "status": "current", "contained": [PATIENT]}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [*entries, {"resource": docref}]}
    return json.dumps(bundle).encode()


def patients(count: int) -> bytes:
    entries = [{"fullUrl": f"urn:uuid:{i}", "resource": PATIENT} for i in range(count)]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}).encode()


def patients_xml(count: int) -> bytes:
    ns = PATIENT_XML.nsmap[None]
    with tempfile.SpooledTemporaryFile() as out:
        with etree.xmlfile(out, encoding="utf-8") as xf, xf.element(f"{{{ns}}}Bundle", nsmap={None: ns}):
            xf.write(etree.Element(f"{{{ns}}}type", value="collection"))
            for _ in range(count):
                with xf.element(f"{{{ns}}}entry"), xf.element(f"{{{ns}}}resource"):
                    xf.write(PATIENT_XML)
        out.seek(0)
        return out.read()


CASES = {"observations": observations, "patients": patients, "xml": patients_xml}


def run(label: str, folder: Path, case: str, entries: int, floor_cpu: float | None) -> float:
    """Measure ``check`` on one generated file. The file is written by a child process: a child forked from a
    benchmark holding the data would count that memory in its own peak (``ru_maxrss`` before ``exec``)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    target = folder / ("lot.xml" if case == "xml" else "lot.json")
    subprocess.run([sys.executable, __file__, "--ecrire", case, str(entries), str(target)], check=True)
    argv = [sys.executable, "-m", "dui_conformance", "check", str(folder), "-q", "--formats", "json"]
    wall, cpu, rss, code = measure([*argv, "--report-dir", str(folder.with_name(folder.name + "-rapport"))])
    per_entry = f"{1e6 * (cpu - floor_cpu) / entries:8.1f} µs/entrée" if floor_cpu is not None else ""
    print(
        f"{label:<34} {entries:>7} entrées {target.stat().st_size / 2**20:7.1f} Mo  {wall:7.2f} s mur  "
        f"{cpu:7.2f} s CPU  {rss:6d} Mio  code {code}  {per_entry}"
    )
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[10_000, 100_000], help="entries per JSON Bundle")
    parser.add_argument("--xml-entries", type=int, nargs="*", default=[10_000], help="entries per XML Bundle")
    parser.add_argument("--ecrire", nargs=3, metavar=("CAS", "N", "FICHIER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ecrire:
        case, count, target = args.ecrire
        Path(target).write_bytes(CASES[case](int(count)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-fhir-") as tmp:
        folder = Path(tmp) / "entrees"
        floor = run("un Patient (plancher)", folder, "patients", 1, None)
        for count in args.entries:
            run("Bundle JSON d'Observation", folder, "observations", count, floor)
            run("Bundle JSON de Patient", folder, "patients", count, floor)
        for count in args.xml_entries:
            run("Bundle XML de Patient", folder, "xml", count, floor)


if __name__ == "__main__":
    main()
