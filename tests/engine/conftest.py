"""Shared by the engine tests: the bundled fixtures (valid and defective) as one offline run."""

import pytest

from dui_conformance.fixtures import iter_manifest
from dui_conformance.runner import Execution, execute
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


@pytest.fixture(scope="session")
def local_run():
    """The fixtures evaluated in this process (the reference for the other executors)."""
    return execute(Execution(fixture_settings(), jobs=1))
