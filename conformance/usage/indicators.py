"""Usage indicators per ESMS and for the cluster, compared with the ARS's targets, and the decision.

Counts come from a DUI's usage export (*déclaratif*: :func:`compute` over :class:`PeriodCounts`;
stocks from the most recent period, flows summed) or from the evidence of what the DUI did
(:mod:`.tally`). A family of indicators (persons, DMP documents, MSSanté messages) is taken from the
evidence as soon as evidence of that family was read, for every ESMS alike; the others stay
declared, and each value says where it comes from. What each indicator counts, and the rules of the
decision, are data (``definitions.toml``).
"""

from __future__ import annotations

import datetime
import json
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..funding.files import InputError, load, schema_errors
from ..funding.french import pct
from .export import PeriodCounts
from .tally import DMP, MSS, PERSONS, EsmsEvidence, EvidenceResult

HERE = Path(__file__).parent
TARGETS_SCHEMA = json.loads((HERE / "schemas" / "cibles.schema.json").read_text(encoding="utf-8"))
DEFINITIONS = tomllib.loads((HERE / "definitions.toml").read_text(encoding="utf-8"))
LABELS = {item["cle"]: item["libelle"] for item in DEFINITIONS["indicateur"]}
BY_TYPE = "documents_dmp_par_type"
# The keys each evidence family gives (the others are declared only).
FAMILY_KEYS = {
    PERSONS: ("personnes_accompagnees", "personnes_ins_qualifiee", "part_ins_qualifiee"),
    DMP: ("documents_dmp", BY_TYPE),
    MSS: ("mss_envoyes", "mss_recus"),
}
EVIDENCE, DECLARED = "preuves", "declaratif"
# Decisions on the usage criterion, per ESMS and for the cluster.
MET, UNMET, PARTIAL, UNDECIDABLE, NOT_FUNDED = (
    "remplie",
    "non_remplie",
    "partielle",
    "non_decidable",
    "hors_financement",
)
DECISION_LABELS = {
    MET: "critères d'usage remplis",
    UNMET: "critères d'usage non remplis",
    PARTIAL: "critères d'usage remplis par une partie des ESMS (libération au prorata prévue par les cibles)",
    UNDECIDABLE: "non décidable (cibles d'exemple)",
    NOT_FUNDED: "ESMS non financé : ne conditionne aucune tranche",
}


@dataclass(frozen=True)
class Indicators:
    periods: int
    first: datetime.date | None
    last: datetime.date | None
    persons: int
    ins_qualified: int
    active_records: int
    dmp_documents: dict[str, int]
    mss_sent: int
    mss_received: int
    psc_logins: int

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def values(self) -> dict[str, Any]:
        return {
            "part_ins_qualifiee": self._share(self.ins_qualified, self.persons),
            "part_dossiers_actifs": self._share(self.active_records, self.persons),
            "documents_dmp": sum(self.dmp_documents.values()),
            "mss_envoyes": self.mss_sent,
            "mss_recus": self.mss_received,
            "connexions_psc": self.psc_logins,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "periodes": self.periods,
            "debut": self.first.isoformat() if self.first else None,
            "fin": self.last.isoformat() if self.last else None,
            "personnes_accompagnees": self.persons,
            "personnes_ins_qualifiee": self.ins_qualified,
            "dossiers_actifs": self.active_records,
            "documents_dmp_par_type": dict(sorted(self.dmp_documents.items())),
            **self.values,
        }


def compute(periods: Iterable[PeriodCounts]) -> Indicators:
    """Indicators of one ESMS from its counts (the seam for any source of counts)."""
    rows = sorted(periods, key=lambda r: r.start)
    latest = rows[-1] if rows else None
    dmp: Counter[str] = Counter()
    for row in rows:
        dmp.update(row.dmp_documents)
    return Indicators(
        periods=len(rows),
        first=rows[0].start if rows else None,
        last=max(r.end for r in rows) if rows else None,
        persons=latest.persons if latest else 0,
        ins_qualified=latest.ins_qualified if latest else 0,
        active_records=latest.active_records if latest else 0,
        dmp_documents=dict(dmp),
        mss_sent=sum(r.mss_sent for r in rows),
        mss_received=sum(r.mss_received for r in rows),
        psc_logins=sum(r.psc_logins for r in rows),
    )


