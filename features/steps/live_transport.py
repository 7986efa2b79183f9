"""Steps of the transport-security feature: what the mocks saw of each TLS connection."""

from pytest_bdd import given, parsers, then, when

from dui_conformance.live.transport import (
    check_client_certificate,
    check_legacy_refused,
    check_tls_version,
    check_untrusted_refused,
)


def _for_the_scenario(live_env, request, change):
    """Apply a change of the mocks' TLS (a context manager of the environment) until the scenario ends."""
    if live_env.tls:
        swap = change()
        swap.__enter__()
        request.addfinalizer(lambda: swap.__exit__(None, None, None))


@given("les services simulés présentant un certificat d'une autre autorité")
def untrusted(live_env, request):
    _for_the_scenario(live_env, request, live_env.untrusted_certificates)


@given("les services simulés n'acceptant que TLS 1.0 ou 1.1")
def legacy(live_env, request):
    _for_the_scenario(live_env, request, live_env.legacy_tls)


@when(
    parsers.parse("le DUI tente d'admettre le résident « {persona} » sur présentation de la pièce « {piece} »"),
    target_fixture="admission_attempt",
)
def attempt(live_env, persona, piece):
    """The admission may fail (the INSi is unreachable to a DUI that refuses it): only the traffic matters."""
    since = live_env.mark()
    try:
        live_env.admit(persona, id_document=piece)
    except Exception:  # noqa: BLE001 - a refusing DUI may report the failure in any way
        pass
    return live_env.exchanges("insi", since)


@then("les échanges du DUI avec l'INSi sont chiffrés en TLS 1.2 ou plus")
def tls_version(admission_run, live_env, verdict):
    verdict.judge(check_tls_version(admission_run.exchanges, live_env.tls))


@then("le DUI présente son certificat client à l'INSi")
def client_certificate(admission_run, live_env, verdict):
    refused = live_env.refused_handshakes("insi")  # with mtls = "exige", a DUI without it is refused
    verdict.judge(check_client_certificate(refused + admission_run.exchanges, live_env.tls))


@then("le DUI n'a envoyé aucune requête à l'INSi au certificat inconnu")
def refused(admission_attempt, live_env, verdict):
    verdict.judge(check_untrusted_refused(admission_attempt, live_env.tls, "insi"))


@then("le DUI n'a envoyé aucune requête à l'INSi limitée à TLS 1.0 ou 1.1")
def legacy_refused(admission_attempt, live_env, verdict):
    verdict.judge(check_legacy_refused(admission_attempt, live_env.tls, "insi"))
