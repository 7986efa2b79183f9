"""Checks on the five INS traits (INS-05 to INS-09), applicable when the INS is carried."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from ..decides import decides
from ..model import Finding, failed, omitted, passed
from .identity import Identity
from .rules import InsRules, default_rules


def _no_ins(req: str, identity: Identity) -> list[Finding]:
    if identity.carries_ins:  # an identifier under the INS arc whose OID is no INS authority
        why = f"Identifiant d'OID {identity.oid} inconnu (voir INS-03) pour l'{identity.label}"
    else:
        why = identity.without_ins
    return [omitted(req, f"{why} : règle des traits INS non applicable.", identity.locate("identity"))]


def character_problems(value: str, rules: InsRules | None = None) -> list[str]:
    """French descriptions of every INS character rule that ``value`` breaks."""
    rules = rules or default_rules()
    problems = []
    bad = sorted({c for c in value if c not in rules.letters and c not in rules.separators})
    if bad:
        kinds = []
        if any(c.isalpha() and c != c.upper() for c in bad):
            kinds.append("minuscules")
        if any(unicodedata.decomposition(c) for c in bad):
            kinds.append("lettres accentuées")
        hint = f" ({', '.join(kinds)})" if kinds else ""
        problems.append("caractères non admis " + " ".join(f"« {c} »" for c in bad) + hint)
    seps = "".join(re.escape(s) for s in rules.separators)
    if rules.forbid_edge_separators and seps and re.search(f"^[{seps}]|[{seps}]$", value):
        problems.append("séparateur en début ou en fin")
    if rules.forbid_consecutive_separators and seps and re.search(f"[{seps}]{{2}}", value):
        problems.append("séparateurs consécutifs")
    return problems


def _name_findings(
    req: str, what: str, value: str | None, identity: Identity, field: str, rules: InsRules
) -> list[Finding]:
    where = identity.locate(field)
    if not value:
        return [failed(req, f"{what.capitalize()} absent pour une {identity.label} portant l'INS.", where)]
    problems = character_problems(value, rules)
    if problems:
        return [
            failed(
                req,
                f"{what.capitalize()} « {value} » non conforme aux règles de l'INS : {' ; '.join(problems)}.",
                where,
                value,
            )
        ]
    return []


@decides("INS-05")
def check_birth_name(identity: Identity, rules: InsRules | None = None) -> list[Finding]:
    """INS-05: birth name present, upper case A-Z, allowed separators used properly."""
    if not identity.is_ins:
        return _no_ins("INS-05", identity)
    rules = rules or default_rules()
    out = _name_findings("INS-05", "nom de naissance", identity.birth_family, identity, "birth_family", rules)
    return out or [
        passed(
            "INS-05",
            f"Nom de naissance « {identity.birth_family} » conforme.",
            identity.locate("birth_family"),
            identity.birth_family,
        )
    ]


def first_given_matches(first: str, given_list: str, rules: InsRules | None = None) -> bool:
    """First birth given name == first element of the list (compound names kept whole)."""
    rules = rules or default_rules()
    if rules.first_given_match == "first-word":
        return given_list.split(" ")[0] == first
    return given_list == first or given_list.startswith(first + " ")


@decides("INS-06")
def check_given_names(identity: Identity, rules: InsRules | None = None) -> list[Finding]:
    """INS-06: list of birth given names and first given name present, consistent, well written."""
    if not identity.is_ins:
        return _no_ins("INS-06", identity)
    rules = rules or default_rules()
    out = _name_findings("INS-06", "liste des prénoms de naissance", identity.given_list, identity, "given_list", rules)
    out += _name_findings("INS-06", "premier prénom de naissance", identity.first_given, identity, "first_given", rules)
    if out:
        return out
    assert identity.first_given and identity.given_list  # an absent name failed above
    if not first_given_matches(identity.first_given, identity.given_list, rules):
        return [
            failed(
                "INS-06",
                f"Le premier prénom de naissance « {identity.first_given} » n'est pas le premier "
                f"élément de la liste des prénoms « {identity.given_list} ».",
                identity.locate("first_given"),
                f"{identity.first_given} / {identity.given_list}",
            )
        ]
    return [
        passed(
            "INS-06",
            f"Prénoms de naissance conformes : « {identity.given_list} », premier prénom « {identity.first_given} ».",
            identity.locate("given_list"),
            identity.given_list,
        )
    ]


def _date_form(value: str, rules: InsRules) -> tuple[str | None, str]:
    """(form, problem): form is 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY' when the date is acceptable."""
    match = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", value)
    if not match:
        return None, "format non reconnu"
    year, month, day = match.groups()
    if rules.zero_filled_is_partial:
        if day == "00":
            day = None
        if month == "00" and day is None:
            month = None
    if day is not None:
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            return None, "date inexistante au calendrier"
        return "YYYY-MM-DD", ""
    if month is not None and not 1 <= int(month) <= 12:
        return None, f"mois {month} invalide"
    form = "YYYY-MM" if month else "YYYY"
    if form not in rules.partial_forms:
        return None, f"date partielle de forme {form} non admise"
    return form, ""


