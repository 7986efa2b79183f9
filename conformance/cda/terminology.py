"""Layer 6: codes of the header belong to their CI-SIS value sets (bindings in ``codes.toml``).

A missing value set, or a code outside what a partial built-in list knows, is « données
insuffisantes » (skip), never a crash and never a silent pass.
"""

from __future__ import annotations

from ..model import Finding, failed, omitted, passed, skipped
from ..wording import found
from ..xmlsafe import XmlDocument
from .common import cda_layer, describe, has_null

TERMINOLOGY_IDS = ("DMP-24", "DMP-25", "DMP-26", "DMP-27", "DMP-28")


@cda_layer(*TERMINOLOGY_IDS)
def check_terminology(doc: XmlDocument, ctx) -> list[Finding]:
    by_req: dict[str, list[Finding]] = {r: [] for r in TERMINOLOGY_IDS}
    checked: dict[str, list[str]] = {r: [] for r in TERMINOLOGY_IDS}
    for binding in ctx.bindings:
        nodes = [n for n in doc.xpath(binding.xpath) if not has_null(n)]  # nullFlavor: DMP-13's business
        if not nodes:
            continue
        vs = ctx.value_sets.get(binding.value_set)
        if vs is None:
            by_req[binding.requirement].append(
                skipped(
                    binding.requirement,
                    f"Jeu de valeurs {binding.value_set} introuvable : {binding.label} non vérifié.",
                    doc.locate(nodes[0]),
                )
            )
            continue
        for node in nodes:
            code, system = node.get("code", ""), node.get("codeSystem", "")
            verdict = vs.verdict(code, system)
            where = doc.locate(node)
            if verdict is None:
                by_req[binding.requirement].append(
                    skipped(
                        binding.requirement,
                        f"{binding.label} : code {found(code)} du système {found(system)} hors du périmètre de la "
                        f"liste intégrée {vs.name} (fournir les jeux de valeurs officiels).",
                        where,
                        describe(node),
                    )
                )
            elif not verdict:
                by_req[binding.requirement].append(
                    failed(
                        binding.requirement,
                        f"{binding.label} : code {found(code)} (système {found(system)}) absent du jeu de valeurs "
                        f"{vs.name} ({vs.oid}).",
                        where,
                        describe(node),
                    )
                )
            else:
                checked[binding.requirement].append(f"{binding.label} : {code} ∈ {vs.name} [{vs.source}]")
    out: list[Finding] = []
    for req in TERMINOLOGY_IDS:
        if by_req[req]:
            out += by_req[req]
        elif checked[req]:
            out.append(
                passed(
                    req, "Codes conformes aux jeux de valeurs CI-SIS.", doc.locate(doc.root), "; ".join(checked[req])
                )
            )
        else:
            out.append(omitted(req, "Aucun code de ce type dans l'en-tête.", doc.locate(doc.root)))
    return out
