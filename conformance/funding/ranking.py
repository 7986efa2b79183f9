"""Ranking eligible clusters within a regional envelope: priority, not eligibility.

The FAQ ARS Occitanie: clusters never funded before come first. Then the ARS's own order (``priorite`` in
the cluster file), then the order the files were given. Clusters are taken in that order while
the envelope lasts; one that no longer fits is *hors enveloppe*, and the next ones may still fit.
"""

from __future__ import annotations

from typing import Any

from .eligibility import FundingResult


def envelope_for(results: list[FundingResult]) -> tuple[int | None, str]:
    """The envelope of the instructing region from the rule set, when every cluster has the same one."""
    regions = {r.instructing for r in results if r.eligible}
    if len(regions) != 1:
        return None, ""
    region = regions.pop()
    envelopes = (results[0].ruleset.rule("priorite") or {}).get("enveloppes", {})
    return envelopes.get(region), region or ""


def rank(results: list[FundingResult], envelope: int | None) -> list[dict[str, Any]]:
    order = sorted(
        (r for r in results if r.eligible),
        key=lambda r: (bool(r.cluster.get("deja_finance")), r.cluster.get("priorite", float("inf")), results.index(r)),
    )
    rows, used = [], 0
    for position, result in enumerate(order, 1):
        total = result.total
        # an amount left to a parameter cannot be placed in the envelope: undecided (None), and not counted
        fits = True if envelope is None else (None if total is None else used + total <= envelope)
        if fits and total is not None:
            used += total
        rows.append(
            {
                "rang": position,
                "grappe": result.name,
                "fichier": result.source,
                "montant": result.total,
                "deja_finance": bool(result.cluster.get("deja_finance")),
                "priorite": result.cluster.get("priorite"),
                "dans_enveloppe": fits,
                "cumul": used,
            }
        )
    for result in results:
        if not result.eligible:
            rows.append(
                {
                    "rang": None,
                    "grappe": result.name,
                    "fichier": result.source,
                    "montant": 0,
                    "deja_finance": bool(result.cluster.get("deja_finance")),
                    "priorite": result.cluster.get("priorite"),
                    "dans_enveloppe": False,
                    "cumul": used,
                }
            )
    return rows
