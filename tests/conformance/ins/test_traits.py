"""INS-05 to INS-09: the five INS traits."""

from __future__ import annotations

from datetime import date

import pytest

from dui_conformance.ins import (
    character_problems,
    check_birth_date,
    check_birth_name,
    check_birth_place,
    check_given_names,
    check_sex,
    load_rules,
)
from dui_conformance.model import Outcome


@pytest.mark.parametrize("name", ["DUPONT", "LEBRUN-D'ALMEIDA", "DE LA TOUR", "N'DIAYE", "O'NEILL-SMITH"])
def test_names_following_ins_rules(name):
    assert character_problems(name) == []


@pytest.mark.parametrize(
    "name, problem",
    [
        ("Dupont", "minuscules"),
        ("LEBRÜN", "accentuées"),
        ("DUPONT ", "fin"),
        ("-DUPONT", "début"),
        ("DE  LA TOUR", "consécutifs"),
        ("DUPONT-'MARTIN", "consécutifs"),
        ("DUPONT2", "« 2 »"),
        ("DUPONT_MARTIN", "« _ »"),
    ],
)
def test_names_breaking_ins_rules(name, problem):
    assert any(problem in p for p in character_problems(name))


def test_birth_name(ident, outcome):
    assert outcome(check_birth_name(ident())) is Outcome.PASS
    assert outcome(check_birth_name(ident(birth_family="Lebrun"))) is Outcome.FAIL
    assert outcome(check_birth_name(ident(birth_family=None))) is Outcome.FAIL
    assert outcome(check_birth_name(ident(matricule=None))) is Outcome.OMIT


@pytest.mark.parametrize(
    "given_list, first, expected",
    [
        ("JEAN-BAPTISTE LOUIS", "JEAN-BAPTISTE", Outcome.PASS),
        ("MARIE-LOUISE", "MARIE-LOUISE", Outcome.PASS),
        ("JEAN-BAPTISTE LOUIS", "JEAN", Outcome.FAIL),  # compound first name is one name
        ("JEAN-BAPTISTE LOUIS", "LOUIS", Outcome.FAIL),
        ("ANNE SOPHIE MARIE", "ANNE SOPHIE", Outcome.PASS),  # FR Core: "Anne Sophie" allowed
        ("ANNE SOPHIE", "ANNE SOPH", Outcome.FAIL),
        (None, "JEAN", Outcome.FAIL),
        ("JEAN", None, Outcome.FAIL),
        ("Jean Louis", "Jean", Outcome.FAIL),
    ],
)
def test_given_names(ident, outcome, given_list, first, expected):
    findings = check_given_names(ident(given_list=given_list, first_given=first))
    assert outcome(findings) is expected and {f.requirement for f in findings} == {"INS-06"}


def test_given_names_first_word_mode(ident, outcome, tmp_path):
    rules_file = tmp_path / "r.toml"
    rules_file.write_text('[given_names]\nfirst_given_match = "first-word"\n')
    rules = load_rules(rules_file)
    assert outcome(check_given_names(ident(given_list="ANNE SOPHIE", first_given="ANNE SOPHIE"), rules)) is Outcome.FAIL
    assert outcome(check_given_names(ident(given_list="ANNE SOPHIE", first_given="ANNE"), rules)) is Outcome.PASS


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1942-07-14", Outcome.PASS),
        ("1942-07", Outcome.PASS),
        ("1942", Outcome.PASS),
        ("1942-07-00", Outcome.PASS),
        ("1942-00-00", Outcome.PASS),
        ("1942-02-31", Outcome.FAIL),
        ("1942-13", Outcome.FAIL),
        ("1942-00-14", Outcome.FAIL),
        ("14/07/1942", Outcome.FAIL),
        ("2999-01-01", Outcome.FAIL),
        (None, Outcome.FAIL),
    ],
)
def test_birth_date(ident, outcome, value, expected):
    assert outcome(check_birth_date(ident(birth_date=value), today=date(2025, 3, 12))) is expected


def test_partial_dates_can_be_refused(ident, outcome, tmp_path):
    rules_file = tmp_path / "r.toml"
    rules_file.write_text("[birth_date]\npartial_forms = []\nzero_filled_is_partial = false\n")
    rules = load_rules(rules_file)
    assert outcome(check_birth_date(ident(birth_date="1942-07"), rules)) is Outcome.FAIL
    assert outcome(check_birth_date(ident(birth_date="1942-07-00"), rules)) is Outcome.FAIL
    assert outcome(check_birth_date(ident(birth_date="1942-07-14"), rules)) is Outcome.PASS


@pytest.mark.parametrize(
    "sex, expected",
    [
        ("M", Outcome.PASS),
        ("F", Outcome.PASS),
        ("UN", Outcome.FAIL),
        ("U", Outcome.FAIL),
        ("unknown", Outcome.FAIL),
        (None, Outcome.FAIL),
    ],
)
def test_sex(ident, outcome, sex, expected):
    assert outcome(check_sex(ident(sex=sex))) is expected


def test_sex_without_ins_is_omitted(ident, outcome):
    assert outcome(check_sex(ident(matricule=None, sex="U"))) is Outcome.OMIT


@pytest.mark.parametrize(
    "cog, expected",
    [
        ("21231", Outcome.PASS),
        ("2A004", Outcome.PASS),
        ("2B033", Outcome.PASS),
        ("99341", Outcome.PASS),
        ("97105", Outcome.PASS),
        ("2123", Outcome.FAIL),
        ("2C004", Outcome.FAIL),
        ("212310", Outcome.FAIL),
        ("DIJON", Outcome.FAIL),
        (None, Outcome.FAIL),
    ],
)
def test_birth_place(ident, outcome, cog, expected):
    assert outcome(check_birth_place(ident(birth_place=cog))) is expected
