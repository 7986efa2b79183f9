"""Steps of the ITI-41 and XDM features: analyse once, judge one group of requirements per scenario."""

from pytest_bdd import parsers, then, when

from conformance.model import Location, omitted
from conformance.xds import XDM_KIND, check_iti41_file, check_xdm


@when("le harnais analyse la soumission et les documents CDA qu'elle transporte", target_fixture="submission")
def analyse(doc, settings, verdict):
    check = check_xdm if doc.kind == XDM_KIND else check_iti41_file
    findings = doc.derived("xds.findings", lambda: check(doc.path, environment=settings.environment))
    verdict.record([f for f in findings if f.requirement.startswith("GEN-")])
    return findings


@then(parsers.parse("la soumission respecte les exigences « {ids} »"))
def respects(ids, doc, submission, verdict):
    wanted = ids.split()
    verdict.judge([f for f in submission if f.requirement in wanted] or [
        omitted(req, "Soumission illisible : règle non évaluable (voir GEN-01).", Location(file=doc.path))
        for req in wanted
    ])
