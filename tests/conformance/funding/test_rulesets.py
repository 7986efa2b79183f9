"""Rule sets (funding/rulesets.py): every rule cites its source, a broken or unknown rule set is refused."""

import re
import tomllib
from pathlib import Path

import pytest

from dui_conformance.funding import InputError, available, get_ruleset, with_parameters
from dui_conformance.funding.french import RULES
from dui_conformance.funding.rulesets import BUNDLED_DIR, SCHEMA, load_ruleset


def test_every_rule_cites_a_source(ruleset):
    for name, rule in ruleset.data["regles"].items():
        assert rule["citations"], name
    for tranche in ruleset.tranches:
        assert tranche["citations"]
    assert [t["part"] for t in ruleset.tranches] == [40, 40, 20]
    assert ruleset.value("acquisition") == 25_000 and ruleset.value("mise_en_conformite") == 10_000
    assert ruleset.value("equipement") == 20_000 and ruleset.value("plafond_esms") == 30


@pytest.mark.shared
def test_cited_seed_files_exist(ruleset):
    from pathlib import Path

    seeds = Path(__file__).resolve().parents[3] / ".." / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds absent")
    for document in ruleset.data["sources"].values():
        if "fichier" in document:
            assert (seeds / document["fichier"]).is_file(), document


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


# --- Rule sets quote their sources word for word, and what no source fixes is a parameter an ARS fills in. ----------

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"


def _normalised(text: str) -> str:
    """Compare quotes modulo layout: whitespace, Markdown emphasis, straight or curly apostrophes."""
    return re.sub(r"\s+", " ", text.replace("**", "").replace("’", "'")).strip()


def _citations(value, found):
    if isinstance(value, dict):
        if "citation" in value and "source" in value:
            found.append((value["source"], value["citation"]))
        for inner in value.values():
            _citations(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _citations(inner, found)
    return found


@pytest.mark.shared
@pytest.mark.parametrize("path", sorted(BUNDLED_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_quote_is_word_for_word_in_its_source(path):
    """A seed document is quoted from its file; a public page the project keeps only through the reference
    (funding-rules.md) is quoted from there."""
    if not (SHARED / "seeds").is_dir():
        pytest.skip("../shared absent")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    reference = _normalised((SHARED / "reference" / "funding-rules.md").read_text(encoding="utf-8"))
    quotes = _citations(data, [])
    assert quotes
    for source, quote in quotes:
        document = data["sources"][source]
        text = (
            _normalised((SHARED / "seeds" / document["fichier"]).read_text(encoding="utf-8"))
            if "fichier" in document
            else reference
        )
        assert _normalised(quote) in text, (source, quote)


def test_rule_titles_cover_every_rule():
    assert set(SCHEMA["$defs"]["rules"]["properties"]) | {"plafond_esms", "montants"} <= set(RULES)


@pytest.mark.parametrize("ruleset", sorted(available().values(), key=lambda r: r.id), ids=lambda r: r.id)
def test_sources_are_named_by_title_never_by_key(ruleset):
    keys = set(ruleset.data["sources"])
    for rule in ruleset.data["regles"].values():
        cited = ruleset.cite(rule["citations"])
        assert cited and not any(re.search(rf"(?<![\w.-]){re.escape(k)}(?![\w.-])", cited) for k in keys), cited
        assert not re.search(r"\b00[0-4]\b", cited)


def _parameters(tmp_path, text: str) -> Path:
    path = tmp_path / "parametres.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('source = "AAP"\n[valeurs]\nforfait_inconnu = 1\n', "pas un paramètre"),
        ('source = "AAP"\n[valeurs]\nacquisition = 30000\n', "montant fixé par les sources"),
        ('source = "AAP"\n[valeurs]\nsans_dui = 12500.5\n', "un entier attendu"),
        ('source = "AAP"\n[valeurs]\npart_min_champ_dominant = 2\n', "une part entre 0 et 1"),
        ("[valeurs]\nsans_dui = 12500\n", "source"),
        ('source = "AAP"\n[valeurs\n', "illisible"),
    ],
)
def test_a_bad_parameters_file_is_refused(tmp_path, seed_rules, text, expected):
    with pytest.raises(InputError, match=expected):
        with_parameters(seed_rules, _parameters(tmp_path, text))


def test_parameters_fill_in_only_what_no_source_fixes(tmp_path, seed_rules):
    filled = with_parameters(seed_rules, _parameters(tmp_path, 'source = "AAP"\n[valeurs]\nusage_sons = 4000\n'))
    assert filled.value("usage_sons") == 4000 and seed_rules.value("usage_sons") is None
    assert filled.parameters["usage_sons"].status == "renseigne"
    assert filled.value("acquisition") == 25_000


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "jeu.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_regional_override_must_stay_valid(tmp_path):
    text = (BUNDLED_DIR / "amorcage-2021.toml").read_text(encoding="utf-8")
    bad = text.replace('obligatoires = ["DMP", "MSS"]', 'obligatoires = ["FAX"]')
    with pytest.raises(InputError, match="regions.Occitanie"):
        load_ruleset(_write(tmp_path, bad))
    absent = text.replace("[regles.porteur]", "[regles.porteur_du_projet]")
    with pytest.raises(InputError):
        load_ruleset(_write(tmp_path, absent))


def test_a_citation_of_an_unknown_source_is_refused(tmp_path):
    text = (BUNDLED_DIR / "amorcage-2021.toml").read_text(encoding="utf-8")
    with pytest.raises(InputError, match="source « faq-bretagne » absente"):
        load_ruleset(_write(tmp_path, text.replace('{ source = "faq-paca-2021"', '{ source = "faq-bretagne"', 1)))


def test_equipment_needs_the_small_og_rule(tmp_path):
    text = (BUNDLED_DIR / "amorcage-2021.toml").read_text(encoding="utf-8")
    start = text.index("[regles.petit_og]")
    without = text[:start] + text[text.index("[regles.equipement]") :]
    with pytest.raises(InputError, match="petit_og"):
        load_ruleset(_write(tmp_path, without))


def test_every_amount_a_rule_grants_is_fixed_or_a_parameter(tmp_path):
    text = (BUNDLED_DIR / "amorcage-2021.toml").read_text(encoding="utf-8")
    start = text.index("[parametres.usage_sons]")
    without = text[:start] + text[text.index("[parametres.amoa]") :]
    with pytest.raises(InputError, match="montant « usage_sons »"):
        load_ruleset(_write(tmp_path, without))
