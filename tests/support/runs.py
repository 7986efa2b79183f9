"""The bundled fixtures (valid and defective) as one offline run: its settings, and what two runs of them must
share (the fixture ``local_run`` in tests/conftest.py is that run, evaluated in this process)."""

from dui_conformance.fixtures import iter_manifest
from dui_conformance.settings import OFFLINE, RunSettings


def fixture_settings(**extra) -> RunSettings:
    return RunSettings(mode="check", inputs=[str(e.path) for e in iter_manifest()], phases=[OFFLINE], **extra)


def comparable(run) -> dict:
    """A report without what differs between two runs of the same documents (ids, times)."""
    data = run.to_dict()
    for key in ("run_id", "started", "finished"):
        data.pop(key)
    for scenario in data["scenarios"]:
        scenario.pop("duration")
        for step in scenario["steps"]:
            step.pop("duration")
    return data
