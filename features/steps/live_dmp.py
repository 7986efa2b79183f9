"""Steps of the live DMP features: order the DUI to feed, integrate or open a resident's record through the driver,
then judge one check of dui_conformance.live.dmp per step."""

import pytest
from pytest_bdd import given, parsers, then, when

from dui_conformance.live import dmp
from dui_conformance.live.personas import DmpProfile, dmp_profiles

_HOSTED = "le résident « {persona} » hébergé sur présentation de la pièce « {piece} »"


@pytest.fixture
def dmp_residents() -> list:
    """Admission runs of the scenario, in order; « ce résident » / « le premier résident » is the first."""
    return []


@pytest.fixture
def dmp_personas() -> list:
    """The persona ids of ``dmp_residents``, in the same order (their DMP profile in personas.toml)."""
    return []


def _driver(live_env):
    if not hasattr(live_env.driver, "feed_dmp"):
        raise RuntimeError(
            "Ce mode de pilotage ne prend pas en charge les opérations DMP de l'adaptateur "
            "(étiquette « dmp » du contrat)."
        )
    return live_env.driver


def _feed(live_env, dmp_residents, replaced=None):
    _driver(live_env)
    return dmp.run_feed(live_env, dmp_residents[0], replaced)


@given("un DUI remis à zéro, relié au DMP simulé")
def reset_dui(live_env):
    live_env.reset()


@given(parsers.parse(_HOSTED))
def hosted(live_env, dmp_residents, dmp_personas, persona, piece):
    dmp_residents.append(live_env.admit(persona, id_document=piece))
    dmp_personas.append(persona)


@given(parsers.parse("le résident « {persona} » hébergé sans pièce d'identité"))
def hosted_without_document(live_env, dmp_residents, dmp_personas, persona):
    dmp_residents.append(live_env.admit(persona))
    dmp_personas.append(persona)


@given("un DLU de ce résident déjà envoyé au DMP", target_fixture="first_feed")
def already_sent(live_env, dmp_residents):
    return _feed(live_env, dmp_residents)


@given("le DMP simulé répondra par une erreur à la prochaine soumission")
def dmp_will_fail(live_env):
    live_env.dmp.fail_next("XDSRepositoryError")


@given("un DLU du premier résident partagé dans le DMP par un autre professionnel", target_fixture="seeded")
def shared_by_another(live_env, dmp_residents):
    patient_id = dmp.shared_patient_id(dmp_residents[0].patient)  # None: no INS, DMP-64 is then undecided
    return patient_id, [dmp.seed_document(live_env, patient_id)] if patient_id else []


@given("un DLU et deux VSM du premier résident partagés dans le DMP par d'autres professionnels")
def shared_with_vsm(live_env, dmp_residents):
    patient_id = dmp.shared_patient_id(dmp_residents[0].patient)
    if patient_id is not None:  # no INS exported: the opening is then judged as not qualified
        dmp.seed_document(live_env, patient_id)
        dmp.seed_vsm(live_env, patient_id, "20260105093000")
        dmp.seed_vsm(live_env, patient_id, "20261120143000")


@when("l'utilisateur ouvre le dossier de ce résident", target_fixture="opening")
def opens(live_env, dmp_residents, dmp_personas):
    _driver(live_env)
    return dmp.run_opening(live_env, dmp_residents[0], dmp_profiles().get(dmp_personas[0], DmpProfile()))


@when("le DUI alimente le DMP avec un DLU pour ce résident", target_fixture="feed")
def feeds(live_env, dmp_residents):
    return _feed(live_env, dmp_residents)


@when("le DUI envoie un DLU qui remplace le précédent", target_fixture="feed")
def replaces(live_env, dmp_residents, first_feed):
    return _feed(live_env, dmp_residents, first_feed)


@when("le DUI intègre les documents du DMP du premier résident", target_fixture="integration")
def integrates(live_env, dmp_residents, seeded):
    _driver(live_env)
    patient_id, unique_ids = seeded
    ids = [run.admission.resident_id for run in dmp_residents if run.admission.resident_id]
    return dmp.run_integration(live_env, ids[0], patient_id, unique_ids, ids[1:])


