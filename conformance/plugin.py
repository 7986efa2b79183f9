"""pytest plugin: turns the French Gherkin plan into the harness's result model.

- Scenario tags say what a scenario applies to: ``@hors-ligne`` scenarios run once per
  exported document of the kinds they name (``@cda``, ``@hl7v2``, ``@fhir``, ``@tout``),
  ``@direct`` scenarios run once against the live environment; requirement tags
  (``@INS-01``) say what they verify.
- Steps record :class:`~dui_conformance.model.Finding` objects through the ``verdict``
  fixture; hooks build a :class:`~dui_conformance.model.ScenarioResult` per test item and ship
  it in ``report.user_properties`` so that results survive pytest-xdist workers.
- The controller process writes every scenario result to ``RunSettings.results_path``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from . import mss, xds  # noqa: F401 - register the IHE_XDM.ZIP, ITI-41 and MIME message input kinds
from .execution.plan import (
    Judged,
    Verdict,
    applies_to,
    close_step,
    close_unrun_steps,
    document_ids,
    load_step_modules,
    outside_selection,
    step_error,
    undefined_step,
)
from .inputs import KIND_LABELS, InputDocument, load, run_documents
from .live.driver import DuiFailure
from .model import Outcome, ScenarioResult, StepResult, outcome_of
from .requirements.catalogue import ID_PATTERN, Catalogue, run_catalogue
from .settings import ALL_KINDS, LIVE, LIVE_SUBJECT, OFFLINE, RunSettings

AUDIT_STEP = "(harnais) chaque échange enregistré par les services simulés pendant le scénario est jugé"

_settings_key = pytest.StashKey[RunSettings]()
_documents_key = pytest.StashKey[list]()
_ids_key = pytest.StashKey[dict]()
_results_key = pytest.StashKey[list]()
_scenario_key = pytest.StashKey[ScenarioResult]()
_step_key = pytest.StashKey[StepResult]()
_step_start_key = pytest.StashKey[float]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--dui-settings", help="Réglages d'exécution du harnais (JSON).")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--dui-settings", default=None)
    if not path:
        return
    settings = RunSettings.load(path)
    config.stash[_settings_key] = settings
    config.stash[_results_key] = []
    documents = run_documents(settings.inputs, settings.max_bytes) if OFFLINE in settings.phases else []
    config.stash[_documents_key] = documents
    # Ids unique over the whole run, computed as the in-process engine does, so nodeids agree.
    config.stash[_ids_key] = document_ids(sorted(path for path, _ in documents))
    for module in load_step_modules():
        if not config.pluginmanager.is_registered(module):
            config.pluginmanager.register(module, f"dui-steps-{module.__name__.rpartition('.')[2]}")


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function) -> bool:
    """Keep tags as data on the test function instead of pytest markers."""
    function.__dict__.setdefault("_dui_tags", set()).add(tag)
    return True


def _tags(function) -> set[str]:
    return getattr(function, "_dui_tags", set())


def out_of_scope(tags: set[str], settings: RunSettings, kinds: set[str] | None = None) -> str | None:
    """Why a scenario with these tags does not run in this run (None: it runs), in French; ``kinds``
    (the kinds of the run's documents) is None when the documents are matched elsewhere.

    The plugin selects scenarios with it and the runner uses it to tell a requirement the run does
    not concern (« non applicable ») from one it should have evaluated and did not (« non évaluée »).
    """
    selection = outside_selection(tags, settings)
    if selection is not None:
        return selection
    if not any(phase in tags for phase in settings.phases):
        phase = "en direct" if OFFLINE not in tags else "hors ligne"
        return f"vérification {phase} non demandée par cette exécution"
    if kinds is None or OFFLINE not in tags:
        return None
    if ALL_KINDS not in tags and not tags & kinds:
        return f"aucune entrée de type {' ou '.join(sorted(KIND_LABELS[t] for t in tags if t in KIND_LABELS))}"
    if not kinds:
        return "aucun document en entrée"
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    tags = _tags(metafunc.function)
    if OFFLINE not in tags or _settings_key not in metafunc.config.stash:
        return
    docs = [path for path, kind in metafunc.config.stash[_documents_key] if applies_to(tags, kind)]
    metafunc.fixturenames.append("exported_document")
    ids = metafunc.config.stash[_ids_key]
    metafunc.parametrize("exported_document", docs, ids=[ids[p] for p in docs])


def _document_of(item: pytest.Item):
    """The exported document an item runs on (NOTSET for an empty parameter set), or None."""
    return getattr(getattr(item, "callspec", None), "params", {}).get("exported_document")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _settings_key not in config.stash:
        return
    settings = config.stash[_settings_key]
    selected: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        tags = _tags(getattr(item, "function", None))
        # An offline scenario with no document of its kinds gets an empty parameter set.
        has_subject = OFFLINE not in tags or isinstance(_document_of(item), str)
        runs = has_subject and out_of_scope(tags, settings) is None
        (selected if runs else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
    # Run every scenario of one document together (and on one xdist worker): it is read once.
    items.sort(key=lambda item: _document_of(item) or "")
    for item in items:
        if _document_of(item):
            item.add_marker(pytest.mark.xdist_group(_document_of(item)))


# --- fixtures offered to step definitions -------------------------------------------------

_DOCUMENT_CACHE: dict[str, InputDocument] = {}
_CACHE_SIZE = 64


@pytest.fixture
def settings(pytestconfig: pytest.Config) -> RunSettings:
    return pytestconfig.stash[_settings_key]


@pytest.fixture
def document(exported_document: str, settings: RunSettings) -> InputDocument:
    """The exported document of this scenario run; parsed views are cached per process."""
    doc = _DOCUMENT_CACHE.get(exported_document)
    if doc is None:
        if len(_DOCUMENT_CACHE) >= _CACHE_SIZE:
            _DOCUMENT_CACHE.pop(next(iter(_DOCUMENT_CACHE)))
        doc = _DOCUMENT_CACHE[exported_document] = load(exported_document, settings.max_bytes, settings.inputs)
    return doc


def _catalogue(config: pytest.Config) -> Catalogue:
    """The run's catalogue, restricted to its wave: it grades every finding and names what a scenario judges."""
    settings = config.stash[_settings_key]
    return run_catalogue(tuple(settings.catalogue_dirs), settings.wave)


@pytest.fixture
def verdict(request: pytest.FixtureRequest) -> Verdict:
    item = request.node
    return Verdict(lambda: item.stash.get(_step_key, None), _catalogue(item.config))


# --- building ScenarioResult from pytest-bdd hooks ----------------------------------------


def pytest_bdd_before_scenario(request, feature, scenario) -> None:
    item = request.node
    tags = sorted(_tags(item.function))
    subject = _document_of(item) or LIVE_SUBJECT
    item.stash[_scenario_key] = ScenarioResult(
        nodeid=item.nodeid,
        feature=feature.name,
        feature_file=feature.rel_filename,
        name=scenario.name,
        tags=tags,
        requirements=_catalogue(item.config).judged(t for t in tags if ID_PATTERN.match(t)),
        subject=subject,
    )


def pytest_bdd_before_step(request, feature, scenario, step, step_func) -> None:
    item = request.node
    item.stash[_step_key] = StepResult(keyword=step.keyword.strip(), text=step.name, outcome=Outcome.PASS)
    item.stash[_step_start_key] = time.perf_counter()


def _close_step(item: pytest.Item, error: str | None = None) -> None:
    step = item.stash.get(_step_key, None)
    scenario = item.stash.get(_scenario_key, None)
    if step is None or scenario is None:
        return
    close_step(scenario, step, item.stash[_step_start_key], error)
    del item.stash[_step_key]


def pytest_bdd_after_step(request, feature, scenario, step, step_func, step_func_args) -> None:
    _close_step(request.node)


def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args, exception) -> None:
    if isinstance(exception, Judged):
        _close_step(request.node)
        return
    if isinstance(exception, DuiFailure):  # the DUI failed: a finding on what the scenario has not decided yet
        result, step = request.node.stash[_scenario_key], request.node.stash[_step_key]
        judged = {f.requirement for f in result.findings} | {f.requirement for f in step.findings}
        pending = [r for r in result.requirements if r not in judged] or result.requirements
        step.findings.extend(exception.findings(pending))
        _close_step(request.node)
        return
    message, scenario_error = step_error(exception)
    _close_step(request.node, error=message)
    request.node.stash[_scenario_key].error = scenario_error


