"""Steps of the ITI-41 and XDM features: analyse once, judge one group of requirements per scenario."""

from pytest_bdd import parsers, then, when

from dui_conformance.xds import XDM_KIND, check_iti41_file, check_xdm

from . import judge_requirements, record_readability


def _analysis(document, environment: str):
    check = check_xdm if document.kind == XDM_KIND else check_iti41_file
    return document.derived("xds.findings", lambda: check(document.path, environment=environment))


@when("le harnais analyse la soumission et les documents CDA qu'elle transporte")
def analyse(document, settings, verdict):
    record_readability(verdict, _analysis(document, settings.environment))


@then(parsers.parse("la soumission respecte les exigences « {ids} »"))
def respects(ids, document, settings, verdict):
    judge_requirements(
        verdict,
        _analysis(document, settings.environment),
        ids,
        document.path,
        "Soumission illisible : règle non évaluable (voir GEN-01).",
    )
