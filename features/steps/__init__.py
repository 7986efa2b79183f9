"""Step definitions: fetch the input, call a check from ``dui_conformance``, judge the findings."""

from dui_conformance.model import Finding, Location, omitted


def record_readability(verdict, findings: list[Finding]) -> None:
    """The GEN findings of an analysis (can the input be read at all), recorded by its « Quand » step."""
    verdict.record([f for f in findings if f.requirement.startswith("GEN-")])


def judge_requirements(verdict, findings: list[Finding], ids: str, path: str, absent: str) -> None:
    """Judge the findings of the requirements named in the step (``ids``, space-separated); a requirement
    the analysis said nothing about is « non applicable » for the reason ``absent``."""
    wanted = ids.split()
    verdict.judge(
        [f for f in findings if f.requirement in wanted]
        or [omitted(req, absent, Location(file=path)) for req in wanted]
    )
