"""Documents per second for the CDA checks: XSD floor, built-in rules, official schematrons.

    python benchmarks/bench_cda.py [-n 20] [--referentiel-cda DIR] [--jeux-de-valeurs DIR]

Runs on fixtures/cda/dmp plus ../shared/ans-examples/cda when present, replicated N times.
The first official run compiles the schematrons (cached on disk); the timing excludes that warm-up.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lxml import etree

from dui_conformance.cda import LAYERS, CdaContext
from dui_conformance.xmlsafe import parse_xml

ROOT = Path(__file__).resolve().parents[1]
SMALL_XSD = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:hl7-org:v3"
 elementFormDefault="qualified"><xs:element name="ClinicalDocument"><xs:complexType><xs:sequence>
 <xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
 <xs:anyAttribute processContents="skip"/></xs:complexType></xs:element></xs:schema>"""


def documents() -> list[tuple[str, bytes]]:
    paths = sorted((ROOT / "fixtures" / "cda" / "dmp").glob("*.xml"))
    shared = ROOT / ".." / "shared" / "ans-examples" / "cda"
    paths += sorted(shared.glob("*.xml")) if shared.is_dir() else []
    return [(str(p), p.read_bytes()) for p in paths]


def rate(label: str, docs, n: int, work) -> None:
    start = time.perf_counter()
    for _ in range(n):
        for path, data in docs:
            work(path, data)
    elapsed = time.perf_counter() - start
    count = n * len(docs)
    print(f"{label:<55} {count:>6} documents  {elapsed:8.2f} s  {count / elapsed:10.1f} documents/s")


def main() -> None:
    parser = argparse.ArgumentParser(description="Débit des contrôles CDA (documents par seconde).")
    parser.add_argument("-n", type=int, default=20, help="nombre de répétitions du corpus")
    parser.add_argument("--referentiel-cda", type=Path, help="copie locale de TestContenuCDA")
    parser.add_argument("--jeux-de-valeurs", type=Path, help="dossier de jeux de valeurs SVS")
    args = parser.parse_args()
    docs = documents()
    print(f"Corpus : {len(docs)} documents, répété {args.n} fois.")

    ctx = CdaContext.build(value_set_dir=args.jeux_de_valeurs, referential_dir=args.referentiel_cda)
    if ctx.referential is not None and ctx.referential.schema() is not None:
        schema, schema_name = ctx.referential.schema(), ctx.referential.xsd_path.name
    else:
        schema, schema_name = etree.XMLSchema(etree.fromstring(SMALL_XSD)), "schéma minimal"

    def floor(path, data):
        schema.validate(parse_xml(data, path).tree)

    builtin = [layer for name, layer in LAYERS if name != "Schématrons officiels"]
    plain = CdaContext.build(value_set_dir=args.jeux_de_valeurs)

    def rules(path, data):
        doc = parse_xml(data, path)
        for layer in builtin:
            layer(doc, plain)

    rate(f"(a) analyse lxml + XSD ({schema_name})", docs, args.n, floor)
    rate("(b) règles intégrées", docs, args.n, rules)
    if ctx.referential is not None:

        def official(path, data):
            doc = parse_xml(data, path)
            for _, layer in LAYERS:
                layer(doc, ctx)

        start = time.perf_counter()
        for path, data in docs:  # warm-up: compile (or load from the disk cache) every schematron once
            official(path, data)
        print(f"    préparation des schématrons officiels : {time.perf_counter() - start:.1f} s")
        rate("(c) règles intégrées + artefacts officiels", docs, max(1, args.n // 10), official)


if __name__ == "__main__":
    main()
