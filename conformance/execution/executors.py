"""Where the per-document evaluation runs: this process, a pool of local processes, or Dask.

Documents travel in batches (a batch pays one round trip and one plan load per worker);
results come back in submission order, so a report is the same whichever executor made it.
"""

from __future__ import annotations

import math
import os
import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Protocol

from ..inputs import MEMBER_SEPARATOR, read_file, run_documents, shipped
from ..model import ScenarioResult
from ..settings import RunSettings
from ..xds.mtom import MAX_BODY_BYTES
from ..xds.xdm import MAX_ARCHIVE_BYTES
from . import ExecutorError
from .plan import document_ids, evaluate_document, offline_plan, unevaluable

Batch = list[tuple[str, str]]  # (document path, document id in nodeids)
DASK_PREFIX = "dask://"
DASK_LOCAL = "dask-local"
# Measured with benchmarks/bench_check.py: below this a second process costs more than it saves.
PARALLEL_FROM = 200
# With the official referential every worker loads the compiled schematrons (~3 s, ~450 MB, all workers
# at once) and then spends ~65 ms per document (BENCHMARKS.md « Référentiel officiel »): on free cores a
# second worker saves wall time from a few dozen documents; no more start than the free memory holds.
PARALLEL_FROM_REFERENTIAL = 24
REFERENTIAL_WORKER_BYTES = 3 << 28  # 768 MiB
IN_FLIGHT = 4  # batches submitted ahead per worker


def evaluate_batch(batch: Batch, settings: RunSettings) -> list[ScenarioResult]:
    """Evaluate a batch; a document that breaks the harness yields its own error, never stops the batch."""
    results: list[ScenarioResult] = []
    for path, doc_id in batch:
        try:
            results += evaluate_document(path, doc_id, settings)
        except Exception as exc:  # noqa: BLE001 - reported as this document's harness error
            results.append(unevaluable(path, exc))
    return results


class Executor(Protocol):
    workers: int

    def run(self, batches: list[Batch], settings: RunSettings) -> Iterator[list[ScenarioResult]]:
        """Results of each batch, in the order of ``batches``."""

    def close(self, stop: bool = False) -> None:
        """Release the workers; ``stop``: the run was interrupted, end them without waiting for their batch."""


def batches_of(documents: Batch, workers: int, largest: int = 64) -> list[Batch]:
    """Several batches per worker (so a slow batch does not idle the others), none too large."""
    if not documents:
        return []
    size = max(1, min(largest, math.ceil(len(documents) / (workers * 4))))
    return [documents[i : i + size] for i in range(0, len(documents), size)]


@dataclass
class InProcess:
    workers: int = 1

    def run(self, batches: list[Batch], settings: RunSettings) -> Iterator[list[ScenarioResult]]:
        for batch in batches:
            yield evaluate_batch(batch, settings)

    def close(self, stop: bool = False) -> None:
        pass


