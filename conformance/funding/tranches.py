"""Payment tranches: the conditions each one waits for, and what can be released.

A condition the harness cannot see (a convention, an invoice) is *à vérifier*: the tranche is then
*à vérifier* too, never released on the harness's word. Usage is decided ESMS by ESMS, and the last
tranche is released only when every funded ESMS meets its targets, unless the targets file allows a
release in proportion (no source provides one). Example targets decide nothing.
"""

from __future__ import annotations

from typing import Any

from . import french as fr
from .eligibility import (
    MET,
    NOT_EVALUATED,
    PARTIAL_MET,
    TO_CHECK,
    UNDECIDABLE,
    UNMET,
    Condition,
    FundingResult,
    assess,
    split_by_count,
)
from .loading import UsageEvaluation
from .rulesets import RuleSet


def evaluate(
    cluster: dict[str, Any],
    ruleset: RuleSet,
    source: str = "grappe",
    conformity: Condition | None = None,
    usage: UsageEvaluation | None = None,
) -> FundingResult:
    """Eligibility, amounts and tranches of a schema-valid cluster under ``ruleset``.

    ``conformity`` comes from a readiness report, ``usage`` from a usage evaluation; without them
    those conditions are *non évaluée*, never met.
    """
    result = assess(cluster, ruleset, source)
    waived = (ruleset.rule("exemption_usage") or {}).get("indicateurs", [])
    for case in result.funded:
        if usage is None:
            case.usage = Condition("usage", NOT_EVALUATED, "aucune donnée d'usage fournie (--usage)")
        else:
            case.usage = usage.condition(case.finess, waived if case.finess in result.exempt else None)
    result.tranches = _tranches(result, conformity, usage)
    return result


def _usage(result: FundingResult, usage: UsageEvaluation | None) -> Condition:
    funded = result.funded
    if not funded:
        return Condition("usage", NOT_EVALUATED, "aucun ESMS financé")
    if usage is None:
        return Condition("usage", NOT_EVALUATED, "aucune donnée d'usage fournie (--usage)")
    if usage.example:
        return Condition(
            "usage", UNDECIDABLE, f"cibles d'exemple ({usage.label}) : seuils fictifs, la tranche n'est pas décidable"
        )
    statuses = [e.usage.status for e in funded if e.usage]
    met = statuses.count(MET)
    reached = f"cibles d'usage atteintes par {met} ESMS financé(s) sur {len(funded)}"
    if met == len(funded):
        return Condition("usage", MET, reached)
    if result.capacity and met >= result.capacity:
        return Condition(
            "usage",
            TO_CHECK,
            f"{reached} ; l'ARS choisit les {result.capacity} ESMS financés (plafond) : à vérifier",
        )
    if NOT_EVALUATED in statuses and (usage.prorata or UNMET not in statuses):
        return Condition("usage", NOT_EVALUATED, f"{reached} ; {statuses.count(NOT_EVALUATED)} sans évaluation d'usage")
    if usage.prorata and met:
        return Condition("usage", PARTIAL_MET, f"{reached} ; versement au prorata prévu par le fichier de cibles")
    return Condition(
        "usage",
        UNMET,
        f"{reached} ; aucun versement au prorata (le fichier de cibles ne le prévoit pas, aucune source non plus)",
    )


def _condition(
    name: str, result: FundingResult, conformity: Condition | None, usage: UsageEvaluation | None
) -> Condition:
    if name == "convention":
        signed = result.cluster.get("dates", {}).get("convention")
        limit = (result.period or {}).get("convention_avant")
        if signed and limit and signed > limit:
            return Condition(
                name,
                UNMET,
                f"convention déclarée signée le {fr.date_fr(signed)}, après la limite du {fr.date_fr(limit)}",
            )
        if signed:
            within = f" (limite : {fr.date_fr(limit)})" if limit else ""
            return Condition(
                name, TO_CHECK, f"convention déclarée signée le {fr.date_fr(signed)}{within} : à vérifier par l'ARS"
            )
        return Condition(name, TO_CHECK, "signature de la convention ARS / porteur : à vérifier par l'ARS")
    if name in ("facture_parametrage", "facture_deploiement"):
        return Condition(name, TO_CHECK, "pièce que le harnais ne voit pas, à vérifier par l'ARS")
    if name == "conformite":
        return conformity or Condition(name, NOT_EVALUATED, "aucun rapport de préparation fourni (--rapport)")
    if name == "usage":
        return _usage(result, usage)
    raise ValueError(f"condition inconnue : {name}")


def _prorata(result: FundingResult, amount: int | None) -> int | None:
    """The share of ``amount`` that the ESMS meeting their targets bring, in proportion to their grants."""
    funded = [e.amount for e in result.funded]
    known = [a for a in funded if a is not None]
    if amount is None or len(known) < len(funded):
        return None
    met = sum(e.amount or 0 for e in result.funded if e.usage and e.usage.status == MET)
    return amount * met // sum(known)


def _tranches(
    result: FundingResult, conformity: Condition | None, usage: UsageEvaluation | None
) -> list[dict[str, Any]]:
    tranches = result.ruleset.tranches
    total = result.total
    amounts: dict[str, int | None] = (
        dict(split_by_count(total, {t["id"]: t["part"] for t in tranches}))
        if total is not None
        else {t["id"]: None for t in tranches}
    )
    out = []
    for tranche in tranches:
        conditions = [_condition(name, result, conformity, usage) for name in tranche["conditions"]]
        statuses = {c.status for c in conditions}
        amount = amounts[tranche["id"]]
        due = _prorata(result, amount) if PARTIAL_MET in statuses else amount
        pending = [c for c in conditions if c.status == TO_CHECK]
        if not result.eligible:
            status = "sans_objet"
        elif UNMET in statuses:
            status = "bloquee"
        elif UNDECIDABLE in statuses:
            status = "non_decidable"
        elif NOT_EVALUATED in statuses:
            status = "en_attente"
        elif pending:
            status = "a_verifier"
        else:
            status = "partiellement_liberable" if PARTIAL_MET in statuses else "liberable"
        released = due if status in ("liberable", "partiellement_liberable") else 0
        out.append(
            {
                "id": tranche["id"],
                "libelle": tranche["libelle"],
                "part": tranche["part"],
                "part_libelle": fr.pct(tranche["part"] / 100),
                "montant": amount,
                "source": result.ruleset.cite(tranche["citations"]),
                "citations": result.ruleset.citations(tranche["citations"]),
                "condition": " ; ".join(f"{fr.CONDITIONS[c.id]} : {c.message}" for c in conditions) or "aucune",
                "conditions": [c.to_dict() for c in conditions],
                "statut": status,
                "statut_libelle": fr.STATUSES[status],
                "montant_liberable": released,
                "sous_reserve": [c.id for c in pending],
                "montant_sous_reserve": due if status == "a_verifier" else 0,
                "esms_liberables": sorted(e.finess for e in result.funded if e.usage and e.usage.status == MET)
                if "usage" in tranche["conditions"]
                else [],
            }
        )
    return out
