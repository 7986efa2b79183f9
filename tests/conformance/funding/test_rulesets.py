"""Rule sets (funding/rulesets.py): every rule cites its source, a broken or unknown rule set is refused."""

import pytest

from dui_conformance.funding import get_ruleset
from dui_conformance.funding.rulesets import load_ruleset


def test_every_rule_cites_a_source(ruleset):
    for name, rule in ruleset.data["regles"].items():
        assert rule["source"].strip(), name
    for tranche in ruleset.tranches:
        assert tranche["source"].strip()
    assert [t["part"] for t in ruleset.tranches] == [40, 40, 20]
    assert ruleset.amounts["acquisition"] == 25_000 and ruleset.amounts["mise_en_conformite"] == 10_000
    assert ruleset.amounts["equipement"] == 20_000 and ruleset.amounts["plafond_esms"] == 30


@pytest.mark.shared
def test_cited_seed_files_exist(ruleset):
    from pathlib import Path

    seeds = Path(__file__).resolve().parents[3] / ".." / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds absent")
    for key, label in ruleset.data["sources"].items():
        if key != "funding-rules":
            assert (seeds / label.split(" ")[0]).is_file(), label


def test_invalid_rule_set_is_refused_with_its_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "x"\nversion = "1"\ntitre = "t"\n[sources]\n[regles.finess]\nmotif = "x"\ncle = "md5"\n'
        '[montants]\nsource = "abc"\n[conformite]\nsource = "abc"\nservices = []\n',
        encoding="utf-8",
    )
    from dui_conformance.funding import InputError

    with pytest.raises(InputError) as caught:
        load_ruleset(bad)
    text = " ".join(caught.value.errors)
    assert "tranches" in text and "md5" in text and "regles.finess" in text


def test_unknown_campaign():
    from dui_conformance.funding import InputError

    with pytest.raises(InputError, match="amorcage-2021"):
        get_ruleset("campagne-inconnue")
