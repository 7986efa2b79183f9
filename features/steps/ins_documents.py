"""Steps of the offline INS features: read identities once, then one check per requirement."""

from pytest_bdd import then, when

from dui_conformance import ins
from dui_conformance.model import Location, omitted, skipped

# Step text → requirement id; the check itself is ins.IDENTITY_CHECKS[id].
IDENTITY_STEPS = {
    "chaque matricule INS compte 15 caractères dont une clé de contrôle exacte": "INS-01",
    "chaque NIR concorde avec le sexe, la date et le lieu de naissance": "INS-02",
    "chaque INS porte l'OID de son autorité d'affectation": "INS-03",
    "chaque INS relève de l'environnement attendu": "INS-04",
    "chaque nom de naissance est présent et écrit selon les règles de l'INS": "INS-05",
    "chaque identité porte la liste des prénoms de naissance et le premier prénom en tête de liste": "INS-06",
    "chaque date de naissance est valide, complète ou partielle selon les formes de l'INSi": "INS-07",
    "chaque identité portant l'INS a le sexe M ou F": "INS-08",
    "chaque lieu de naissance est un code COG à 5 caractères": "INS-09",
    "aucun matricule INS n'est transmis pour une identité non qualifiée": "INS-10",
    "chaque statut d'identité est un statut RNIV cohérent avec ses attributs": "INS-11",
    "chaque statut d'identité dit sans ambiguïté si l'identité portant l'INS est qualifiée": "INS-15",
    "chaque NIR code un mois de naissance calendaire": "INS-16",
}


def _identities(document):
    return document.derived("ins.identities", lambda: ins.read_identities(document))


@when("le harnais lit les identités de patient qu'il porte")
def read_identities(document, verdict):
    verdict.record(_identities(document)[1])


@then("l'INS et ses traits sont placés selon le format du document")
def structure(document, verdict):
    verdict.judge(
        ins.check_structure(document)
        or [
            omitted(req, "Document illisible ou d'un autre format : règle sans objet.", Location(file=document.path))
            for req in ("INS-12", "INS-13", "INS-14")
        ]
    )


def _identity_step(requirement: str):
    def step(document, settings, verdict):
        context = ins.InsContext(environment=settings.environment)
        identities, problems = _identities(document)
        findings = [f for identity in identities for f in ins.IDENTITY_CHECKS[requirement](identity, context)]
        where = Location(file=document.path)
        if not findings and problems:
            findings = [skipped(requirement, "Document illisible : règle non évaluable (voir GEN-01/GEN-02).", where)]
        verdict.judge(findings or [omitted(requirement, "Aucune identité de patient lue dans ce document.", where)])

    return step


for _text, _requirement in IDENTITY_STEPS.items():
    then(_text)(_identity_step(_requirement))