def combine(per_esms: Iterable[Indicators]) -> Indicators:
    """Cluster indicators: every ESMS's stocks and flows added up."""
    items = [i for i in per_esms if i.periods]
    dmp: Counter[str] = Counter()
    for item in items:
        dmp.update(item.dmp_documents)
    return Indicators(
        periods=sum(i.periods for i in items),
        first=min((i.first for i in items if i.first), default=None),
        last=max((i.last for i in items if i.last), default=None),
        persons=sum(i.persons for i in items),
        ins_qualified=sum(i.ins_qualified for i in items),
        active_records=sum(i.active_records for i in items),
        dmp_documents=dict(dmp),
        mss_sent=sum(i.mss_sent for i in items),
        mss_received=sum(i.mss_received for i in items),
        psc_logins=sum(i.psc_logins for i in items),
    )


@dataclass(frozen=True)
class Funding:
    """What the cluster's funding says of its ESMS: why an ESMS is not funded (FINESS -> reason, None when it
    is), and how many are funded when more are kept than the cap allows (the ARS chooses which)."""

    refused: dict[str, str | None]
    capacity: int | None = None


@dataclass(frozen=True)
class Targets:
    data: dict[str, Any]
    source: str

    @property
    def example(self) -> bool:
        return self.data["exemple"]

    @property
    def prorata(self) -> bool:
        """Release of the last tranche in proportion to the ESMS that meet the targets: only when the targets say so."""
        return bool(self.data.get("prorata", False))

    @property
    def window(self) -> tuple[datetime.date, datetime.date] | None:
        period = self.data.get("periode")
        return (
            (datetime.date.fromisoformat(period["debut"]), datetime.date.fromisoformat(period["fin"]))
            if period
            else None
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "fichier": self.source,
            "titre": self.data["titre"],
            "exemple": self.example,
            "source": self.data.get("source"),
            "convention": self.data.get("convention"),
            "prorata": self.prorata,
            "periode": self.data.get("periode"),
            "valeurs": self.data["cibles"],
        }


def load_targets(path: Path) -> Targets:
    """A schema-valid targets file: real targets cite their convention (reference and date)."""
    loaded = load(path)
    errors = schema_errors(loaded, TARGETS_SCHEMA)
    period = loaded.data.get("periode") if isinstance(loaded.data, dict) else None
    if not errors and period and period["debut"] > period["fin"]:
        errors.append(f"periode (ligne {loaded.line(('periode',))}) : début après la fin")
    if errors:
        raise InputError(f"{path} (cibles d'usage)", errors)
    return Targets(loaded.data, str(path))


def definitions(targets: Targets) -> dict[str, Any]:
    """What each compared indicator counts and the rules of the decision, sources named by their title."""

    def rules(items: list[dict[str, str]]) -> list[dict[str, str]]:
        return [
            {"regle": r["texte"], "source": DEFINITIONS["sources"][r["source"]], "citation": r["citation"]}
            for r in items
        ]

    wanted = {"documents_dmp" if name == BY_TYPE else name for name in targets.data["cibles"]}
    return {
        "decision": rules(DEFINITIONS["decision"]),
        "indicateurs": {
            item["cle"]: {
                "libelle": item["libelle"],
                "nature": "définition du harnais" if item["nature"] == "harnais" else "définition officielle",
                "preuves": item["preuves"] or None,
                "declaratif": item["declaratif"],
                "regles": rules(item["regles"]),
            }
            for item in DEFINITIONS["indicateur"]
            if item["cle"] in wanted
        },
    }