def _worker_init() -> None:
    """Ctrl-C and SIGTERM (``timeout`` signals the whole process group) are the controller's to handle: it
    writes the partial report and ends the workers (:meth:`ProcessPool.close`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    offline_plan()


def in_order(submit, batches: list[Batch], ahead: int) -> Iterator[list[ScenarioResult]]:
    """The results of ``submit(batch)`` futures in the order of ``batches``, at most ``ahead`` in flight: a
    result is dropped as soon as it is handed on, so the controller never holds more than a few batches,
    however large the export; what is still pending is cancelled if the caller stops early (Ctrl-C)."""
    pending: deque = deque()
    rest = iter(batches)
    pending.extend(submit(batch) for batch in islice(rest, ahead))
    try:
        while pending:
            future = pending.popleft()
            pending.extend(submit(batch) for batch in islice(rest, 1))
            yield future.result()
    finally:
        for future in pending:
            future.cancel()


def ship(batch: Batch, limit: int) -> dict[str, bytes]:
    """The files of a batch, each cut at ``limit`` plus one byte, for a worker that does not see this disk
    (a document inside a container travels inside its file). A file this machine cannot read is not sent:
    the worker meets the error reading it, as a local run would."""
    files: dict[str, bytes] = {}
    for path, _ in batch:
        outer = path if os.path.isfile(path) else path.partition(MEMBER_SEPARATOR)[0]
        if outer not in files:
            try:
                files[outer] = read_file(outer, limit)
            except OSError:
                continue
    return files


def evaluate_shipped(batch: Batch, settings: RunSettings, files: dict[str, bytes]) -> list[ScenarioResult]:
    """A batch on a Dask worker, reading the files that came with it (none: from the shared disk)."""
    with shipped(files):
        return evaluate_batch(batch, settings)


class ProcessPool:
    task = staticmethod(evaluate_batch)  # what a worker runs on a batch (as DaskCluster.task)

    def __init__(self, workers: int):
        self.workers = workers
        self._pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init)

    def run(self, batches: list[Batch], settings: RunSettings) -> Iterator[list[ScenarioResult]]:
        return in_order(lambda batch: self._pool.submit(self.task, batch, settings), batches, self.workers * IN_FLIGHT)

    def close(self, stop: bool = False) -> None:
        if stop:  # a worker may be deep in a hostile document: it is killed, not awaited (it ignores SIGTERM)
            for process in list(self._pool._processes.values()):
                process.kill()
        try:
            self._pool.shutdown(wait=True, cancel_futures=True)
        except RuntimeError:
            # Ctrl-C or SIGTERM landed inside submit(), between the pool's manager thread being made and started:
            # there is nothing to join, and its workers were killed above.
            if not stop:
                raise


class DaskCluster:
    """Dask distributed: joins a scheduler (``dask://HOST:PORT``) or starts a LocalCluster.

    A batch whose worker dies is rescheduled by the scheduler; one that raises is retried. Workers of a
    cluster joined by address may run on other machines: each batch carries its files."""

    RETRIES = 2
    task = staticmethod(evaluate_shipped)  # what a worker runs on a batch

    def __init__(self, address: str | None, workers: int):
        try:  # an optional dependency (the « distribue » extra), heavy to import
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError("Dask n'est pas installé : pip install 'dui-conformance[distribue]'.") from None
        self._cluster = None
        if address is None:
            self._cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
            )
            self._client = Client(self._cluster)
        else:
            self._client = Client(address, timeout="20s")
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))
        self.ships = address is not None

    def run(self, batches: list[Batch], settings: RunSettings) -> Iterator[list[ScenarioResult]]:
        limit = max(settings.max_bytes, MAX_ARCHIVE_BYTES, MAX_BODY_BYTES)  # the largest bound a reader applies

        def submit(batch: Batch):
            files = ship(batch, limit) if self.ships else {}
            return self._client.submit(self.task, batch, settings, files, retries=self.RETRIES, pure=False)

        return in_order(submit, batches, self.workers * IN_FLIGHT)  # a result handed on is forgotten by the cluster

    def close(self, stop: bool = False) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def default_jobs(documents: int, referential: bool = False) -> int:
    """Every core when the export is large enough for processes to pay for their start; with the official
    referential, sooner, and no more workers than the available memory holds."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if cores < 2 or documents < (PARALLEL_FROM_REFERENTIAL if referential else PARALLEL_FROM):
        return 1
    if referential:
        cores = max(1, min(cores, _available_memory() // REFERENTIAL_WORKER_BYTES))
    return cores


def _available_memory() -> int:
    """Bytes of memory available now (``MemAvailable``); unknown: as if there were room for every core."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 1 << 62


def make_executor(spec: str | None, jobs: int, documents: int, referential: bool = False) -> Executor:
    """``None``/``local`` (processes on this machine), ``dask-local`` or ``dask://HOST:PORT``."""
    workers = jobs or default_jobs(documents, referential)
    if spec in (None, "", "local"):
        return ProcessPool(workers) if workers > 1 else InProcess()
    if spec == DASK_LOCAL:
        return DaskCluster(None, jobs or default_jobs(10**9, referential))
    if spec.startswith(DASK_PREFIX):
        return DaskCluster("tcp://" + spec.removeprefix(DASK_PREFIX), workers)
    raise ExecutorError(f"Exécuteur inconnu « {spec} » (attendus : local, {DASK_LOCAL}, {DASK_PREFIX}HÔTE:PORT).")


class Results(Protocol):
    def extend(self, scenarios: list[ScenarioResult]) -> None: ...


def evaluate_offline(
    settings: RunSettings,
    executor: Executor,
    results: Results,
    on_total=lambda total: None,
    on_done=lambda subject: None,
) -> None:
    """Evaluate every exported document, handing each batch's results to ``results`` as it comes back
    (a list, or the run's :class:`~dui_conformance.results.RunCollector`, which masks and spools them).

    Results go in whole batches at a time, so an interruption (Ctrl-C) leaves ``results``
    holding every scenario of the documents it holds at all."""
    paths = sorted(path for path, _ in run_documents(settings.inputs, settings.max_bytes))
    ids = document_ids(paths)
    on_total(len(paths))
    batches = batches_of([(p, ids[p]) for p in paths], executor.workers)
    for batch, batch_results in zip(batches, executor.run(batches, settings), strict=False):
        results.extend(batch_results)
        for path, _ in batch:
            on_done(path)
