"""Transport security of the DUI towards the simulated services (GEN-10…12), judged on the
exchanges the mocks recorded: TLS version, client certificate, and no request at all to a
server that offers only TLS 1.0/1.1 or whose certificate does not chain to the configured root.

Without TLS (``tls = false`` in the DUI configuration) nothing can be judged: the findings say
*non évaluée* (Outcome.NOT_RUN), never *conforme*.
"""

from __future__ import annotations

from ..decides import decides
from ..exchanges import TLS_REFUSED, Exchange
from ..model import Finding, Location, Outcome, failed, passed, skipped

TLS_VERSION = "GEN-10"
CLIENT_CERTIFICATE = "GEN-11"
UNTRUSTED_SERVER = "GEN-12"
ACCEPTED_VERSIONS = ("TLSv1.2", "TLSv1.3")
NOT_EVALUATED = (
    "Sécurité du transport non évaluée : services simulés en HTTP (tls = false dans la configuration du DUI)."
)


def not_evaluated(requirement: str) -> list[Finding]:
    return [Finding(requirement, Outcome.NOT_RUN, NOT_EVALUATED, Location())]


def _where(exchange: Exchange) -> Location:
    return Location(exchange=exchange.id)


@decides("GEN-10")
def check_tls_version(exchanges: list[Exchange], tls: bool) -> list[Finding]:
    if not tls:
        return not_evaluated(TLS_VERSION)
    if not exchanges:
        return [skipped(TLS_VERSION, "Aucun échange enregistré : version de TLS non vérifiable.")]
    out = []
    for exchange in exchanges:
        version = exchange.transport.get("tls_version")
        if version in ACCEPTED_VERSIONS:
            out.append(passed(TLS_VERSION, f"Échange chiffré en {version}.", _where(exchange)))
        else:
            out.append(
                failed(
                    TLS_VERSION,
                    f"Échange {exchange.transport.get('scheme', 'http')} en "
                    f"{version or 'clair'} : TLS 1.2 ou 1.3 attendu.",
                    _where(exchange),
                )
            )
    return out


@decides("GEN-11")
def check_client_certificate(exchanges: list[Exchange], tls: bool) -> list[Finding]:
    if not tls:
        return not_evaluated(CLIENT_CERTIFICATE)
    if not exchanges:
        return [skipped(CLIENT_CERTIFICATE, "Aucun échange enregistré : certificat client non vérifiable.")]
    return [
        passed(CLIENT_CERTIFICATE, f"Certificat client présenté : {e.transport['client_subject']}.", _where(e))
        if e.transport.get("client_subject")
        else failed(
            CLIENT_CERTIFICATE,
            f"Aucun certificat client présenté au service {e.service} (authentification mutuelle TLS attendue)"
            + (" : négociation TLS refusée par le service, qui l'exige." if e.operation == TLS_REFUSED else "."),
            _where(e),
        )
        for e in exchanges
    ]


def _refused(requirement: str, exchanges: list[Exchange], service: str, server: str) -> list[Finding]:
    """No request reached ``service`` while it was a ``server`` the DUI must refuse (French: what it was)."""
    if exchanges:
        return [
            failed(
                requirement,
                f"Le DUI a envoyé sa requête au service {e.service} malgré {server}"
                + (f" (échange en {e.transport['tls_version']})" if e.transport.get("tls_version") else "")
                + " : refus de la connexion attendu.",
                _where(e),
            )
            for e in exchanges
        ]
    return [
        passed(requirement, f"Aucune requête reçue par le service {service} ({server}) : le DUI a refusé la connexion.")
    ]


@decides("GEN-10")
def check_legacy_refused(exchanges: list[Exchange], tls: bool, service: str) -> list[Finding]:
    """``exchanges``: what the mocks recorded while they offered only TLS 1.0/1.1 (a modern server shows only the
    version a DUI prefers, never that it would also accept an obsolete one)."""
    if not tls:
        return not_evaluated(TLS_VERSION)
    return _refused(TLS_VERSION, exchanges, service, "un serveur limité à TLS 1.0 ou 1.1")


@decides("GEN-12")
def check_untrusted_refused(exchanges: list[Exchange], tls: bool, service: str) -> list[Finding]:
    """``exchanges``: what the mocks recorded while they presented a certificate from another root."""
    if not tls:
        return not_evaluated(UNTRUSTED_SERVER)
    return _refused(
        UNTRUSTED_SERVER, exchanges, service, "un certificat serveur d'une autre autorité que la racine configurée"
    )
