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
  baseline of applying the same schematrons, compiled by the ISO skeleton as TestContenuCDA runs
  them (kept in the harness's cache), to the same documents (the harness's list for each) one
  after another with SaxonC, in one fresh process without harness code, measured like the CLI;
  then the same baseline on the harness's leaner stylesheets (what the lean compilation alone
  gains); on the corpus and on twice the corpus (memory). The first run, which compiles the
  schematrons into the cache, is not timed. --official-only: only this part.

A benchmark, not a test: it prints numbers and asserts nothing (results: BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
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
        varied = _ROOT_ID.sub(lambda m, i=i: m.group(1) + m.group(2) + b".%d" % (i + 1) + m.group(3), data[k], count=1)
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
    code = "import sys, glob; from lxml import etree\nfor p in sorted(glob.glob(sys.argv[1] + '/*')): etree.parse(p)"
    return measure([sys.executable, "-c", code, str(folder)])


def cli(folder: Path, report: Path, args, *extra: str) -> tuple[float, float, int, int]:
    shutil.rmtree(report, ignore_errors=True)
    formats = ["--formats", args.formats] if args.formats else []
    return measure(
        [
            sys.executable,
            "-m",
            "dui_conformance",
            "check",
            str(folder),
            "-q",
            "--report-dir",
            str(report),
            "--jobs",
            str(args.jobs),
            *formats,
            *extra,
        ]
    )


def line(label: str, count: int, result: tuple[float, float, int, int]) -> None:
    wall, cpu, rss, _ = result
    print(
        f"{label:<44} {count:>6} doc.  {wall:7.2f} s mur  {cpu:7.2f} s CPU  {rss:6d} Mio  "
        f"{1000 * wall / max(count, 1):7.2f} ms/doc"
    )


def saxon_plan(folder: Path, referential: str, plan: Path, lean: bool = False) -> Path:
    """Write what the baseline applies: for each document, the compiled schematrons the harness runs
    on it, as the ISO skeleton compiles them (``lean``: the harness's leaner stylesheets).

    The list is the harness's own (:func:`schematrons_for`); a schematron the referential cannot
    compile (the harness reports it as DMP-31) is left out, as the harness leaves it out. The
    ClinicalDocument of an auto-présentable or signed CDA is written to a file of its own first."""
    from lxml import etree

    from dui_conformance.cda import CdaContext
    from dui_conformance.cda.official import OfficialError, schematrons_for
    from dui_conformance.inputs import load

    ctx = CdaContext.build(referential_dir=referential)
    compiled: dict[str, str | None] = {}
    documents = []
    embedded = plan.parent / "embedded"
    for path in sorted(folder.iterdir()):
        doc = load(path).cda
        if doc.form:  # auto-présentable or signed: the schematrons see the ClinicalDocument it carries
            embedded.mkdir(exist_ok=True)
            path = embedded / path.name
            path.write_bytes(etree.tostring(doc.tree))
        rels = [rel for _, rel in schematrons_for(doc, ctx)]
        for rel in rels:
            if rel not in compiled:
                try:
                    compiled[rel] = str(ctx.referential.compiled(rel) if lean else ctx.referential.standard(rel))
                except OfficialError:
                    compiled[rel] = None
        documents.append([str(path), [compiled[rel] for rel in rels if compiled[rel]]])
    plan.write_text(json.dumps(documents), encoding="utf-8")
    return plan


def saxon_sequential(plan: Path) -> None:
    """The baseline, run in a fresh process: SaxonC alone, no harness code. It loads each compiled
    schematron once (as the harness must in every run: SaxonC-HE cannot export a compiled stylesheet),
    then, one document after another, parses the file and applies its schematrons (SVRL as a string)."""
    from saxonche import PySaxonProcessor

    proc = PySaxonProcessor(license=False)
    compiler = proc.new_xslt30_processor()
    executables: dict[str, object] = {}
    for path, stylesheets in json.loads(plan.read_text(encoding="utf-8")):
        node = proc.parse_xml(xml_file_name=path)
        for xsl in stylesheets:
            if xsl not in executables:
                executables[xsl] = compiler.compile_stylesheet(stylesheet_file=xsl)
            executables[xsl].transform_to_string(xdm_node=node)


def official_part(folder: Path, count: int, referential: str, tmp: Path, args) -> None:
    """(c) the CLI with the referential against (d) the SaxonC baseline, on the same documents."""
    official = cli(folder, tmp / "r3", args, "--referentiel-cda", referential)
    line(f"(c) check --referentiel-cda (--jobs {args.jobs})", count, official)
    plan = saxon_plan(folder, referential, tmp / "plan.json")
    baseline = measure([sys.executable, __file__, "--saxon-plan", str(plan)])
    line("(d) SaxonC séquentiel, compilation ISO", count, baseline)
    lean_plan = saxon_plan(folder, referential, tmp / "lean.json", lean=True)
    lean = measure([sys.executable, __file__, "--saxon-plan", str(lean_plan)])
    line("(e) SaxonC séquentiel, feuilles allégées", count, lean)
    print(
        f"Rapport (d)/(c) : {baseline[0] / official[0]:.2f}× en temps mur, {baseline[1] / official[1]:.2f}× en "
        f"temps CPU (objectif ≥ 2×)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=520, help="taille du corpus structuré (≥ 500)")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="dossier shared/ (exemples ANS)")
    parser.add_argument("--jobs", type=int, default=0, help="--jobs passé à la CLI (0 : automatique)")
    parser.add_argument("--formats", help="--formats passé à la CLI (défaut : tous)")
    parser.add_argument(
        "--large",
        type=int,
        nargs="*",
        default=[],
        metavar="N",
        help="ajouter des exécutions sur N documents générés (ex. 1000 10000)",
    )
    parser.add_argument("--saxon-plan", type=Path, help=argparse.SUPPRESS)  # the baseline's own process
    parser.add_argument("--official-only", action="store_true", help="seulement la partie référentiel officiel")
    args = parser.parse_args()
    if args.saxon_plan:
        return saxon_sequential(args.saxon_plan)
    print(f"Machine : {os.cpu_count()} cœurs, Python {sys.version.split()[0]}, charge moyenne {os.getloadavg()[0]:.1f}")
    templates = sources(args.shared)
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        tmp = Path(tmp)
        n = args.documents
        corpus = build_corpus(tmp / "corpus", templates, n)
        double = build_corpus(tmp / "double", templates, 2 * n)
        print(f"Corpus : {n} documents structurés depuis {len(templates)} modèles.")
        if not args.official_only:
            helps = sorted(measure([sys.executable, "-m", "dui_conformance", "--help"])[:2] for _ in range(5))
            print(f"dui-conformance --help : {helps[0][0]:.3f} s mur, {helps[0][1]:.3f} s CPU (meilleur de 5)")
            floor = lxml_floor(corpus)
            line("(a) plancher : analyse lxml, processus neuf", n, floor)
            whole = cli(corpus, tmp / "r1", args)
            line(f"(b) dui-conformance check ({args.formats or 'tous formats'})", n, whole)
            twice = cli(double, tmp / "r2", args)
            line("(b') idem, corpus doublé", 2 * n, twice)
            print(
                f"Rapport (b)/(a) : {whole[0] / floor[0]:.1f}× (objectif ≤ 20×) ; "
                f"coût marginal : {1000 * (twice[0] - whole[0]) / n:.2f} ms/document (objectif ≤ 10)"
            )
        referential = os.environ.get("DUI_REFERENTIEL_CDA")
        if referential:
            cli(corpus, tmp / "warm", args, "--referentiel-cda", referential)  # compiles into the cache, not timed
            official_part(corpus, n, referential, tmp, args)
            official_part(double, 2 * n, referential, tmp, args)
        if args.large:
            for count in args.large:
                folder = build_corpus(tmp / f"gen{count}", templates, count)
                line(f"(e) check, {count} documents générés", count, cli(folder, tmp / f"g{count}", args))
                shutil.rmtree(folder)


if __name__ == "__main__":
    main()
