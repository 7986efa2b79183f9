"""Dask distributed: a LocalCluster of 2 workers on loopback gives the report of a local run."""

import pytest

from dui_conformance.runner import Execution, execute

from .conftest import comparable, fixture_settings

distributed = pytest.importorskip("distributed", reason="extra « distribue » absent")


def test_joining_a_cluster_gives_the_local_report(local_run):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        remote = execute(Execution(fixture_settings(), executor=f"dask://{address}"))
    assert comparable(remote) == comparable(local_run)
