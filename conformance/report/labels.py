"""French labels shared by the human-facing reports (HTML, Markdown)."""

from __future__ import annotations

from ..model import Outcome
from ..requirements.catalogue import SERVICES

SERVICE_LABELS = {
    "GEN": "Général",
    "INS": "Identité nationale de santé",
    "DMP": "DMP",
    "MSS": "MSSanté",
    "PSC": "Pro Santé Connect",
    "FIN": "Financement",
    "EPRESCRIPTION": "e-prescription",
}
PROFILE_LABELS = {"bac-a-sable": "bac à sable", "recette": "recette", "homologation": "homologation"}
# A symbol next to each label so that colour is never the only signal.
OUTCOME_SYMBOLS = {
    Outcome.PASS: "✔",
    Outcome.FAIL: "✘",
    Outcome.ADVISORY: "!",
    Outcome.SKIP: "?",
    Outcome.OMIT: "–",
    Outcome.ERROR: "⚠",
    Outcome.NOT_RUN: "·",
}
VERDICT_SYMBOLS = {"conforme": "✔", "non conforme": "✘", "non concluant": "?", "erreur": "⚠"}


def shown_outcomes(advice: bool) -> list[Outcome]:
    """The outcome columns of a report: every outcome, and « avertissement » only when the run has one
    (``advice``; a run without a broken PEUT keeps the report it had)."""
    return [o for o in Outcome if advice or o is not Outcome.ADVISORY]


def service_label(code: str) -> str:
    return SERVICE_LABELS.get(code, code)


def profile_label(code: str) -> str:
    return PROFILE_LABELS.get(code, code)


def service_order(codes: set[str]) -> list[str]:
    """Known services in catalogue order, then any other code alphabetically."""
    return [s for s in SERVICES if s in codes] + sorted(codes - set(SERVICES))
