"""Run the Gherkin plan with pytest-bdd and roll scenario results up per requirement.

The CLI, the tests and library users all go through :func:`execute`, so a report from
``check``, ``run`` or ``demo`` is built the same way.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

from . import __version__
from .inputs import run_documents
from .model import HarnessError, Outcome, RequirementResult, RunResult, ScenarioResult, skipped
from .requirements import Catalogue, load_catalogue
from .requirements.catalogue import ID_PATTERN
from .run_checks import RUN_CHECKS
from .settings import FEATURES_DIR, LIVE, OFFLINE, RunSettings

if TYPE_CHECKING:
    import pytest

    from .results import RunCollector


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a pytest session: carries the scenario results finished before it."""

    def __init__(self, scenarios: list[ScenarioResult]):
        super().__init__()
        self.scenarios = scenarios


class LiveEnvironmentLike(Protocol):
    def exchanges(self, service: str | None = None) -> list[Any]: ...


@dataclass
class Progress:
    """Callbacks for a progress display; the CLI plugs rich in, tests plug nothing."""

    on_total: Callable[[int], None] = lambda total: None
    on_done: Callable[[str], None] = lambda nodeid: None
    on_phase: Callable[[str], None] = lambda label: None  # "Documents" (offline) or "Scénarios" (live)


class _ProgressPlugin:
    def __init__(self, progress: Progress):
        self.progress = progress

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.progress.on_total(len(session.items))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.progress.on_done(report.nodeid)


def _live_environment_plugin(env: LiveEnvironmentLike) -> object:
    import pytest

    class LiveEnvironmentPlugin:
        @pytest.fixture(scope="session")
        def live_env(self) -> LiveEnvironmentLike:
            return env

    return LiveEnvironmentPlugin()


def run_plan(
    settings: RunSettings,
    workdir: Path,
    jobs: int = 1,
    live_env: LiveEnvironmentLike | None = None,
    progress: Progress | None = None,
) -> list[ScenarioResult]:
    """One pytest session over the plan; returns the scenario results it produced.

    pytest is imported here, not at module level: ``dui-conformance --help`` and offline runs
    never pay for it."""
    import pytest

    settings.results_path = str(workdir / f"scenarios-{'-'.join(settings.phases)}.json")
    settings_path = workdir / f"settings-{'-'.join(settings.phases)}.json"
    settings.dump(settings_path)
    args = [
        str(FEATURES_DIR / "test_plan.py"),
        "-c",
        str(FEATURES_DIR / "pytest.ini"),
        "--rootdir",
        str(FEATURES_DIR),
        "-p",
        "dui_conformance.plugin",
        "--dui-settings",
        str(settings_path),
        "-q",
        "--tb=short",
        "-W",
        "ignore::DeprecationWarning",
    ]
    if jobs > 1 and live_env is None:
        args += ["-n", str(jobs), "--dist", "loadgroup"]
    plugins: list[object] = [_ProgressPlugin(progress or Progress())]
    if live_env is not None:
        plugins.append(_live_environment_plugin(live_env))
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        code = pytest.main(args, plugins=plugins)
    (workdir / f"pytest-{'-'.join(settings.phases)}.log").write_text(log.getvalue(), encoding="utf-8")
    path = Path(settings.results_path)
    if code == pytest.ExitCode.INTERRUPTED and path.exists():
        raise Interrupted([ScenarioResult.from_dict(d) for d in json.loads(path.read_text(encoding="utf-8"))])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise HarnessError(f"pytest s'est arrêté (code {int(code)}) :\n{log.getvalue()[-3000:]}")
    if not path.exists():
        raise HarnessError(f"Aucun résultat produit par le plan :\n{log.getvalue()[-3000:]}")
    return [ScenarioResult.from_dict(d) for d in json.loads(path.read_text(encoding="utf-8"))]


def plan_scope(settings: RunSettings) -> dict[str, str]:
    """Requirements this run does not concern, with the reason (French): none of their scenarios
    can run, because of the phases asked for, the ``--exigence`` selection or the kinds of the
    documents given. A requirement left out here and still without a result is « non évaluée »."""
    from pytest_bdd.feature import get_features  # here: pytest-bdd and the plugin (pytest) load with a run

    from .plugin import out_of_scope

    kinds = (
        {kind for _, kind in run_documents(settings.inputs, settings.max_bytes)}
        if OFFLINE in settings.phases
        else set()
    )
    reasons: dict[str, str] = {}
    concerned: set[str] = set()
    for feature in get_features([str(FEATURES_DIR)]):
        for scenario in feature.scenarios.values():
            tags = set(feature.tags) | set(scenario.tags)
            ids = {t for t in tags if ID_PATTERN.match(t)}
            reason = out_of_scope(tags, settings, kinds)
            if reason is None:
                concerned |= ids
            for req in ids:
                reasons.setdefault(req, reason or "")
    return {req: why for req, why in reasons.items() if req not in concerned}


def roll_up(
    catalogue: Catalogue, scenarios: Iterable[ScenarioResult], profile: str, scope: dict[str, str] | None = None
) -> list[RequirementResult]:
    """Requirement outcome = worst of its findings, of harness errors and of silent runs in its scenarios;
    a requirement without scenario run is « non applicable » when ``scope`` says why the run does not
    concern it, « non évaluée » otherwise. One pass, in run order; a Gherkin background repeats its
    steps in every scenario: each finding is kept once (:class:`~dui_conformance.results.RunCollector`,
    which :func:`execute` feeds as results come)."""
    from .results import RunCollector  # here: --help does not load the result pipeline

    collector = RunCollector(catalogue, mask=False)
    collector.extend(scenarios)
    return collector.requirements(profile, scope)


