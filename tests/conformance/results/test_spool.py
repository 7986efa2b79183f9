"""The spool (results/spool.py): a scenario's lines are the JSON lines of the scenario and of its findings, whatever
their texts and numbers."""

from .conftest import _odd_scenarios


def test_scenario_lines_are_the_json_lines_of_the_scenario_and_of_its_findings(local_run):
    from dui_conformance.results.spool import json_line, scenario_lines

    for s in [*local_run.scenarios, *_odd_scenarios()]:
        assert scenario_lines(s) == (json_line(s.to_dict()), [json_line(f.to_dict()) for f in s.findings])
