"""INS-01 to INS-04: matricule structure and key, NIR vs traits, OID, environment."""

from __future__ import annotations

import dataclasses

import pytest

from dui_conformance.ins import (
    check_environment,
    check_matricule,
    check_nir_month,
    check_nir_traits,
    check_oid,
    expected_key,
    load_rules,
)
from dui_conformance.model import Location, Outcome

from .conftest import BASE


def test_key_of_the_ans_test_patient():
    # PAT-TROIS Dominique, INS-NIR de test used in every ANS example.
    assert expected_key("279035121518989") == 89


@pytest.mark.parametrize("dept, subst", [("2A", "19"), ("2B", "18")])
def test_corsica_key_uses_substitution(dept, subst):
    body = f"16703{dept}004112"
    assert expected_key(body + "00") == 97 - int(body.replace(dept, subst, 1)) % 97


def test_corsica_substitution_is_configurable(tmp_path):
    rules_file = tmp_path / "r.toml"
    rules_file.write_text('[matricule]\ncorsica_substitution = { "2A" = "20", "2B" = "20" }\n')
    rules = load_rules(rules_file)
    assert expected_key("1670320004112" + "00") == expected_key("16703" + "2A" + "004112" + "00", rules)


def test_our_key_agrees_with_python_stdnum_on_generated_numbers():
    """The configurable key (rules.toml) against stdnum.fr.nir, Corsica included, on 2000 generated bodies."""
    import random

    from stdnum.fr import nir

    rng = random.Random(6)
    for _ in range(2000):
        dept = rng.choice(["2A", "2B", "75", "99", "01", "97"])
        body = f"{rng.choice('12')}{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{dept}{rng.randint(0, 999999):06d}"
        assert f"{expected_key(body + '00'):02d}" == nir.calc_check_digits(body + "00"), body


@pytest.mark.parametrize(
    "month, expected",
    [("03", Outcome.PASS), ("20", Outcome.FAIL), ("35", Outcome.FAIL), ("62", Outcome.FAIL), ("13", Outcome.OMIT)],
)
def test_nir_month_outside_calendar_is_a_warning(ident, keyed, outcome, month, expected):
    findings = check_nir_month(ident(matricule=keyed(f"142{month}21231045")))
    assert outcome(findings) is expected
    if expected is Outcome.FAIL:
        assert "non bloquant" in findings[0].message and "§7.4" in findings[0].message
    # INS-02 does not fail a documented fictitious month
    if month in ("20", "35", "62"):
        assert outcome(check_nir_traits(ident(matricule=keyed(f"142{month}21231045")))) is Outcome.PASS


def test_matricule_valid(ident, outcome):
    assert outcome(check_matricule(ident())) is Outcome.PASS


def test_matricule_corsica_valid(ident, outcome, keyed):
    assert outcome(check_matricule(ident(matricule=keyed("267032A004112")))) is Outcome.PASS


@pytest.mark.parametrize("bad", ["14207212310456", "1420721231045X5", "1420721231045 65", "142072a23104565"])
def test_matricule_bad_structure(ident, bad):
    findings = check_matricule(ident(matricule=bad))
    assert [(f.requirement, f.outcome) for f in findings] == [("INS-01", Outcome.FAIL)]


def test_matricule_wrong_key(ident, keyed):
    good = keyed("1420721231045")
    bad = good[:13] + f"{int(good[13:]) % 97 + 1:02d}"
    finding = check_matricule(ident(matricule=bad))[0]
    assert finding.outcome is Outcome.FAIL and good[13:] in finding.message


def test_no_ins_is_omitted(ident):
    for check in (check_matricule, check_nir_traits, check_oid, check_environment):
        assert [f.outcome for f in check(ident(matricule=None, oid=None))] == [Outcome.OMIT]


def test_nir_traits_consistent(ident, outcome):
    assert outcome(check_nir_traits(ident())) is Outcome.PASS


@pytest.mark.parametrize(
    "changes, located_at",
    [
        ({"sex": "F"}, "sex"),
        ({"birth_date": "1943-07-14"}, "birth_date"),
        ({"birth_date": "1942-08-14"}, "birth_date"),
        ({"birth_place": "21232"}, "birth_place"),
    ],
)
def test_nir_traits_mismatch(ident, changes, located_at):
    identity = ident(**changes, where={located_at: Location(xpath=located_at)})
    findings = check_nir_traits(identity)
    assert {f.outcome for f in findings} == {Outcome.FAIL}
    assert findings[0].location.xpath == located_at


def test_nir_abroad(ident, outcome, keyed):
    born_in_senegal = dict(matricule=keyed("2851199341123"), sex="F", birth_date="1985-11-02")
    assert outcome(check_nir_traits(ident(**born_in_senegal, birth_place="99341"))) is Outcome.PASS
    assert outcome(check_nir_traits(ident(**born_in_senegal, birth_place="99350"))) is Outcome.FAIL


