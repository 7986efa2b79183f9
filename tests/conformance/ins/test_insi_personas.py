"""The persona file is coherent (keys, NIR vs traits, test OID)."""

from __future__ import annotations

import pytest

from dui_conformance.ins.insi_personas import TraitsQuery, load_personas, match_traits

TEST_OID = "1.2.250.1.213.1.4.10"
PERSONAS = load_personas()
RECORDS = [(p, r) for p in PERSONAS for r in ((p.ins,) if p.ins else ()) + p.history]


def test_persona_file_covers_every_scenario():
    ids = {p.id for p in PERSONAS}
    assert {
        "unique",
        "homonyme-louis",
        "homonyme-henri",
        "historique",
        "nom-compose",
        "ne-etranger",
        "date-partielle",
        "faute",
        "vitale",
    } <= ids
    assert any(p.history for p in PERSONAS) and any(p.fault for p in PERSONAS)
    assert any(p.vitale_rank for p in PERSONAS) and any(len(p.first_names) > 2 for p in PERSONAS)


@pytest.mark.parametrize("persona, record", RECORDS, ids=[f"{p.id}-{r.nir}" for p, r in RECORDS])
def test_matricules_are_coherent(persona, record):
    nir = record.nir
    assert len(nir) == 13 and nir.isdigit() and record.oid == TEST_OID
    assert record.key == f"{97 - int(nir) % 97:02d}"
    year, month, day = persona.birth_date.split("-")
    assert nir[0] == {"M": "1", "F": "2"}[persona.sex]
    assert (nir[1:3], nir[3:5], nir[5:10]) == (year[2:], month, persona.birth_place)


def test_matching_rules():
    query = TraitsQuery("DOUBLON", (), "M", "1947-11-03", None)
    assert {p.id for p in match_traits(PERSONAS, query)} == {"homonyme-louis", "homonyme-henri"}
    full_list = TraitsQuery("DOUBLON", ("LOUIS MARCEL",), "M", "1947-11-03", None)
    assert [p.id for p in match_traits(PERSONAS, full_list)] == ["homonyme-louis"]
    assert match_traits(PERSONAS, TraitsQuery(None, (), "M", "1947-11-03", None)) == []


@pytest.mark.parametrize(
    "content, message",
    [
        ('[[persona]]\nid = "x"\n', "incomplète"),
        (
            '[[persona]]\nid = "x"\nbirth_name = "X"\nfirst_names = ["A"]\nsex = "M"\nbirth_date = "2000-01-01"\n'
            'birth_place = "75056"\n',
            "soit « ins », soit « fault »",
        ),
    ],
)
def test_bad_persona_file_is_refused(tmp_path, content, message):
    path = tmp_path / "personas.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_personas(path)
