"""French typography for an ARS reviewer: ``50 %`` with a narrow no-break space, dates written out."""

import pytest

from dui_conformance.funding.french import date_fr, euros, pct


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.5, "50\u202f%"), (0.75, "75\u202f%"), (2 / 3, "66,7\u202f%"), (1, "100\u202f%"), (0, "0\u202f%")],
)
def test_percent(share, text):
    assert pct(share) == text


@pytest.mark.parametrize(
    ("iso", "text"),
    [("2021-03-01", "1er mars 2021"), ("2021-06-30", "30 juin 2021"), ("2023-12-31", "31 décembre 2023")],
)
def test_dates(iso, text):
    assert date_fr(iso) == text


def test_euros():
    assert euros(1_566_149) == "1\u202f566\u202f149 €"
    assert euros(0) == "0 €"
    assert euros(None) == "montant non fixé"
