"""Funding eligibility of an ESMS cluster (programme ESMS numérique): rule sets as data, amounts, tranches."""

from .eligibility import Condition, FundingResult, assess
from .files import InputError
from .loading import UsageEvaluation, conformity_from_report, conformity_from_run, load_cluster, usage_from_file
from .ranking import rank
from .rulesets import DEFAULT_CAMPAIGN, RuleSet, available, get_ruleset, with_parameters
from .tranches import evaluate

__all__ = [
    "Condition",
    "FundingResult",
    "InputError",
    "UsageEvaluation",
    "assess",
    "evaluate",
    "load_cluster",
    "conformity_from_report",
    "conformity_from_run",
    "usage_from_file",
    "rank",
    "DEFAULT_CAMPAIGN",
    "RuleSet",
    "available",
    "get_ruleset",
    "with_parameters",
]