def pytest_bdd_after_scenario(request, feature, scenario) -> None:
    """Judge what the live services recorded, then name the steps that never ran."""
    result = request.node.stash.get(_scenario_key, None)
    if result is None:
        return
    close_unrun_steps(result, [(s.keyword, s.name) for s in scenario.steps])
    if LIVE in _tags(request.node.function) and not result.error:
        _audit_live(request, result)


def _audit_live(request, result: ScenarioResult) -> None:
    """Every failure the library finds in the exchanges the simulated services recorded during the scenario
    becomes one of its findings (``LiveEnvironment.audit``), whichever step caused the exchange."""
    try:
        env = request.getfixturevalue("live_env")
    except pytest.FixtureLookupError:
        return
    audit = getattr(env, "audit", None)
    findings = _catalogue(request.config).grade(audit()) if audit is not None else []
    if findings:
        result.steps.append(StepResult(keyword="Et", text=AUDIT_STEP, outcome=outcome_of(findings), findings=findings))


def pytest_bdd_step_func_lookup_error(request, feature, scenario, step, exception) -> None:
    scenario_result = request.node.stash.get(_scenario_key, None)
    if scenario_result is not None:
        scenario_result.error = undefined_step(step.keyword, step.name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    scenario = item.stash.get(_scenario_key, None)
    if report.when == "setup" and report.failed and scenario is None:
        scenario = _unstarted_scenario(item)
        scenario.error = f"Préparation impossible : {call.excinfo.exconly() if call.excinfo else report.longreprtext}"
    if scenario is None or (report.when == "setup" and not report.failed) or report.when == "teardown":
        return
    scenario.duration = report.duration
    report.user_properties.append(("dui_scenario", json.dumps(scenario.to_dict(), ensure_ascii=False)))


def _unstarted_scenario(item: pytest.Item) -> ScenarioResult:
    tags = sorted(_tags(getattr(item, "function", None)))
    # pytest-bdd documents each scenario function as "<feature>: <scenario>".
    feature, _, name = (getattr(item, "function", None).__doc__ or f": {item.name}").partition(": ")
    return ScenarioResult(
        nodeid=item.nodeid,
        feature=feature,
        feature_file="",
        name=name,
        tags=tags,
        requirements=_catalogue(item.config).judged(t for t in tags if ID_PATTERN.match(t)),
        subject=_document_of(item) or LIVE_SUBJECT,
    )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name == "dui_scenario" and isinstance(value, str):  # the JSON the worker wrote
            _RESULTS.append(ScenarioResult.from_dict(json.loads(value)))


_RESULTS: list[ScenarioResult] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if _settings_key not in config.stash or hasattr(config, "workerinput"):
        return
    settings = config.stash[_settings_key]
    if settings.results_path:
        Path(settings.results_path).write_text(
            json.dumps([s.to_dict() for s in _RESULTS], ensure_ascii=False), encoding="utf-8"
        )
    _RESULTS.clear()