def test_nir_corsica_before_1976_has_department_20(ident, outcome, keyed):
    identity = ident(matricule=keyed("1520320004112"), birth_date="1952-03-01", birth_place="2A004")
    assert outcome(check_nir_traits(identity)) is Outcome.PASS


def test_nir_fictitious_month_is_not_compared(ident, outcome, keyed):
    identity = ident(matricule=keyed("1423121231045"), birth_date="1942")
    findings = check_nir_traits(identity)
    assert outcome(findings) is Outcome.PASS and "mois 31 fictif" in findings[0].message


def test_nir_impossible_month_fails(ident, outcome, keyed):
    assert outcome(check_nir_traits(ident(matricule=keyed("1421521231045")))) is Outcome.FAIL


def test_nir_partial_date_compares_year_only(ident, outcome):
    assert outcome(check_nir_traits(ident(birth_date="1942"))) is Outcome.PASS
    assert outcome(check_nir_traits(ident(birth_date="1941"))) is Outcome.FAIL


def test_nir_birthplace_department_mode(ident, outcome, tmp_path):
    rules_file = tmp_path / "r.toml"
    rules_file.write_text('[nir_vs_traits]\nbirthplace = "departement"\n')
    rules = load_rules(rules_file)
    assert outcome(check_nir_traits(ident(birth_place="21999"), rules)) is Outcome.PASS
    assert outcome(check_nir_traits(ident(birth_place="25999"), rules)) is Outcome.FAIL


def test_nir_malformed_is_skipped(ident, outcome):
    assert outcome(check_nir_traits(ident(matricule="123"))) is Outcome.SKIP


def test_nia_sex_digits(ident, outcome, keyed):
    nia = ident(matricule=keyed("7420721231045"), oid="1.2.250.1.213.1.4.9")
    assert outcome(check_nir_traits(nia)) is Outcome.PASS
    assert outcome(check_oid(nia)) is Outcome.PASS
    # The same number under an INS-NIR OID: 7 is not a NIR sex digit.
    assert outcome(check_oid(ident(matricule=nia.matricule))) is Outcome.FAIL


@pytest.mark.parametrize(
    "oid, expected",
    [
        ("1.2.250.1.213.1.4.8", Outcome.PASS),
        ("1.2.250.1.213.1.4.9", Outcome.PASS),
        ("1.2.250.1.213.1.4.10", Outcome.PASS),
        ("1.2.250.1.213.1.4.11", Outcome.PASS),
        ("1.2.250.1.213.1.4.2", Outcome.FAIL),
        (None, Outcome.FAIL),
    ],
)
def test_oid(ident, outcome, oid, expected):
    assert outcome(check_oid(ident(oid=oid))) is expected


@pytest.mark.parametrize(
    "oid, environment, expected",
    [
        ("1.2.250.1.213.1.4.10", "test", Outcome.PASS),
        ("1.2.250.1.213.1.4.11", "test", Outcome.PASS),
        ("1.2.250.1.213.1.4.8", "test", Outcome.FAIL),
        ("1.2.250.1.213.1.4.9", "test", Outcome.FAIL),
        ("1.2.250.1.213.1.4.8", "production", Outcome.PASS),
        ("1.2.250.1.213.1.4.10", "production", Outcome.FAIL),
        ("1.2.250.1.213.1.4.11", "production", Outcome.FAIL),
        ("1.2.250.1.213.1.4.2", "test", Outcome.OMIT),
    ],
)
def test_environment(ident, outcome, oid, environment, expected):
    findings = check_environment(ident(oid=oid), environment)
    assert outcome(findings) is expected and {f.requirement for f in findings} == {"INS-04"}


def test_environment_rejects_unknown_value(ident):
    with pytest.raises(ValueError):
        check_environment(ident(), "prod")


def test_a_run_of_production_ins_in_test_suggests_the_production_environment():
    from dui_conformance.ins import suggest_environment
    from dui_conformance.model import Outcome, failed, omitted, passed

    production = failed(
        "INS-04",
        "INS de production (INS-NIR, OID 1.2.250.1.213.1.4.8) dans un environnement de test.",
        evidence="1.2.250.1.213.1.4.8",
    )
    no_ins = omitted("INS-04", "Aucun INS.")
    hinted = suggest_environment([production, no_ins], "test")
    assert "--environnement production" in hinted[0].message and hinted[0].message.startswith(production.message)
    assert hinted[1] == no_ins
    test_ins = passed("INS-04", "OID de test admis.", evidence="1.2.250.1.213.1.4.10")
    assert suggest_environment([production, test_ins], "test") == [production, test_ins]  # mixed run: no advice
    assert suggest_environment([production], "production") == [production]
    assert all(f.outcome is Outcome.FAIL for f in hinted[:1])


def test_empty_matricule_message_says_empty():
    """An INS identifier without value fails INS-01 with a readable message, never an empty « »."""
    [finding] = check_matricule(dataclasses.replace(BASE, matricule=""))
    assert finding.outcome is Outcome.FAIL and "«  »" not in finding.message and "une valeur vide" in finding.message
