"""Whole-CLI cost of an offline `check` against floors measured the same way (fresh processes).

    python benchmarks/bench_engine.py [--documents 520] [--shared ../shared] [--jobs 0] [--formats json]
                                      [--large 1000 10000]

- corpus: the structured CDA documents of ../shared/ans-examples/cda (skipped when absent) and
  the valid CDA fixtures, copied with a different ClinicalDocument id each, up to --documents;
- floor: a fresh Python process that parses the same files with lxml;
- CLI: ``dui-conformance check`` on them (every report format), wall and CPU time, peak memory;
- marginal cost per document: the CLI on twice the corpus, minus the CLI on the corpus;
- ``dui-conformance --help`` start-up;
- --large N…: N generated documents each (e.g. 1 000 and 10 000): time and peak memory;
- DUI_REFERENTIEL_CDA=/path/to/TestContenuCDA: the CLI with --referentiel-cda against the
  baseline of applying the same compiled schematrons one document after another with SaxonC
  in one process (the first run, which compiles the schematrons into the cache, is not timed).

A benchmark, not a test: it prints numbers and asserts nothing (results: BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_ROOT_ID = re.compile(rb'(<id\b[^>]*?\broot=")([0-9.]+)(")')


def sources(shared: Path) -> list[Path]:
    from dui_conformance.fixtures import iter_manifest
    from dui_conformance.inputs import CDA, load

    found = [e.path for e in iter_manifest() if not e.fails and load(e.path).kind == CDA]
    cda = shared / "ans-examples" / "cda"
    if cda.is_dir():
        found += sorted(cda.glob("*.xml"))
    else:
        print(f"({cda} absent : corpus des seules fixtures)")
    return found


def build_corpus(folder: Path, templates: list[Path], count: int) -> Path:
    """``count`` documents cycling over the templates, each with its own ClinicalDocument/id root."""
    folder.mkdir(parents=True, exist_ok=True)
    data = [p.read_bytes() for p in templates]
    for i in range(count):
        k = i % len(templates)
        varied = _ROOT_ID.sub(lambda m: m.group(1) + m.group(2) + b".%d" % (i + 1) + m.group(3), data[k], count=1)
        (folder / f"{i:05d}-{templates[k].name}").write_bytes(varied)
    return folder


def measure(argv: list[str]) -> tuple[float, float, int, int]:
    """(wall s, CPU s, peak RSS MiB, exit code) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    if proc.returncode not in (0, 3):
        print(f"  ! code {proc.returncode} : {err[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, proc.returncode


def lxml_floor(folder: Path) -> tuple[float, float, int, int]:
    code = ("import sys, glob; from lxml import etree\n"
            "for p in sorted(glob.glob(sys.argv[1] + '/*')): etree.parse(p)")
    return measure([sys.executable, "-c", code, str(folder)])


def cli(folder: Path, report: Path, args, *extra: str) -> tuple[float, float, int, int]:
    shutil.rmtree(report, ignore_errors=True)
    formats = ["--formats", args.formats] if args.formats else []
    return measure([sys.executable, "-m", "dui_conformance", "check", str(folder), "-q", "--report-dir", str(report),
                    "--jobs", str(args.jobs), *formats, *extra])


def line(label: str, count: int, result: tuple[float, float, int, int]) -> None:
    wall, cpu, rss, _ = result
    print(f"{label:<44} {count:>6} doc.  {wall:7.2f} s mur  {cpu:7.2f} s CPU  {rss:6d} Mio  "
          f"{1000 * wall / max(count, 1):7.2f} ms/doc")


def saxon_baseline(folder: Path, referential: str) -> float:
    """Seconds to apply, one document after another in this process, the schematrons the harness would run."""
    from dui_conformance.cda import CdaContext
    from dui_conformance.cda.official import _saxon, schematrons_for
    from dui_conformance.xmlsafe import parse_xml

    ctx = CdaContext.build(referential_dir=referential)
    proc = _saxon()
    files = sorted(folder.iterdir())
    plans = [(str(p), [rel for _, rel in schematrons_for(parse_xml(p.read_bytes(), str(p)), ctx)]) for p in files]
    executables: dict[str, object] = {}
    for _, rels in plans:  # compile outside the timing, as the harness's warm cache does
        for rel in rels:
            if rel not in executables:
                executables[rel] = proc.new_xslt30_processor().compile_stylesheet(
                    stylesheet_file=str(ctx.referential.compiled(rel)))
    start = time.perf_counter()
    for path, rels in plans:
        node = proc.parse_xml(xml_file_name=path)
        for rel in rels:
            executables[rel].transform_to_string(xdm_node=node)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=520, help="taille du corpus structuré (≥ 500)")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="dossier shared/ (exemples ANS)")
    parser.add_argument("--jobs", type=int, default=0, help="--jobs passé à la CLI (0 : automatique)")
    parser.add_argument("--formats", help="--formats passé à la CLI (défaut : tous)")
    parser.add_argument("--large", type=int, nargs="*", default=[], metavar="N",
                        help="ajouter des exécutions sur N documents générés (ex. 1000 10000)")
    args = parser.parse_args()
    print(f"Machine : {os.cpu_count()} cœurs, Python {sys.version.split()[0]}, "
          f"charge moyenne {os.getloadavg()[0]:.1f}")
    templates = sources(args.shared)
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        tmp = Path(tmp)
        n = args.documents
        corpus = build_corpus(tmp / "corpus", templates, n)
        double = build_corpus(tmp / "double", templates, 2 * n)
        print(f"Corpus : {n} documents structurés depuis {len(templates)} modèles.")
        helps = sorted(measure([sys.executable, "-m", "dui_conformance", "--help"])[:2] for _ in range(5))
        print(f"dui-conformance --help : {helps[0][0]:.3f} s mur, {helps[0][1]:.3f} s CPU (meilleur de 5)")
        floor = lxml_floor(corpus)
        line("(a) plancher : analyse lxml, processus neuf", n, floor)
        whole = cli(corpus, tmp / "r1", args)
        line(f"(b) dui-conformance check ({args.formats or 'tous formats'})", n, whole)
        twice = cli(double, tmp / "r2", args)
        line("(b') idem, corpus doublé", 2 * n, twice)
        print(f"Rapport (b)/(a) : {whole[0] / floor[0]:.1f}× (objectif ≤ 20×) ; "
              f"coût marginal : {1000 * (twice[0] - whole[0]) / n:.2f} ms/document (objectif ≤ 10)")
        referential = os.environ.get("DUI_REFERENTIEL_CDA")
        if referential:
            cli(corpus, tmp / "warm", args, "--referentiel-cda", referential)  # compiles into the cache
            official = cli(corpus, tmp / "r3", args, "--referentiel-cda", referential)
            line("(c) check --referentiel-cda", n, official)
            baseline = saxon_baseline(corpus, referential)
            print(f"(d) SaxonC séquentiel, mêmes schématrons : {baseline:.2f} s ; rapport (d)/(c) : "
                  f"{baseline / official[0]:.2f}× (objectif ≥ 2×)")
        if args.large:
            for count in args.large:
                folder = build_corpus(tmp / f"gen{count}", templates, count)
                line(f"(e) check, {count} documents générés", count, cli(folder, tmp / f"g{count}", args))
                shutil.rmtree(folder)


if __name__ == "__main__":
    main()