def merge(declared: Indicators, seen: EsmsEvidence | None, families: set[str]) -> tuple[dict[str, Any], dict]:
    """One ESMS's indicators (the keys of :meth:`Indicators.to_dict`) and where each comes from: the evidence
    for the families it covers, the declared counts for the others; None where neither says anything."""
    values = declared.to_dict()
    origin: dict[str, str | None] = {key: DECLARED if declared.periods else None for key in (*LABELS, BY_TYPE)}
    if not declared.periods:
        values |= {key: None for key in origin}
    evidence = (seen or EsmsEvidence()).values()
    for family in families:
        for key in FAMILY_KEYS[family]:
            values[key], origin[key] = evidence[key], EVIDENCE
    return values, origin


def compare(values: dict[str, Any], origin: dict[str, str | None], targets: Targets) -> list[dict[str, Any]]:
    """One line per target: value, threshold, met or not (no value, or a share over nobody, is not met)."""
    lines = []
    for name, threshold in targets.data["cibles"].items():
        if name == BY_TYPE:
            by_type = values[BY_TYPE]
            for kind, minimum in threshold.items():
                value = None if by_type is None else by_type.get(kind, 0)
                lines.append(
                    _line(f"documents_dmp:{kind}", f"documents {kind} versés au DMP", value, minimum, origin[BY_TYPE])
                )
            continue
        lines.append(_line(name, LABELS[name], values[name], threshold, origin[name]))
    return lines


def _line(name: str, label: str, value: Any, threshold: Any, origin: str | None) -> dict[str, Any]:
    return {
        "indicateur": name,
        "libelle": label,
        "valeur": value,
        "cible": threshold,
        "atteinte": value is not None and value >= threshold,
        "origine": origin,
    }


def _shown(value: Any, origin: str | None = DECLARED) -> str:
    if value is None:
        return "sans objet (aucune personne accompagnée)" if origin else "non fourni (ni preuve ni déclaration)"
    return pct(value) if isinstance(value, float) else str(value)


