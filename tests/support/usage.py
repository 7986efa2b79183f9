"""A usage export as a DUI writes it: its header (the fixture ``csv_export`` in tests/conftest.py writes it) and two
rows of one ESMS, for the usage tests, unit and CLI."""

HEADER = (
    "finess;debut;fin;personnes_accompagnees;personnes_ins_qualifiee;dossiers_actifs;dmp:DLU;dmp:PPA;"
    "mss_envoyes;mss_recus;connexions_psc"
)
ROW_A1 = "590000011;2022-01-01;2022-03-31;50;20;45;3;1;10;4;30"
ROW_A2 = "590000011;2022-04-01;2022-06-30;52;40;50;5;2;12;6;31"
