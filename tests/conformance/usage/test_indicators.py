"""Usage indicators (usage/indicators.py): stocks from the latest period, flows summed."""

import datetime

from dui_conformance.usage import PeriodCounts, compute


def test_indicators_take_stocks_from_the_latest_period_and_sum_flows():
    periods = [
        PeriodCounts(
            "590000011",
            datetime.date(2022, 4, 1),
            datetime.date(2022, 6, 30),
            52,
            40,
            50,
            {"DLU": 5, "PPA": 2},
            12,
            6,
            31,
        ),
        PeriodCounts(
            "590000011", datetime.date(2022, 1, 1), datetime.date(2022, 3, 31), 50, 20, 45, {"DLU": 3}, 10, 4, 30
        ),
    ]
    indicators = compute(periods).to_dict()
    assert indicators["personnes_accompagnees"] == 52 and indicators["part_ins_qualifiee"] == 40 / 52
    assert indicators["part_dossiers_actifs"] == 50 / 52
    assert indicators["documents_dmp_par_type"] == {"DLU": 8, "PPA": 2} and indicators["documents_dmp"] == 10
    assert (indicators["mss_envoyes"], indicators["mss_recus"], indicators["connexions_psc"]) == (22, 10, 61)
    assert (indicators["debut"], indicators["fin"]) == ("2022-01-01", "2022-06-30")
