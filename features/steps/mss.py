"""Steps of the offline MSSanté features: analyse a message once, judge one group of requirements per scenario."""

from pytest_bdd import parsers, then, when

from dui_conformance.inputs import InputTooLarge
from dui_conformance.model import Location, failed
from dui_conformance.mss import MssRules, check_message_data, check_vague2_data

from . import judge_requirements, record_readability


def _analysis(document, settings):
    """The vague 1 and vague 2 rules at once; each scenario judges the ids it names."""

    def compute():
        try:
            return check_message_data(document.data, document.path, settings.environment) + check_vague2_data(
                document.data, document.path, MssRules(nil=settings.mss_nil)
            )
        except InputTooLarge as exc:
            return [failed("MSS-01", str(exc), Location(file=document.path))]

    return document.derived("mss.findings", compute)


@when("le harnais analyse le message MSSanté et son archive IHE_XDM")
def analyse(document, settings, verdict):
    record_readability(verdict, _analysis(document, settings))


@then(parsers.parse("le message respecte les exigences « {ids} »"))
def respects(ids, document, settings, verdict):
    judge_requirements(verdict, _analysis(document, settings), ids, document.path, "Règle sans objet pour ce message.")