@dataclass
class Execution:
    settings: RunSettings
    jobs: int = 0  # offline worker processes; 0: every core when the export is large enough
    live_env: LiveEnvironmentLike | None = None
    progress: Progress | None = None
    artefacts: list[dict[str, str]] = field(default_factory=list)
    executor: str | None = None  # None/"local", "dask-local" or "dask://HOST:PORT" (offline documents)


SPOOL_FROM = 200  # documents from which results are spooled to a temporary file, not kept in memory


def execute(execution: Execution) -> RunResult:
    """Run the offline and live phases the settings ask for and build the RunResult.

    Offline documents go through the in-process plan (:mod:`.execution`) on the chosen executor;
    the live phase is a pytest-bdd session. Results are masked, logged and rolled up as they come
    (:class:`~dui_conformance.results.RunCollector`; spooled from ``SPOOL_FROM`` documents). Ctrl-C
    stops the run and gives a partial RunResult marked ``interrupted`` holding every scenario
    finished so far."""
    settings = execution.settings
    progress = execution.progress or Progress()
    catalogue = load_catalogue(settings.catalogue_dirs).in_wave(settings.wave)  # the requirements the run judges
    started = _now()
    from .results import RunCollector

    documents = _count_files(settings.inputs) if OFFLINE in settings.phases else 0
    collector = RunCollector(catalogue, spool=documents >= SPOOL_FROM)
    interrupted = False
    try:
        if OFFLINE in settings.phases and settings.inputs:
            _run_offline(execution, collector, progress, documents)
        if LIVE in settings.phases:
            if execution.live_env is None:
                raise HarnessError("Phase directe demandée sans environnement de services simulés.")
            live = RunSettings(**{**settings.__dict__, "phases": [LIVE]})
            progress.on_phase("Scénarios")
            with tempfile.TemporaryDirectory(prefix="dui-conformance-") as tmp:
                collector.extend(run_plan(live, Path(tmp), 1, execution.live_env, progress))
    except Interrupted as stop:
        collector.extend(stop.scenarios)
        interrupted = True
    except KeyboardInterrupt:
        interrupted = True
    requirements = collector.requirements(settings.profile, plan_scope(settings))
    _run_checks(collector, requirements, settings)
    _require_referential(collector, requirements, catalogue, settings)
    exchanges = []
    if execution.live_env is not None:
        exchanges = [e.to_dict() if hasattr(e, "to_dict") else e for e in execution.live_env.exchanges()]
    return RunResult(
        run_id=f"{datetime.now():%Y%m%d-%H%M%S}-{settings.mode}",
        mode=settings.mode,
        profile=settings.profile,
        environment=settings.environment,
        started=started,
        finished=_now(),
        inputs=[str(p) for p in settings.inputs],
        scenarios=collector.log,
        requirements=requirements,
        tool={"name": "dui-conformance", "version": __version__, "python": sys.version.split()[0]},
        artefacts=execution.artefacts,
        exchanges=exchanges,
        interrupted=interrupted,
        wave=settings.wave,
    )


def _run_checks(collector: RunCollector, requirements: list[RequirementResult], settings: RunSettings) -> None:
    """Every requirement with a run-level check (:mod:`.run_checks`) gets the findings its check reports.

    The check packages register theirs when imported, and the plan's step modules import every one they
    call: loaded here, the registry is complete whichever process evaluated the documents."""
    from .execution.plan import load_step_modules  # here: --help does not load the plan

    load_step_modules(offline_only=True)
    for req in requirements:
        check = RUN_CHECKS.get(req.id)
        if check is None:
            continue
        findings = list(req.findings)
        reported = check(findings, settings)
        if reported != findings:
            collector.replace_findings(req, reported)


REFERENTIAL_PROFILE = "homologation"  # the profile that makes the official referential (--referentiel-cda) mandatory
REFERENTIAL_MISSING = "Référentiel officiel non fourni (--referentiel-cda) : obligatoire en homologation."


def _require_referential(
    collector: RunCollector, requirements: list[RequirementResult], catalogue: Catalogue, settings: RunSettings
) -> None:
    """The README's rule, for check, run and demo alike (its one home): in homologation without the official
    referential, every requirement it evaluates (``referentiel = true``) that the run asked for is « données
    insuffisantes », which blocks — never « non applicable » because the run had no CDA or no offline phase."""
    if settings.profile != REFERENTIAL_PROFILE or settings.referential_cda:
        return
    for req in requirements:
        asked = not settings.requirements or req.id in settings.requirements
        if (
            asked
            and catalogue[req.id].needs_referential
            and req.outcome not in (Outcome.SKIP, Outcome.FAIL, Outcome.ERROR)
        ):
            req.outcome = Outcome.SKIP
            collector.replace_findings(req, [skipped(req.id, REFERENTIAL_MISSING)])


def _run_offline(execution: Execution, collector: RunCollector, progress: Progress, documents: int) -> None:
    from .execution.executors import evaluate_offline, make_executor
    from .results import fewer_collections

    offline = RunSettings(**{**execution.settings.__dict__, "phases": [OFFLINE]})
    progress.on_phase("Documents")
    executor = make_executor(execution.executor, execution.jobs, documents, bool(offline.referential_cda))
    stopped = True  # until the evaluation returns: Ctrl-C, SIGTERM or an error ends the workers at once
    try:
        with fewer_collections():  # the controller unpickles, masks and spools every result
            evaluate_offline(offline, executor, collector, progress.on_total, progress.on_done)
        stopped = False
    finally:
        executor.close(stop=stopped)


def _count_files(inputs: list[str]) -> int:
    """How many files the inputs name, without reading them (to decide on parallelism)."""
    return sum(sum(len(files) for _, _, files in os.walk(p)) if Path(p).is_dir() else 1 for p in inputs)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
