"""Pro Santé Connect relying-party checks (PSC-01 … PSC-27) of the scenario steps, pure over what the
PSC mock recorded and what the DUI reported about its sessions; the checks of the DUI's requests
themselves are in :mod:`.exchanges`.

A negative check passes when the DUI *stops* (harness lessons §4, OpenID Foundation RP tests):
after a bad ID token it opens no session and makes no userinfo call within the bounded wait.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .. import wording
from ..decides import decides
from ..exchanges import Exchange
from ..model import Finding, Location, Outcome, failed, passed, skipped
from .exchanges import AUTHORIZE, LOGOUT, TOKEN, USERINFO, check_exchanges, check_logout_request
from .oauth import form_params, header

# eIDAS levels above the eidas1 a DUI asks for (substantial, high: the eidas1/2/3 scale PSC's acr uses)
ABOVE_ACR = ("eidas2", "eidas3")
# mock defect -> requirement whose check it probes (mocks/psc/tokens.py)
DEFECT_REQUIREMENTS: dict[str, str] = {
    "signature-invalide": "PSC-10",
    "alg-none": "PSC-11",
    "kid-inconnu": "PSC-12",
    "iss-errone": "PSC-13",
    "aud-errone": "PSC-14",
    "expire": "PSC-15",
    "iat-futur": "PSC-16",
    "nonce-different": "PSC-17",
    "acr-insuffisant": "PSC-18",
    "sub-userinfo-different": "PSC-19",
    "userinfo-signature-invalide": "PSC-25",
    "etat-different": "PSC-03",
}
# mock defects delivered in the userinfo response: the DUI calls userinfo with a sound token, then must stop
USERINFO_DEFECTS = frozenset({"sub-userinfo-different", "userinfo-signature-invalide"})
# requirement -> (operations whose requests the checks of .exchanges judge for it, what is checked, in French)
RECORDED: dict[str, tuple[tuple[str, ...], str]] = {
    "PSC-01": ((AUTHORIZE,), "demande d'autorisation (code, openid scope_all, eidas1)"),
    "PSC-02": ((AUTHORIZE,), "« state » de la demande d'autorisation"),
    "PSC-04": ((AUTHORIZE,), "« nonce » de la demande d'autorisation"),
    "PSC-05": ((AUTHORIZE, TOKEN), "PKCE S256"),
    "PSC-06": ((AUTHORIZE, TOKEN), "redirect_uri enregistré"),
    "PSC-07": ((TOKEN,), "authentification du client au point de jeton"),
    "PSC-08": ((TOKEN,), "usage unique du code d'autorisation"),
}


@dataclass(frozen=True)
class ExpectedProfessional:
    """What the session of the logged-in professional must say (from the fictitious directory)."""

    id: str
    id_national: str
    profession: str
    sectors: tuple[str, ...]
    finess: tuple[str, ...]
    name: str

    def sessions_in(self, sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [s for s in sessions if s.get("idNational") == self.id_national]


def born(sessions: list[dict[str, Any]], earlier: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``sessions`` less those ``earlier`` held already (as a multiset: each earlier session hides one equal
    session). ``lireSessions`` gives no session id: a session the DUI reported before the scenario's login (its reset
    and the harness's logout of an earlier scenario both kept it) is told from this login's by count."""
    left = Counter(json.dumps(s, sort_keys=True) for s in earlier)
    out = []
    for session in sessions:
        key = json.dumps(session, sort_keys=True)
        if left[key]:
            left[key] -= 1
        else:
            out.append(session)
    return out


