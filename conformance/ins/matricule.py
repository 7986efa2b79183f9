"""Checks on the INS matricule itself: structure and key (INS-01), agreement with the traits
(INS-02), assigning authority (INS-03), environment (INS-04) and unsourced month values (INS-16)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from ..decides import decides
from ..model import Finding, Outcome, failed, omitted, passed, skipped
from ..wording import found
from .identity import INS_C_SOURCE, INS_OIDS, OID_INS_C, OID_NIA, PRODUCTION_OIDS, TEST_OIDS, Identity
from .rules import InsRules, default_rules

_STRUCTURE = re.compile(r"^[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}$")
_YEAR = re.compile(r"^[0-9]{4}")
_YEAR_MONTH = re.compile(r"^[0-9]{4}-[0-9]{2}")
ENVIRONMENTS = ("test", "production")


def _no_ins(req: str, identity: Identity) -> list[Finding]:
    return [omitted(req, f"{identity.without_ins} : exigence non applicable.", identity.locate("identity"))]


def expected_key(matricule: str, rules: InsRules | None = None) -> int:
    """Control key of the first 13 characters: 97 − (n mod 97), Corsica letters substituted."""
    rules = rules or default_rules()
    body = matricule[:13]
    dept = body[5:7]
    if dept in rules.corsica_substitution:
        body = body[:5] + rules.corsica_substitution[dept] + body[7:]
    return 97 - int(body) % 97


@decides("INS-01")
def check_matricule(identity: Identity, rules: InsRules | None = None) -> list[Finding]:
    """INS-01: 15 characters (13 + key), key = 97 − (n mod 97)."""
    mat, where = identity.matricule, identity.locate("matricule")
    if mat is None:
        return _no_ins("INS-01", identity)
    if not _STRUCTURE.match(mat):
        return [
            failed(
                "INS-01",
                f"Matricule INS trouvé : {found(mat)} ; attendu 15 caractères, 13 chiffres (2A/2B pour la "
                "Corse) puis une clé de 2 chiffres.",
                where,
                mat,
            )
        ]
    key = expected_key(mat, rules)
    if int(mat[13:]) != key:
        return [
            failed(
                "INS-01",
                f"Clé de contrôle du matricule INS {mat} erronée : {mat[13:]} au lieu de {key:02d} (97 − n modulo 97).",
                where,
                mat,
            )
        ]
    return [passed("INS-01", f"Matricule INS {mat} : structure et clé de contrôle valides.", where, mat)]


def _sex_digits(identity: Identity, rules: InsRules) -> dict[str, str]:
    if identity.oid == OID_NIA or identity.oid not in INS_OIDS:
        return rules.nia_sex_digits
    return rules.nir_sex_digits


def _same_place(nir_place: str, cog: str, rules: InsRules) -> bool:
    nir_dept, cog_dept = nir_place[:2], cog[:2]
    same_dept = nir_dept == cog_dept or (nir_dept == rules.corsica_legacy_department and cog_dept in ("2A", "2B"))
    if rules.birthplace_comparison == "departement":
        return same_dept
    return same_dept and nir_place[2:] == cog[2:]


def _aspects(identity: Identity, mat: str, rules: InsRules) -> Iterator[tuple[str, str | None, str]]:
    """(aspect, problem or None, field to point at) for each part of the NIR ``mat`` that can be compared."""
    date, cog = identity.birth_date or "", identity.birth_place or ""
    digits = _sex_digits(identity, rules)
    coded_sex = digits.get(mat[0])
    if coded_sex is None:
        yield (
            "sexe",
            f"Le premier chiffre du matricule ({mat[0]}) ne code aucun sexe (admis : {', '.join(digits)}).",
            "matricule",
        )
    elif identity.sex in ("M", "F") and identity.sex != coded_sex:
        yield (
            "sexe",
            f"Le matricule code le sexe {coded_sex} (chiffre {mat[0]}), le trait sexe vaut {identity.sex}.",
            "sex",
        )
    elif identity.sex in ("M", "F"):
        yield "sexe", None, "sex"
    if _YEAR.match(date):
        problem = f"Le matricule code l'année ..{mat[1:3]}, la date de naissance est {date}."
        yield "année", None if date[2:4] == mat[1:3] else problem, "birth_date"
    month = int(mat[3:5])
    if rules.is_month_exception(month):
        yield f"mois {mat[3:5]} fictif (état civil incomplet) non comparé", None, "matricule"
    elif not 1 <= month <= 12:
        yield (
            "mois",
            f"Le mois codé dans le matricule ({mat[3:5]}) n'est ni un mois ni une exception documentée.",
            "matricule",
        )
    elif _YEAR_MONTH.match(date) and date[5:7] != "00":
        problem = f"Le matricule code le mois {mat[3:5]}, la date de naissance est {date}."
        yield "mois", None if int(date[5:7]) == month else problem, "birth_date"
    if rules.birthplace_comparison != "aucune" and len(cog) == 5:
        problem = (
            f"Le matricule code le lieu de naissance {mat[5:10]}, le code COG du lieu de naissance est {cog} "
            f"(comparaison : {rules.birthplace_comparison})."
        )
        yield "lieu de naissance", None if _same_place(mat[5:10], cog, rules) else problem, "birth_place"


@decides("INS-02")
def check_nir_traits(identity: Identity, rules: InsRules | None = None) -> list[Finding]:
    """INS-02: sex digit, year, month and birth place of the NIR agree with the traits."""
    mat, where = identity.matricule, identity.locate("matricule")
    if mat is None:
        return _no_ins("INS-02", identity)
    if not _STRUCTURE.match(mat):
        message = f"Matricule {found(mat)} mal formé : comparaison avec les traits impossible (voir INS-01)."
        return [skipped("INS-02", message, where, mat)]
    aspects = list(_aspects(identity, mat, rules or default_rules()))
    out = [failed("INS-02", problem, identity.locate(field), mat) for _, problem, field in aspects if problem]
    if out:
        return out
    if not aspects:
        return [skipped("INS-02", "Aucun trait exploitable pour vérifier le matricule.", where, mat)]
    detail = ", ".join(aspect for aspect, _, _ in aspects)
    return [passed("INS-02", f"Matricule {mat} cohérent avec les traits ({detail}).", where, mat)]


@decides("INS-16")
def check_nir_month(identity: Identity, rules: InsRules | None = None) -> list[Finding]:
    """INS-16 (advisory): a NIR month outside 01–12 that only secondary sources describe is a warning."""
    mat, where = identity.matricule, identity.locate("matricule")
    if mat is None:
        return _no_ins("INS-16", identity)
    if not _STRUCTURE.match(mat):
        return [skipped("INS-16", f"Matricule {found(mat)} mal formé : mois non lisible (voir INS-01).", where, mat)]
    month = int(mat[3:5])
    if 1 <= month <= 12:
        return [passed("INS-16", f"Mois de naissance codé {mat[3:5]} : mois calendaire.", where, mat)]
    if (rules or default_rules()).is_month_exception(month):
        return [
            failed(
                "INS-16",
                f"Mois {mat[3:5]} trouvé dans le matricule {mat}, mois 01 à 12 attendu : cette valeur "
                "(état civil incomplet ou provisoire) n'est décrite que par des sources secondaires, non "
                "confirmée par l'INSEE (segur-spec-facts §7.4, rules.toml month_exceptions) ; avertissement, "
                "non bloquant.",
                where,
                mat,
            )
        ]
    return [omitted("INS-16", f"Mois {mat[3:5]} ni calendaire ni exception décrite : voir INS-02.", where, mat)]


def _ins_c(identity: Identity) -> list[Finding]:
    """The obsolete INS-C, reported once and never judged as an INS."""
    if identity.ins_c is None:
        return []
    value = f" {identity.ins_c}" if identity.ins_c else ""
    verdict = "l'INS lu à côté est seul jugé" if identity.carries_ins else "les règles de l'INS ne s'y appliquent pas"
    return [
        omitted(
            "INS-03",
            f"INS-C{value} (OID {OID_INS_C}) trouvé pour l'{identity.label} : identifiant obsolète, ce n'est pas "
            f"un INS ({INS_C_SOURCE}) ; {verdict}.",
            identity.locate("ins_c"),
            f"{OID_INS_C} / {identity.ins_c}",
        )
    ]


@decides("INS-03")
def check_oid(identity: Identity, rules: InsRules | None = None) -> list[Finding]:
    """INS-03: the OID is one of the four INS authorities and fits the matricule type; an INS-C is
    reported as obsolete, not as an unknown authority."""
    return _check_oid(identity, rules) + _ins_c(identity)


def _check_oid(identity: Identity, rules: InsRules | None) -> list[Finding]:
    if not identity.carries_ins:
        return [] if identity.ins_c is not None else _no_ins("INS-03", identity)
    rules = rules or default_rules()
    oid, mat = identity.oid, identity.matricule
    where = identity.locate("oid")
    if not oid:
        return [
            failed("INS-03", f"Le matricule INS {mat} n'est accompagné d'aucun OID d'autorité d'affectation.", where)
        ]
    if oid not in INS_OIDS:
        return [
            failed(
                "INS-03",
                f"OID {oid} inconnu : les autorités d'affectation de l'INS sont {', '.join(INS_OIDS)}.",
                where,
                oid,
            )
        ]
    digits = rules.nia_sex_digits if oid == OID_NIA else rules.nir_sex_digits
    if mat and mat[0] not in digits:
        return [
            failed(
                "INS-03",
                f"L'OID {oid} ({INS_OIDS[oid]}) ne correspond pas au matricule {mat} : premier "
                f"chiffre {mat[:1]}, admis pour ce type {', '.join(sorted(digits))}.",
                where,
                f"{oid} / {mat}",
            )
        ]
    return [passed("INS-03", f"OID {oid} ({INS_OIDS[oid]}) connu et cohérent avec le matricule.", where, oid)]


@decides("INS-04")
def check_environment(identity: Identity, environment: str = "test") -> list[Finding]:
    """INS-04: no test/demo INS in production, no production INS in a test environment."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"environment must be one of {ENVIRONMENTS}, not {environment!r}")
    if not identity.carries_ins:
        return _no_ins("INS-04", identity)
    oid, where = identity.oid, identity.locate("oid")
    if oid not in INS_OIDS:
        return [
            omitted(
                "INS-04", f"OID {oid or 'absent'} non reconnu : environnement non déterminable (voir INS-03).", where
            )
        ]
    label = INS_OIDS[oid]
    if environment == "production" and oid in TEST_OIDS:
        return [
            failed(
                "INS-04",
                f"Identité de test ou de démonstration ({label}, OID {oid}) dans un environnement de production.",
                where,
                oid,
            )
        ]
    if environment == "test" and oid in PRODUCTION_OIDS:
        return [
            failed(
                "INS-04",
                f"INS de production ({label}, OID {oid}) dans un environnement de test : seuls des "
                "INS de test (1.2.250.1.213.1.4.10) ou de démonstration (.11) y sont admis.",
                where,
                oid,
            )
        ]
    return [passed("INS-04", f"OID {oid} ({label}) admis en environnement de {environment}.", where, oid)]


PRODUCTION_HINT = (
    " Tous les INS de cette exécution sont des INS de production : si les documents viennent "
    "d'un environnement de production, relancez avec --environnement production."
)


def suggest_environment(findings: list[Finding], environment: str) -> list[Finding]:
    """INS-04 over a whole run: when every INS read is a production INS and the run expects test
    identities, the likely mistake is the option, not every document; the failures say so."""
    judged = [f for f in findings if f.outcome in (Outcome.PASS, Outcome.FAIL)]
    if environment != "test" or not judged or any(f.evidence not in PRODUCTION_OIDS for f in judged):
        return findings
    return [replace(f, message=f.message + PRODUCTION_HINT) if f.outcome is Outcome.FAIL else f for f in findings]
