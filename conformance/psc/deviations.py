"""The deviation codes of Pro Santé Connect exchanges: stable code -> (requirement id, French label).

The one table: the checks of :mod:`.exchanges` name a code from here on every failure (its ``evidence``), and
the audit of a live scenario puts the code in front of the message (« PSC-STATE-ABSENT : … »).
"""

from __future__ import annotations

from ..exchanges import Exchange
from ..model import Finding, Location, failed

DEVIATIONS: dict[str, tuple[str, str]] = {
    "PSC-CLIENT-INCONNU": ("PSC-01", "Demande d'autorisation pour un client_id non enregistré"),
    "PSC-RESPONSE-TYPE": ("PSC-01", "Demande d'autorisation sans response_type=code"),
    "PSC-SCOPE": ("PSC-01", "Demande d'autorisation sans la portée « openid scope_all »"),
    "PSC-ACR-VALUES": ("PSC-01", "Demande d'autorisation sans acr_values=eidas1"),
    "PSC-STATE-ABSENT": ("PSC-02", "Demande d'autorisation sans « state »"),
    "PSC-NONCE-ABSENT": ("PSC-04", "Demande d'autorisation sans « nonce »"),
    "PSC-PKCE": ("PSC-05", "Pas de PKCE S256, ou code_verifier ne correspondant pas au code_challenge"),
    "PSC-REDIRECT-ABSENT": ("PSC-06", "redirect_uri absent ou non absolu"),
    "PSC-REDIRECT-NON-ENREGISTRE": ("PSC-06", "redirect_uri non enregistré pour ce client"),
    "PSC-REDIRECT-DIFFERENT": ("PSC-06", "redirect_uri du point de jeton différent de celui de la demande"),
    "PSC-METHODE-HTTP": ("PSC-07", "Méthode HTTP autre que POST au point de jeton"),
    "PSC-AUTH-CLIENT": (
        "PSC-07",
        "Client non authentifié par une méthode admise, avec ses propres identifiants (client_secret_basic, mTLS)",
    ),
    "PSC-CODE-INCONNU": ("PSC-08", "Code d'autorisation inconnu ou d'un autre client"),
    "PSC-CODE-REJOUE": ("PSC-08", "Code d'autorisation présenté une seconde fois"),
    "PSC-JETON-MALFORME": ("PSC-19", "Jeton d'accès illisible présenté à userinfo"),
    "PSC-DECONNEXION-SANS-HINT": ("PSC-22", "Déconnexion sans id_token_hint"),
    "PSC-DECONNEXION-HINT-ILLISIBLE": ("PSC-22", "Déconnexion avec un id_token_hint illisible"),
    "PSC-POST-LOGOUT-NON-ENREGISTRE": ("PSC-22", "post_logout_redirect_uri non enregistré pour ce client"),
    "PSC-REFRESH-INCONNU": ("PSC-23", "Jeton de rafraîchissement inconnu ou révoqué"),
    "PSC-JETON-INACTIF": ("PSC-23", "Jeton d'accès révoqué ou inconnu présenté à userinfo"),
    "PSC-JETON-EXPIRE": ("PSC-23", "Jeton d'accès présenté de nouveau après la réponse « expiré » de PSC"),
}


def deviation(code: str, exchange: Exchange, message: str | None = None) -> Finding:
    """The failure of ``code``'s requirement on ``exchange``: ``message``, or the code's label."""
    requirement, label = DEVIATIONS[code]
    return failed(requirement, message or f"{label}.", Location(exchange=exchange.id), code)