@dataclass
class LoginRun:
    """One login through the DUI: the planned professional and defect, PSC traffic, sessions after, and the sessions
    the DUI reported just before the login (``earlier``: left by earlier scenarios), which no check counts as this
    login's."""

    expected: ExpectedProfessional
    defect: str | None
    exchanges: list[Exchange]
    sessions: list[dict[str, Any]]
    waited_s: float = 0.0
    rotated_kid: str | None = None
    unavailable: str | None = None  # why no login could be attempted (PSC not configured for this DUI)
    earlier: list[dict[str, Any]] = field(default_factory=list)

    def of(self, operation: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.operation == operation]

    @property
    def login_ids(self) -> set[int]:
        return {e.data["login"] for e in self.of(AUTHORIZE) if "login" in e.data}

    def for_login(self, operation: str) -> list[Exchange]:
        ids = self.login_ids
        return [e for e in self.of(operation) if e.data.get("login") in ids]

    def sessions_of_professional(self) -> list[dict[str, Any]]:
        """The sessions of the expected professional that this login opened (none of ``earlier``)."""
        return self.expected.sessions_in(born(self.sessions, self.earlier))

    def earlier_of_professional(self) -> list[dict[str, Any]]:
        """The expected professional's sessions the DUI held before this login (left by earlier scenarios)."""
        return self.expected.sessions_in(self.earlier)

    def callback(self) -> str | None:
        """The provider's redirect to the DUI that carried this login's code and state (None: none issued)."""
        answers = [e.response for e in self.for_login(AUTHORIZE) if e.response and e.response.status == 302]
        return header(answers[0], "Location") or None if answers else None


@dataclass
class FollowUpRun:
    """What happened after a login: a logout or an expired access token, then the sessions."""

    login: LoginRun
    exchanges: list[Exchange]
    sessions: list[dict[str, Any]]

    def of(self, operation: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.operation == operation]

    def sessions_of_professional(self) -> list[dict[str, Any]]:
        """The expected professional's sessions still open, less those the DUI held before the login."""
        return self.login.expected.sessions_in(born(self.sessions, self.login.earlier))


def _at(exchange: Exchange | None) -> Location:
    return Location(exchange=exchange.id if exchange else None)


@decides(*RECORDED)
def check_recorded(run: LoginRun, requirement: str) -> list[Finding]:
    """PSC-01/02/04/05/06/07/08: the failures of the request checks for ``requirement`` during the login."""
    if run.unavailable:
        return [skipped(requirement, run.unavailable)]
    operations, what = RECORDED[requirement]
    seen = [e for e in run.exchanges if e.operation in operations]
    if not seen:
        return [skipped(requirement, f"Aucune requête {'/'.join(operations)} reçue par PSC : {what} non vérifié.")]
    ids = {e.id for e in seen}
    out = [
        failed(requirement, f"{what} : {f.message}", f.location)
        for f in check_exchanges(run.exchanges)
        if f.requirement == requirement and f.outcome is Outcome.FAIL and f.location.exchange in ids
    ]
    return out or [passed(requirement, f"{what} : conforme sur {len(seen)} requête(s) reçue(s) par PSC.", _at(seen[0]))]


def _none_opened(run: LoginRun, requirement: str, message: str, location: Location) -> Finding:
    """No session born of this login: a failure, unless the DUI held one of this professional already, as a DUI that
    keeps one session per professional shows no new one: undecided, not blamed on the previous scenario's."""
    earlier = run.earlier_of_professional()
    if earlier:
        return skipped(
            requirement,
            f"Non concluant : avant la connexion, le DUI déclarait déjà {len(earlier)} session(s) de "
            f"{run.expected.name}, restée(s) d'un scénario précédent malgré sa déconnexion et la remise à zéro ; "
            "aucune session de plus après la connexion, une session de ce scénario ne peut en être distinguée.",
            location,
        )
    return failed(requirement, message, location)


def _session_facts(session: dict[str, Any]) -> str:
    return (
        f"idNational={session.get('idNational')}, profession={session.get('profession')}, "
        f"secteur={session.get('secteurActivite')}, FINESS={session.get('finess')}"
    )


@decides("PSC-21")
def check_session(run: LoginRun) -> list[Finding]:
    """PSC-21: the DUI's session belongs to the professional who logged in (national id, profession, ESMS)."""
    if run.unavailable:
        return [skipped("PSC-21", run.unavailable)]
    exp, userinfo = run.expected, next(iter(run.for_login(USERINFO)), None)
    mine = run.sessions_of_professional()
    if not mine:
        found = "; ".join(_session_facts(s) for s in born(run.sessions, run.earlier)) or "aucune nouvelle session"
        message = (
            f"Après la connexion de {exp.name}, le DUI déclare : {found}. Attendu : une session "
            f"pour l'identifiant national {exp.id_national}."
        )
        return [_none_opened(run, "PSC-21", message, _at(userinfo))]
    session = mine[0]
    wrong = []
    if session.get("profession") != exp.profession:
        wrong.append(f"profession {wording.found(session.get('profession'))} au lieu de « {exp.profession} »")
    if session.get("secteurActivite") not in exp.sectors:
        sector = wording.found(session.get("secteurActivite"))
        wrong.append(f"secteur d'activité {sector} hors de {wording.listed(exp.sectors)}")
    if session.get("finess") not in exp.finess:
        finess = wording.found(session.get("finess"))
        wrong.append(f"FINESS {finess} hors des lieux d'exercice {wording.listed(exp.finess)}")
    if wrong:
        return [
            failed("PSC-21", f"Session de {exp.name} : {', '.join(wrong)}.", _at(userinfo), _session_facts(session))
        ]
    return [passed("PSC-21", f"Session ouverte pour {exp.name} ({_session_facts(session)}).", _at(userinfo))]


