"""Values shown in finding messages (wording.py): never None, never an empty « »."""

from dui_conformance.wording import found, listed


def test_found():
    assert found("fr-FR") == "« fr-FR »"
    assert found(None) == "rien (attribut absent)"
    assert found("  ") == "une valeur vide"


def test_listed():
    assert listed({"ZZ", "AA"}) == "AA, ZZ"