@decides("INS-07")
def check_birth_date(identity: Identity, rules: InsRules | None = None, today: date | None = None) -> list[Finding]:
    """INS-07: birth date present and valid; partial dates only in the forms the INSi returns."""
    if not identity.is_ins:
        return _no_ins("INS-07", identity)
    rules = rules or default_rules()
    value, where = identity.birth_date, identity.locate("birth_date")
    if not value:
        return [failed("INS-07", f"Date de naissance absente pour une {identity.label} portant l'INS.", where)]
    form, problem = _date_form(value, rules)
    if form is None:
        return [failed("INS-07", f"Date de naissance « {value} » invalide : {problem}.", where, value)]
    today = today or date.today()
    if rules.reject_future and value[: len(form)] > today.isoformat()[: len(form)]:
        return [failed("INS-07", f"Date de naissance {value} postérieure à la date du jour.", where, value)]
    kind = "complète" if form == "YYYY-MM-DD" else f"partielle ({form}, forme admise)"
    return [passed("INS-07", f"Date de naissance {value} valide, {kind}.", where, value)]


@decides("INS-08")
def check_sex(identity: Identity) -> list[Finding]:
    """INS-08: an identity carrying the INS has sex M or F."""
    if not identity.is_ins:
        return _no_ins("INS-08", identity)
    where = identity.locate("sex")
    if identity.sex in ("M", "F"):
        return [passed("INS-08", f"Sexe {identity.sex} conforme.", where, identity.sex)]
    if not identity.sex:
        return [failed("INS-08", f"Sexe absent pour une {identity.label} portant l'INS.", where)]
    return [
        failed(
            "INS-08",
            f"Sexe « {identity.sex} » : une identité portant l'INS est de sexe M ou F, jamais indéterminé.",
            where,
            identity.sex,
        )
    ]


@decides("INS-09")
def check_birth_place(identity: Identity, rules: InsRules | None = None) -> list[Finding]:
    """INS-09: birth place is a 5-character COG code (99 + country abroad)."""
    if not identity.is_ins:
        return _no_ins("INS-09", identity)
    rules = rules or default_rules()
    cog, where = identity.birth_place, identity.locate("birth_place")
    if not cog:
        return [
            failed("INS-09", f"Lieu de naissance (code COG) absent pour une {identity.label} portant l'INS.", where)
        ]
    if not rules.cog_pattern.match(cog):
        return [
            failed(
                "INS-09",
                f"Lieu de naissance « {cog} » : un code officiel géographique compte 5 caractères "
                "(chiffres, ou 2A/2B suivis de 3 chiffres ; 99 + code pays à l'étranger).",
                where,
                cog,
            )
        ]
    place = "naissance à l'étranger (99 + code pays)" if cog.startswith("99") else "commune de naissance"
    return [passed("INS-09", f"Code COG {cog} conforme : {place}.", where, cog)]