@decides(*DEFECT_REQUIREMENTS.values())
def check_refused(run: LoginRun) -> list[Finding]:
    """PSC-03, PSC-10 … PSC-19, PSC-25: after the planned defect, the DUI stopped (no session, and no userinfo
    call after a bad ID token)."""
    requirement = DEFECT_REQUIREMENTS[run.defect or ""]
    if run.unavailable:
        return [skipped(requirement, run.unavailable)]
    exp = run.expected
    authorize = next(iter(run.for_login(AUTHORIZE)), None)
    if authorize is None:
        return [skipped(requirement, "Le DUI n'a pas envoyé de demande d'autorisation à PSC : rien à refuser.")]
    sessions = run.sessions_of_professional()
    tokens, userinfo = run.for_login(TOKEN), run.for_login(USERINFO)
    what = "retour au DUI avec un « state » différent" if run.defect == "etat-different" else f"défaut « {run.defect} »"
    if run.defect == "etat-different":
        if tokens:
            return [
                failed(
                    requirement,
                    f"{what} : le DUI a quand même échangé le code au point de jeton. Attendu : "
                    "refus au retour, sans échange du code.",
                    _at(tokens[0]),
                )
            ]
    elif not any(t.response and t.response.status == 200 for t in tokens):
        return [
            skipped(
                requirement,
                f"{what} : le DUI n'a pas obtenu de jeton au point de jeton, le jeton défectueux n'a pas été livré.",
                _at(authorize),
            )
        ]
    if sessions:
        return [
            failed(
                requirement,
                f"{what} : le DUI a ouvert une session pour {exp.name} "
                f"({_session_facts(sessions[0])}). Attendu : connexion refusée.",
                _at(userinfo[0] if userinfo else tokens[0] if tokens else authorize),
            )
        ]
    if userinfo and run.defect not in USERINFO_DEFECTS:
        return [
            failed(
                requirement,
                f"{what} : le DUI a appelé userinfo avec le jeton reçu au lieu de s'arrêter.",
                _at(userinfo[0]),
            )
        ]
    return [
        passed(
            requirement,
            f"{what} : connexion refusée, aucune session ni appel userinfo poursuivi en {run.waited_s:g} s d'attente.",
            _at(authorize),
        )
    ]


@decides("PSC-03")
def check_replayed_state(run: FollowUpRun) -> list[Finding]:
    """PSC-03: the authorization response of a completed login, delivered to the DUI a second time (same code,
    same state), is refused at the callback: a state is used once, so no code exchange and no new session."""
    if run.login.unavailable:
        return [skipped("PSC-03", run.login.unavailable)]
    exp, before = run.login.expected, run.login.sessions_of_professional()
    if not before or run.login.callback() is None:
        return [skipped("PSC-03", f"Préalable non obtenu : aucune session ouverte pour {exp.name} à rejouer.")]
    what = "retour de Pro Santé Connect rejoué (même code, même « state »)"
    redeemed = [e for e in run.of(TOKEN) if form_params(e.request).get("grant_type") == "authorization_code"]
    if redeemed:
        return [
            failed(
                "PSC-03",
                f"{what} : le DUI a de nouveau présenté le code au point de jeton. Attendu : refus au retour, "
                "le « state » ayant déjà servi.",
                _at(redeemed[0]),
            )
        ]
    after = run.sessions_of_professional()
    if len(after) > len(before):
        return [
            failed(
                "PSC-03",
                f"{what} : le DUI a ouvert une session de plus pour {exp.name} ({len(before)} avant, "
                f"{len(after)} après). Attendu : refus au retour.",
            )
        ]
    return [passed("PSC-03", f"{what} : refusé, sans échange du code ni nouvelle session.")]


