"""Dask distributed: a LocalCluster of 2 workers on loopback gives the report of a local run, even when a
worker dies."""

import dataclasses

import pytest

from dui_conformance.runner import Execution, execute

from ..support.runs import comparable, fixture_settings

distributed = pytest.importorskip("distributed", reason="extra « distribue » absent")


def test_joining_a_cluster_gives_the_local_report(local_run):
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        remote = execute(Execution(fixture_settings(), executor=f"dask://{address}"))
    assert comparable(remote) == comparable(local_run)


DYING_TASK = """
import os
from pathlib import Path

from dui_conformance.execution.executors import evaluate_shipped


def dies_once(batch, settings, files, marker):
    # Kills its worker process the first time it runs (the nanny then restarts the worker).
    if not Path(marker).exists():
        Path(marker).write_text("mort", encoding="utf-8")
        os._exit(1)
    return evaluate_shipped(batch, settings, files)
"""


def test_a_batch_whose_worker_dies_is_run_again(tmp_path, monkeypatch, local_run):
    import functools
    import importlib
    import sys

    from dui_conformance.execution.executors import DaskCluster, evaluate_offline

    (tmp_path / "dying_task.py").write_text(DYING_TASK, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))  # workers import the task by name, as they would a real one
    monkeypatch.setenv("PYTHONPATH", str(tmp_path) + ":" + __import__("os").environ.get("PYTHONPATH", ""))
    dying = importlib.import_module("dying_task")
    cluster = DaskCluster(None, workers=2)
    cluster.task = functools.partial(dying.dies_once, marker=str(tmp_path / "marker"))
    results = []
    try:
        evaluate_offline(fixture_settings(), cluster, results)
    finally:
        cluster.close()
        sys.modules.pop("dying_task", None)
    assert (tmp_path / "marker").exists()
    run = dataclasses.replace(local_run, scenarios=results)
    assert comparable(run)["scenarios"] == comparable(local_run)["scenarios"]
