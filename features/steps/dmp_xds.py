"""Steps of the ITI-41 and XDM features: analyse once, judge one group of requirements per scenario."""

from pytest_bdd import parsers, then, when

from dui_conformance.model import Location, omitted
from dui_conformance.xds import XDM_KIND, check_iti41_file, check_xdm


def _analysis(document, environment: str):
    check = check_xdm if document.kind == XDM_KIND else check_iti41_file
    return document.derived("xds.findings", lambda: check(document.path, environment=environment))


@when("le harnais analyse la soumission et les documents CDA qu'elle transporte")
def analyse(document, settings, verdict):
    verdict.record([f for f in _analysis(document, settings.environment) if f.requirement.startswith("GEN-")])


@then(parsers.parse("la soumission respecte les exigences « {ids} »"))
def respects(ids, document, settings, verdict):
    wanted = ids.split()
    verdict.judge([f for f in _analysis(document, settings.environment) if f.requirement in wanted] or [
        omitted(req, "Soumission illisible : règle non évaluable (voir GEN-01).", Location(file=document.path))
        for req in wanted
    ])
