"""Executors (execution/executors.py): batches keep order, one bad document never stops a run, a shipped batch
carries its files; the default number of jobs. That every executor gives the same report: tests/e2e."""

import dataclasses
import shutil
import threading

import pytest

from dui_conformance.execution import ExecutorError, executors
from dui_conformance.execution.executors import ProcessPool, batches_of, make_executor
from dui_conformance.runner import Execution, execute

from ...support.runs import fixture_settings


def test_batches_keep_order_and_cover_every_document():
    docs = [(str(i), str(i)) for i in range(103)]
    batches = batches_of(docs, workers=2)
    assert [d for b in batches for d in b] == docs and len(batches) > 2


def test_a_document_that_breaks_the_harness_is_its_own_error(monkeypatch, local_run):
    broken = sorted({s.subject for s in local_run.scenarios})[3]
    real = executors.evaluate_document

    def evaluate(path, doc_id, settings):
        if path == broken:
            raise MemoryError("simulée")
        return real(path, doc_id, settings)

    monkeypatch.setattr(executors, "evaluate_document", evaluate)
    run = execute(Execution(fixture_settings(), jobs=1))
    errors = [s for s in run.scenarios if s.error]
    assert [s.subject for s in errors] == [broken] and "MemoryError" in errors[0].error
    others = [s for s in run.scenarios if s.subject != broken]
    assert len(others) == sum(s.subject != broken for s in local_run.scenarios)


def test_unknown_executor_is_a_usage_error():
    with pytest.raises(ExecutorError):
        make_executor("ray://x", 1, 10)


def test_default_jobs_with_the_official_referential(monkeypatch):
    """With the referential a worker pays from a few dozen documents, but needs its own memory."""
    monkeypatch.setattr(executors.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(executors, "_available_memory", lambda: 64 << 30)
    assert executors.default_jobs(50) == 1 and executors.default_jobs(500) == 8
    assert executors.default_jobs(10, referential=True) == 1
    assert executors.default_jobs(50, referential=True) == 8
    monkeypatch.setattr(executors, "_available_memory", lambda: 2 << 30)
    assert executors.default_jobs(50, referential=True) == 2
    monkeypatch.setattr(executors, "_available_memory", lambda: 512 << 20)
    assert executors.default_jobs(50, referential=True) == 1


def test_a_shipped_batch_is_evaluated_without_its_files_on_disk(tmp_path):
    """Every fixture kind (CDA, XDM, ITI-41, messages and the documents they carry, hostile files) evaluated
    from the bytes its batch carried, its folder gone, gives the findings read from the disk."""
    from dui_conformance.execution.executors import evaluate_batch, evaluate_shipped, ship
    from dui_conformance.execution.plan import document_ids, offline_plan
    from dui_conformance.fixtures import iter_manifest
    from dui_conformance.inputs import run_documents

    offline_plan()  # registers every input kind (messages and their members among them)

    exports = tmp_path / "exports"
    for entry in iter_manifest():
        target = exports / entry.path.parent.name / entry.path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry.path, target)
    settings = dataclasses.replace(fixture_settings(), inputs=[str(exports)])
    paths = sorted(path for path, _ in run_documents(settings.inputs, settings.max_bytes))
    ids = document_ids(paths)
    batch = [(p, ids[p]) for p in paths]
    on_disk = [r.to_dict() for r in evaluate_batch(batch, settings)]
    files = ship(batch, settings.max_bytes)
    assert len(files) == len(list(exports.rglob("*.*"))) and len(batch) > len(files)  # members travel in their file
    shutil.rmtree(exports)
    shipped = [r.to_dict() for r in evaluate_shipped(batch, settings, files)]
    for result in on_disk + shipped:
        result.pop("duration")
        for step in result["steps"]:
            step.pop("duration")
    assert shipped == on_disk
    assert not any("introuvable" in str(r.get("error")) or "No such file" in str(r.get("error")) for r in shipped)


def test_an_interruption_inside_submit_still_closes_the_pool():
    """SIGTERM or Ctrl-C between the pool's manager thread being made and started left a thread that cannot be
    joined: the interrupted run ended on a RuntimeError traceback instead of its partial report."""
    pool = ProcessPool(1)
    pool._pool._executor_manager_thread = threading.Thread(target=lambda: None)  # made, never started
    pool.close(stop=True)
    other = ProcessPool(1)
    other._pool._executor_manager_thread = threading.Thread(target=lambda: None)
    with pytest.raises(RuntimeError):  # outside an interruption it is a real error
        other.close()
