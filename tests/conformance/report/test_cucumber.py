import json

from dui_conformance.report import render_cucumber


def _elements(run):
    return {e["name"]: e for f in json.loads(render_cucumber(run)) for e in f["elements"]}


def test_features_and_scenarios(run):
    features = json.loads(render_cucumber(run))
    assert [f["name"] for f in features] == ["Lisibilité des documents", "Identité INS", "Appel du téléservice INSi"]
    assert [f["uri"] for f in features][0] == "features/gen/lecture.feature"
    for feature in features:
        assert {"uri", "id", "keyword", "name", "elements"} <= set(feature)
        for element in feature["elements"]:
            assert element["type"] == "scenario"
            for step in element["steps"]:
                assert step["keyword"].endswith(" ")
                assert isinstance(step["result"]["duration"], int)
                assert step["result"]["status"] in {"passed", "failed", "skipped", "undefined"}


def test_statuses_tags_and_errors(run, hostile):
    elements = _elements(run)
    failing = elements["Matricule INS valide — fixtures/ins/mauvais.xml"]
    assert [s["result"]["status"] for s in failing["steps"]] == ["passed", "failed"]
    assert hostile in failing["steps"][1]["result"]["error_message"]
    assert failing["steps"][1]["result"]["duration"] == 30_000_000
    assert "@INS-01" in [t["name"] for t in failing["tags"]]
    assert [t["name"] for t in failing["tags"]].count("@INS-01") == 1  # tag and requirement deduplicated
    assert elements["Traits d'identité — fixtures/ins/mauvais.xml"]["steps"][0]["result"]["status"] == "skipped"
    assert elements["Pas de DOCTYPE — fixtures/gen/message.hl7"]["steps"][0]["result"]["status"] == "skipped"
    errored = elements["Appel INSi — session directe"]
    assert errored["steps"][0]["result"]["status"] == "failed"
    assert "Délai dépassé" in errored["steps"][0]["result"]["error_message"]
    assert "after" not in errored  # already reported by its step


def test_scenario_error_without_failing_step_becomes_failed_hook(failing_run):
    failing_run.scenarios[0].error = "Exception dans le harnais"
    element = _elements(failing_run)["Document lisible — fixtures/gen/valide.xml"]
    assert element["after"][0]["result"] == {
        "status": "failed",
        "duration": 0,
        "error_message": "Exception dans le harnais",
    }