@decides("PSC-20")
def check_rotation(run: LoginRun) -> list[Finding]:
    """PSC-20: a token signed with the newly published key opens the session."""
    if run.unavailable:
        return [skipped("PSC-20", run.unavailable)]
    signed = [t for t in run.for_login(TOKEN) if t.data.get("kid") == run.rotated_kid]
    if not signed:
        return [skipped("PSC-20", "Aucun jeton d'identité signé par la nouvelle clé n'a été remis au DUI.")]
    if not run.sessions_of_professional():
        message = (
            f"Jeton signé par la nouvelle clé « {run.rotated_kid} » refusé : aucune session "
            f"pour {run.expected.name}. Attendu : le DUI relit le JWKS et accepte."
        )
        return [_none_opened(run, "PSC-20", message, _at(signed[0]))]
    return [passed("PSC-20", f"Jeton signé par la nouvelle clé « {run.rotated_kid} » accepté.", _at(signed[0]))]


@decides("PSC-22")
def check_logout(run: FollowUpRun) -> list[Finding]:
    """PSC-22: end_session with id_token_hint and a registered post_logout_redirect_uri, then no session."""
    exp = run.login.expected
    if run.login.unavailable:
        return [skipped("PSC-22", run.login.unavailable)]
    if not run.login.sessions_of_professional():
        return [skipped("PSC-22", f"Aucune session n'était ouverte pour {exp.name} avant la déconnexion.")]
    logouts = run.of(LOGOUT)
    out = [
        failed("PSC-22", f"Déconnexion : {f.message}", f.location)
        for e in logouts
        for f in check_logout_request(e)
        if f.outcome is Outcome.FAIL
    ]
    if not logouts:
        out.append(
            failed(
                "PSC-22",
                "Le DUI n'a pas redirigé vers le point end_session de PSC à la déconnexion.",
                _at(next(iter(run.exchanges), None)),
            )
        )
    left = run.sessions_of_professional()
    if left:
        out.append(
            failed(
                "PSC-22",
                f"Après la déconnexion, le DUI garde une session pour {exp.name} "
                f"({_session_facts(left[0])}). Attendu : plus aucune session.",
                _at(logouts[0] if logouts else None),
            )
        )
    return out or [
        passed("PSC-22", "Déconnexion par end_session avec id_token_hint ; la session a disparu.", _at(logouts[0]))
    ]


@decides("PSC-23")
def check_expired_access(run: FollowUpRun) -> list[Finding]:
    """PSC-23: after an expired access token, the DUI refreshed it or ended the session."""
    if run.login.unavailable:
        return [skipped("PSC-23", run.login.unavailable)]
    exp = run.login.expected
    refreshed = [
        e
        for e in run.of(TOKEN)
        if e.data.get("grant_type") == "refresh_token" and e.response is not None and e.response.status == 200
    ]
    kept = run.sessions_of_professional()
    rejected = [e for e in run.of(USERINFO) if e.data.get("expired")]
    if refreshed:
        return [passed("PSC-23", "Jeton d'accès expiré rafraîchi par refresh_token.", _at(refreshed[0]))]
    if not kept:
        return [
            passed(
                "PSC-23",
                "Jeton d'accès expiré : session close, nouvelle connexion demandée.",
                _at(next(iter(rejected), None)),
            )
        ]
    if rejected:
        return [
            failed(
                "PSC-23",
                f"PSC a refusé le jeton d'accès expiré, et le DUI garde la session de {exp.name} "
                "sans la rafraîchir. Attendu : rafraîchissement ou nouvelle connexion.",
                _at(rejected[0]),
            )
        ]
    return [
        skipped(
            "PSC-23",
            "Le DUI n'a présenté aucun jeton à PSC après l'expiration : impossible de dire s'il l'aurait gardé.",
        )
    ]


