"""Configurable INS rules: packaged defaults, partial override, clear errors."""

from __future__ import annotations

import pytest

from dui_conformance.ins import InsContext, RulesError, load_rules


def test_defaults():
    rules = load_rules()
    assert rules.corsica_substitution == {"2A": "19", "2B": "18"}
    assert rules.nir_sex_digits == {"1": "M", "2": "F"}
    assert rules.is_month_exception(20) and rules.is_month_exception(35) and not rules.is_month_exception(13)
    assert InsContext().environment == "test"


def test_override_keeps_other_keys(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('[nir_vs_traits]\nbirthplace = "aucune"\n')
    rules = load_rules(path)
    assert rules.birthplace_comparison == "aucune" and rules.month_exceptions == load_rules().month_exceptions


@pytest.mark.parametrize(
    "text", ['[nir_vs_traits]\nbirthplace = "ville"\n', "[birthplace]\ncog_pattern = '('\n", "not toml ["]
)
def test_invalid_rules_are_reported(tmp_path, text):
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(RulesError):
        load_rules(path)