def evaluate_usage(
    rows: list[PeriodCounts],
    targets: Targets,
    esms_names: dict[str, str] | None,
    sources: list[str],
    evidence: EvidenceResult | None = None,
    funding: Funding | None = None,
) -> dict[str, Any]:
    """Per-ESMS and cluster indicators, and ESMS by ESMS whether the usage criteria of the last tranche are met.

    ``esms_names`` (FINESS -> name, from the cluster file) lists the ESMS expected: one without any
    usage data is reported, never skipped. ``funding`` comes from the cluster's funding evaluation: an
    ESMS not funded is shown and gates nothing.
    """
    window = targets.window
    outside: list[PeriodCounts] = []
    if window is not None:
        first, last = window
        outside = [r for r in rows if not (first <= r.start and r.end <= last)]
        straddling = [r for r in outside if r.start <= last and r.end >= first]
        if straddling:
            raise InputError(
                "exports d'usage",
                [
                    f"{r.where} : période du {r.start} au {r.end} à cheval sur la période évaluée "
                    f"({first} – {last}) ; découper l'export"
                    for r in straddling
                ],
            )
    dropped = {id(r) for r in outside}
    kept = [r for r in rows if id(r) not in dropped]
    by_esms: dict[str, list[PeriodCounts]] = {}
    for row in kept:
        by_esms.setdefault(row.finess, []).append(row)
    seen = evidence.esms if evidence else {}
    families = evidence.families if evidence else set()
    expected = list(esms_names or {})
    expected += [f for f in [*by_esms, *seen] if f not in expected]
    esms = []
    for finess in expected:
        declared = compute(by_esms.get(finess, []))
        values, origin = merge(declared, seen.get(finess), families)
        has_data = bool(declared.periods) or not (seen.get(finess) or EsmsEvidence()).empty
        lines = compare(values, origin, targets) if has_data else []
        missed = [line for line in lines if not line["atteinte"]]
        met = has_data and not missed
        if not has_data:
            reason = "aucune donnée d'usage dans la période évaluée"
        elif met:
            reason = "toutes les cibles atteintes"
        else:
            reason = "cible(s) non atteinte(s) : " + " ; ".join(
                f"{m['libelle']} {_shown(m['valeur'], m['origine'])} < {_shown(m['cible'])}" for m in missed
            )
        not_funded = funding.refused.get(finess) if funding else None
        decision = NOT_FUNDED if not_funded else UNDECIDABLE if targets.example else MET if met else UNMET
        esms.append(
            {
                "finess": finess,
                "nom": (esms_names or {}).get(finess),
                "indicateurs": values,
                "origine": origin,
                "comparaison": lines,
                # Kept for « financement --usage »: the targets are met (the decision is « decision »).
                "tranche_finale_liberable": met,
                "motif": reason,
                "decision": decision,
                "decision_libelle": DECISION_LABELS[decision] + (f" ({not_funded})" if not_funded else ""),
            }
        )
    declared_cluster = combine(compute(by_esms[f]) for f in by_esms)
    cluster_values, cluster_origin = merge(declared_cluster, evidence.cluster if evidence else None, families)
    decision, reason, funded = _cluster_decision(esms, targets, funding.capacity if funding else None)
    return {
        "cibles": targets.to_dict(),
        "definitions": definitions(targets),
        "exports": sources,
        "lignes_lues": len(rows),
        "lignes_hors_periode": [
            {
                "fichier": r.source,
                "ligne": r.line,
                "finess": r.finess,
                "debut": r.start.isoformat(),
                "fin": r.end.isoformat(),
            }
            for r in outside
        ],
        "preuves": evidence.summary() if evidence else None,
        "grappe": {
            "indicateurs": cluster_values,
            "origine": cluster_origin,
            "esms_liberables": sum(e["tranche_finale_liberable"] for e in esms),
            "esms": len(esms),
            "esms_finances": funded,
            "decision": decision,
            "decision_libelle": DECISION_LABELS[decision],
            "motif": reason,
        },
        "esms": esms,
    }


def _cluster_decision(esms: list[dict[str, Any]], targets: Targets, capacity: int | None) -> tuple[str, str, int]:
    """The usage criterion of the last tranche for the cluster, and how many ESMS are funded: only funded ESMS
    count (beyond the cap, the ARS funds those it chooses, so enough of them meeting the targets is enough),
    example targets decide nothing, and some ESMS meeting the targets release nothing unless the targets file
    provides a pro rata."""
    gating = [e for e in esms if e["decision"] != NOT_FUNDED]
    funded = min(len(gating), capacity) if capacity else len(gating)
    met = sum(e["tranche_finale_liberable"] for e in gating)
    count = f"cibles atteintes par {met} ESMS financé(s) sur {funded}"
    if capacity and len(gating) > capacity:
        count = (
            f"cibles atteintes par {met} ESMS sur les {len(gating)} retenus, dont l'ARS choisit les {capacity} "
            "financés (plafond)"
        )
    if targets.example:
        return UNDECIDABLE, f"{count} ; des cibles d'exemple ne décident d'aucune tranche", funded
    if gating and met >= funded:
        return (
            MET,
            f"{count} ; la dernière tranche reste à vérifier par l'ARS pour ses autres conditions "
            "(facture de fin de déploiement, que le harnais ne voit pas)",
            funded,
        )
    if met and targets.prorata:
        return PARTIAL, f"{count} ; libération au prorata, prévue par le fichier de cibles", funded
    if not gating:
        return UNMET, "aucun ESMS financé évalué", funded
    return UNMET, f"{count} ; pas de libération au prorata (le fichier de cibles ne la prévoit pas)", funded
