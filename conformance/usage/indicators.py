"""Usage indicators per ESMS and for the cluster, compared with the ARS's targets.

:func:`compute` takes plain counts (:class:`PeriodCounts`), whatever produced them: a DUI's
usage export today; the exchanges recorded by the mocks in a live run could feed it the same
way (not done yet). Stocks (accompanied persons, qualified INS, active records) are read from
the most recent period; flows (DMP documents, MSSanté messages, PSC logins) are summed over the
periods evaluated.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..funding.files import InputError, load, schema_errors
from .export import PeriodCounts

TARGETS_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "cibles.schema.json").read_text(encoding="utf-8"))
LABELS = {
    "part_ins_qualifiee": "part des personnes accompagnées avec une INS qualifiée",
    "part_dossiers_actifs": "part des dossiers actifs (mis à jour dans la période)",
    "documents_dmp": "documents versés au DMP",
    "mss_envoyes": "messages MSSanté envoyés",
    "mss_recus": "messages MSSanté reçus",
    "connexions_psc": "connexions Pro Santé Connect",
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
class Targets:
    data: dict[str, Any]
    source: str

    @property
    def example(self) -> bool:
        return self.data["exemple"]

    @property
    def window(self) -> tuple[datetime.date, datetime.date] | None:
        period = self.data.get("periode")
        return (
            (datetime.date.fromisoformat(period["debut"]), datetime.date.fromisoformat(period["fin"]))
            if period
            else None
        )


def load_targets(path: Path) -> Targets:
    loaded = load(path)
    errors = schema_errors(loaded, TARGETS_SCHEMA)
    period = loaded.data.get("periode") if isinstance(loaded.data, dict) else None
    if not errors and period and period["debut"] > period["fin"]:
        errors.append(f"periode (ligne {loaded.line(('periode',))}) : début après la fin")
    if errors:
        raise InputError(f"{path} (cibles d'usage)", errors)
    return Targets(loaded.data, str(path))


def compare(indicators: Indicators, targets: Targets) -> list[dict[str, Any]]:
    """One line per target: value, threshold, met or not (a share over no accompanied person is not met)."""
    values = indicators.values
    lines = []
    for name, threshold in targets.data["cibles"].items():
        if name == "documents_dmp_par_type":
            for kind, minimum in threshold.items():
                value = indicators.dmp_documents.get(kind, 0)
                lines.append(
                    {
                        "indicateur": f"documents_dmp:{kind}",
                        "libelle": f"documents {kind} versés au DMP",
                        "valeur": value,
                        "cible": minimum,
                        "atteinte": value >= minimum,
                    }
                )
            continue
        value = values[name]
        lines.append(
            {
                "indicateur": name,
                "libelle": LABELS[name],
                "valeur": value,
                "cible": threshold,
                "atteinte": value is not None and value >= threshold,
            }
        )
    return lines


def _shown(value: Any) -> str:
    if value is None:
        return "sans objet (aucune personne accompagnée)"
    return f"{value:.0%}" if isinstance(value, float) else str(value)


def evaluate_usage(
    rows: list[PeriodCounts], targets: Targets, esms_names: dict[str, str] | None, sources: list[str]
) -> dict[str, Any]:
    """Per-ESMS and cluster indicators, and ESMS by ESMS whether the final tranche can be released.

    ``esms_names`` (FINESS -> name, from the cluster file) lists the ESMS expected: one without any
    usage row is reported, never skipped.
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
    expected = list(esms_names or {}) + [f for f in by_esms if f not in (esms_names or {})]
    esms = []
    for finess in expected:
        indicators = compute(by_esms.get(finess, []))
        if not indicators.periods:
            lines, ok, reason = [], False, "aucune donnée d'usage dans la période évaluée"
        else:
            lines = compare(indicators, targets)
            missed = [line for line in lines if not line["atteinte"]]
            ok = not missed
            reason = (
                "toutes les cibles atteintes"
                if ok
                else "cible(s) non atteinte(s) : "
                + " ; ".join(f"{m['libelle']} {_shown(m['valeur'])} < {_shown(m['cible'])}" for m in missed)
            )
        esms.append(
            {
                "finess": finess,
                "nom": (esms_names or {}).get(finess),
                "indicateurs": indicators.to_dict(),
                "comparaison": lines,
                "tranche_finale_liberable": ok,
                "motif": reason,
            }
        )
    cluster = combine(compute(by_esms[f]) for f in by_esms)
    return {
        "cibles": {
            "fichier": targets.source,
            "titre": targets.data["titre"],
            "exemple": targets.example,
            "source": targets.data.get("source"),
            "periode": targets.data.get("periode"),
            "valeurs": targets.data["cibles"],
        },
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
        "grappe": {
            "indicateurs": cluster.to_dict(),
            "esms_liberables": sum(e["tranche_finale_liberable"] for e in esms),
            "esms": len(esms),
        },
        "esms": esms,
    }
