"""Steps of the live INSi feature: admit a fictitious resident through the driver, then judge
one check of dui_conformance.live.ins per step."""

from pytest_bdd import given, parsers, then, when

from dui_conformance.live.ins import CHECKS, check_export

_TRAITS = "le résident « {persona} » est admis par ses traits sur présentation de la pièce « {piece} »"
_VITALE = "le résident « {persona} » est admis par sa carte Vitale sur présentation de la pièce « {piece} »"


@given("un DUI remis à zéro, relié au téléservice INSi simulé")
def reset_dui(live_env):
    live_env.reset()


@given(parsers.parse("le résident « {persona} » déjà admis par ses traits sur présentation de la pièce « {piece} »"))
def already_admitted(live_env, persona, piece):
    live_env.admit(persona, id_document=piece)


@when(
    parsers.parse("le résident « {persona} » est admis par ses traits sans pièce d'identité"),
    target_fixture="admission_run",
)
def admitted_without_document(live_env, persona):
    return live_env.admit(persona)


@when(parsers.parse(_TRAITS), target_fixture="admission_run")
def admitted_by_traits(live_env, persona, piece):
    return live_env.admit(persona, id_document=piece)


@when(parsers.parse(_VITALE), target_fixture="admission_run")
def admitted_by_vitale(live_env, persona, piece):
    return live_env.admit(persona, by_vitale=True, id_document=piece)


def _judge(requirement: str):
    def step(admission_run, verdict):
        verdict.judge(CHECKS[requirement](admission_run))

    return step


then("tout INS enregistré par le DUI provient d'une réponse de l'INSi")(_judge("INS-20"))
then("les requêtes INSi du DUI sont conformes")(_judge("INS-21"))
then("les traits et le matricule restitués sont ceux renvoyés par l'INSi")(_judge("INS-22"))
then("après la réponse CR 02 aucun INS n'est enregistré")(_judge("INS-23"))
then("après la réponse CR 01 l'identité reste provisoire, sans INS")(_judge("INS-24"))
then("après la réponse CR 01 l'identité est validée, sans INS")(_judge("INS-24"))
then("le matricule INS n'est transmis que pour une identité qualifiée")(_judge("INS-25"))
then("seul le matricule INS actif est enregistré")(_judge("INS-26"))
then("la faute de l'INSi est signalée et aucun INS n'est enregistré")(_judge("INS-27"))
then("l'INSi a été interrogé avec la carte Vitale")(_judge("INS-28"))
then("les traits envoyés à l'INSi sont en majuscules sans signes diacritiques")(_judge("INS-29"))


@then("l'identité restituée par le DUI passe les contrôles INS d'un export FHIR")
def export_checked(admission_run, verdict):
    verdict.judge(check_export(admission_run))