@decides("PSC-26")
def check_higher_acr(run: LoginRun) -> list[Finding]:
    """PSC-26: an ID token at a level above the eidas1 the DUI asked for (eidas2, authMode « CARD », as PSC returns
    it for CPS and e-CPS logins) opens the session: the DUI accepts a level at or above eidas1, not eidas1 only."""
    if run.unavailable:
        return [skipped("PSC-26", run.unavailable)]
    delivered = [
        t for t in run.for_login(TOKEN) if t.response and t.response.status == 200 and t.data.get("acr") in ABOVE_ACR
    ]
    if not delivered:
        return [skipped("PSC-26", "Aucun jeton d'identité d'un niveau supérieur à eidas1 n'a été remis au DUI.")]
    level = delivered[0].data.get("acr")
    if not run.sessions_of_professional():
        message = (
            f"Jeton d'identité de niveau « {level} » refusé : aucune session pour {run.expected.name}. Attendu : "
            "le DUI, qui demande eidas1, accepte un niveau égal ou supérieur (PSC renvoie eidas2 aux "
            "connexions par carte CPS ou e-CPS)."
        )
        return [_none_opened(run, "PSC-26", message, _at(delivered[0]))]
    return [passed("PSC-26", f"Jeton d'identité de niveau « {level} » accepté : session ouverte.", _at(delivered[0]))]


@decides("PSC-27")
def check_refresh_death(run: FollowUpRun) -> list[Finding]:
    """PSC-27: once PSC refused the session's refresh token (expired, invalid, revoked: invalid_grant), the DUI
    ended the session. A DUI that never presented it did not learn of its death (PSC-23 judges a session kept
    with an expired access token)."""
    if run.login.unavailable:
        return [skipped("PSC-27", run.login.unavailable)]
    exp = run.login.expected
    if not run.login.sessions_of_professional():
        return [skipped("PSC-27", f"Préalable non obtenu : aucune session ouverte pour {exp.name}.")]
    refused = [e for e in run.of(TOKEN) if e.data.get("refresh_death")]
    if not refused:
        return [
            skipped(
                "PSC-27",
                f"Le DUI n'a pas présenté le jeton de rafraîchissement de {exp.name} à PSC : il n'a pas appris "
                "sa fin (PSC-23 juge une session gardée sans rafraîchissement).",
            )
        ]
    how = refused[0].data["refresh_death"]
    kept = run.sessions_of_professional()
    if kept:
        return [
            failed(
                "PSC-27",
                f"PSC a refusé le jeton de rafraîchissement ({how}), et le DUI garde la session de {exp.name} "
                f"({_session_facts(kept[0])}). Attendu : fin de la session, nouvelle connexion demandée.",
                _at(refused[0]),
            )
        ]
    return [passed("PSC-27", f"Jeton de rafraîchissement refusé par PSC ({how}) : session close.", _at(refused[0]))]


@decides("PSC-24")
def check_vihf_professional(login: LoginRun, vihfs: list[tuple[str, dict[str, str | None]]]) -> list[Finding]:
    """PSC-24: each ITI-41 VIHF (exchange id, NameID + attributes) names the professional of ``login``."""
    if login.unavailable:
        return [skipped("PSC-24", login.unavailable)]
    expected = login.expected
    if not vihfs:
        return [skipped("PSC-24", "Aucune soumission ITI-41 après la connexion : VIHF non vérifié.")]
    out = []
    for exchange_id, vihf in vihfs:
        wrong = []
        if vihf.get("NameID") != expected.id_national:
            wrong.append(f"NameID {wording.found(vihf.get('NameID'))} au lieu de « {expected.id_national} »")
        if vihf.get("role") != expected.profession:
            wrong.append(f"rôle {wording.found(vihf.get('role'))} au lieu de la profession « {expected.profession} »")
        sector = (vihf.get("Secteur_Activite") or "").split("^")[0]
        if sector not in expected.sectors:
            declared = wording.found(vihf.get("Secteur_Activite"))
            wrong.append(f"Secteur_Activite {declared} hors de {wording.listed(expected.sectors)}")
        where = Location(exchange=exchange_id)
        out.append(
            failed(
                "PSC-24", f"VIHF de l'ITI-41 : {', '.join(wrong)} (professionnel connecté : {expected.name}).", where
            )
            if wrong
            else passed("PSC-24", f"VIHF de l'ITI-41 au nom de {expected.name} ({expected.id_national}).", where)
        )
    return out