@then("le DUI a fait exactement une soumission ITI-41 acceptée, pour l'INS du résident, au CDA conforme")
def single_submission(feed, verdict):
    verdict.judge(dmp.check_single_submission(feed))


@then(parsers.parse("la soumission ITI-41 respecte les exigences « {ids} »"))
def recorded(feed, verdict, ids):
    verdict.judge(dmp.check_recorded(feed, ids.split()))


@then("le remplacement est déclaré par RPLC dans la soumission et dans le CDA")
def replacement(feed, verdict):
    verdict.judge(dmp.check_replacement(feed))


@then("l'alimentation est refusée et rien n'est envoyé au DMP")
def refused(feed, verdict):
    verdict.judge(dmp.check_refused_unqualified(feed))


@then("l'erreur du DMP est signalée et le document reste en attente")
def error_kept(feed, verdict):
    verdict.judge(dmp.check_error_kept(feed))


@then("le document est rangé dans le dossier du premier résident, et d'aucun autre")
def integration(integration, verdict):
    verdict.judge(dmp.check_integration(integration))


@then("les recherches ITI-18 du DUI sont conformes")
def queries(integration, verdict):
    verdict.judge(dmp.check_query_requests(integration))


@then("les récupérations ITI-43 du DUI sont conformes")
def retrievals(integration, verdict):
    verdict.judge(dmp.check_retrieve_requests(integration))


@then("le DUI a testé l'existence du DMP à l'ouverture, avant toute consultation")
def tested_on_opening(opening, verdict):
    verdict.judge(dmp.check_existence_on_opening(opening))


@then("les tests d'existence du DMP faits à l'ouverture sont conformes")
def existence_on_opening(opening, verdict):
    verdict.judge(dmp.check_existence_requests(opening.exchanges))


@then("les tests d'existence du DMP faits avant l'alimentation sont conformes")
def existence_before_feed(feed, verdict):
    verdict.judge(dmp.check_existence_requests(feed.exchanges))


@then("le dossier montre le DMP tel que le DMP simulé le détient")
def view(opening, verdict):
    verdict.judge(dmp.check_view(opening))


@then("le dossier montre si un VSM est disponible et la date du plus récent")
def vsm(opening, verdict):
    verdict.judge(dmp.check_vsm(opening))


@then("le DUI n'a fait aucune transaction avec le DMP et le dossier en montre la raison")
def no_transaction(opening, verdict):
    verdict.judge(dmp.check_no_transaction(opening))


@then("le DUI a testé l'existence du DMP avant l'alimentation")
def tested_before_feed(feed, verdict):
    verdict.judge(dmp.check_tested_before_feed(feed))


@when("un autre professionnel partage un nouveau DLU du premier résident dans le DMP", target_fixture="newer")
def shares_another(live_env, seeded):
    patient_id, unique_ids = seeded
    return [dmp.seed_document(live_env, patient_id)] if patient_id else []


@when("un autre professionnel remplace ce DLU dans le DMP", target_fixture="newer")
def replaces_shared(live_env, seeded):
    patient_id, unique_ids = seeded
    return [dmp.seed_document(live_env, patient_id, replaces=unique_ids[0])] if patient_id else []


@when("le DUI intègre de nouveau les documents du DMP du premier résident", target_fixture="second_integration")
def integrates_again(live_env, dmp_residents, seeded, newer):
    patient_id, _ = seeded
    return dmp.run_integration(live_env, dmp_residents[0].admission.resident_id, patient_id, newer, [])


@then("aucun document déjà intégré n'est téléchargé de nouveau")
def no_second_download(integration, second_integration, verdict):
    verdict.judge(dmp.check_no_second_download(integration, second_integration))


@then("le dossier signale la nouvelle version du document intégré")
def newer_version(seeded, newer, second_integration, verdict):
    verdict.judge(
        dmp.check_newer_version(second_integration, seeded[1][0] if seeded[1] else "", newer[0] if newer else "")
    )
