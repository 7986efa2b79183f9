"""The offline plan run in-process: the same Gherkin features and step functions as pytest-bdd,
without a pytest session per run.

pytest-bdd stays how the plan runs in the test suite and in live mode (``runner.run_plan``).
For offline documents the evaluation is a pure function of (document, settings), so this module
parses the features once, resolves each step to its one definition in
``dui_conformance.features.steps`` once, and calls those functions directly: no collection, no
fixture machinery, no failure report formatted for every failing scenario. It reproduces what
``plugin.py`` records (``tests/e2e/test_same_verdicts.py`` proves the two give the same results on the
fixtures).

Offline steps may ask for ``document``, ``settings``, ``verdict``, ``exported_document``, the
arguments parsed from their text and the ``target_fixture`` values of earlier steps; a step that
asks for anything else is a harness error of its scenario, never a silent pass.
"""

from __future__ import annotations

import gc
import pkgutil
import time
import traceback
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import import_module
from inspect import signature
from pathlib import Path
from typing import Any, Callable

from ..inputs import InputDocument, load
from ..model import Finding, Outcome, ScenarioResult, StepResult, outcome_of
from ..requirements.catalogue import ID_PATTERN, Catalogue, run_catalogue
from ..settings import ALL_KINDS, FEATURES_DIR, FEATURES_PACKAGE, OFFLINE, RunSettings

STEP_PACKAGE = f"{FEATURES_PACKAGE}.steps"
SELECTION_REASON = "hors des exigences demandées (--exigence)"  # read back from a report by ``verifier``
PLAN_MODULE = "test_plan.py"  # nodeids name the module that pytest collects the plan from


class Judged(AssertionError):
    """Raised by ``verdict.judge``: the step found failures, the harness did not break."""


class Verdict:
    """How a step hands findings to the harness; ``current_step`` gives the step being run. Findings are
    graded by the run's ``catalogue`` on the way in: a broken PEUT is an avertissement, which never fails the
    step (its scenario goes on)."""

    def __init__(self, current_step: Callable[[], StepResult | None], catalogue: Catalogue):
        self._current_step = current_step
        self._catalogue = catalogue

    def record(self, findings: list[Finding]) -> list[Finding]:
        step = self._current_step()
        if step is None:
            raise RuntimeError("verdict utilisé hors d'une étape Gherkin")
        findings = self._catalogue.grade(findings)
        step.findings.extend(findings)
        return findings

    def judge(self, findings: list[Finding]) -> list[Finding]:
        """Record, then fail the step if any finding fails or errs."""
        findings = self.record(findings)
        if not findings:
            raise RuntimeError("une vérification n'a produit aucune constatation")
        bad = [f for f in findings if f.outcome in (Outcome.FAIL, Outcome.ERROR)]
        if bad:
            raise Judged("\n".join(f"[{f.requirement}] {f.message} ({f.location.describe()})" for f in bad))
        return findings


def close_step(scenario: ScenarioResult, step: StepResult, started: float, error: str | None = None) -> None:
    """Give a finished step its outcome and append it to its scenario (shared with the pytest plugin)."""
    step.duration = time.perf_counter() - started
    findings = step.findings
    if error:
        step.outcome = Outcome.ERROR
    elif len(findings) == 1:  # most steps: one finding, its outcome (what outcome_of gives, without the max)
        step.outcome = findings[0].outcome
    else:
        step.outcome = outcome_of(findings) if findings else Outcome.PASS
    step.error = error
    scenario.steps.append(step)


def close_unrun_steps(result: ScenarioResult, planned: list[tuple[str, str]]) -> None:
    """Steps after a failed one did not run: their requirements are « non évaluée », never « non applicable ».

    ``planned`` is every (keyword, text) of the scenario; those past the recorded steps did not run."""
    unrun = planned[len(result.steps) :]
    if not unrun or not result.steps:
        return
    stopped = next((s for s in reversed(result.steps) if s.outcome in (Outcome.FAIL, Outcome.ERROR)), result.steps[-1])
    judged = {f.requirement for f in result.findings}
    message = (
        f"Non évaluée : l'étape « {stopped.keyword} {stopped.text} » a échoué, les étapes suivantes du "
        "scénario n'ont pas été exécutées."
    )
    for index, (keyword, text) in enumerate(unrun):
        findings = (
            [Finding(req, Outcome.NOT_RUN, message) for req in result.requirements if req not in judged]
            if index == 0
            else []
        )
        result.steps.append(StepResult(keyword=keyword.strip(), text=text, outcome=Outcome.NOT_RUN, findings=findings))


def step_error(exception: BaseException) -> tuple[str, str]:
    """(step error, scenario error) for a step that raised something other than :class:`Judged`."""
    message = f"{type(exception).__name__} : {exception}"
    return message, message + "\n" + "".join(traceback.format_exception(exception)[-3:])


def undefined_step(keyword: str, text: str) -> str:
    return f"Étape non définie dans le harnais : « {keyword} {text} »"


def outside_selection(tags: AbstractSet[str], settings: RunSettings) -> str | None:
    """Why a scenario verifies nothing this run asks for (None: it does), in French: not one of its requirement
    tags is in the ``--exigence`` selection, or all of them are requirements of another wave than the run's
    (``--vague``; a scenario without requirement tag is never left out for that). The pytest plugin and the
    in-process plan select scenarios with it."""
    if settings.requirements and not tags & set(settings.requirements):
        return SELECTION_REASON
    catalogue = run_catalogue(tuple(settings.catalogue_dirs), settings.wave)
    if catalogue.outside_wave(t for t in tags if ID_PATTERN.match(t)):
        return f"exigence(s) d'une autre vague que la vague {settings.wave} jugée (--vague)"
    return None


def applies_to(tags: AbstractSet[str], kind: str) -> bool:
    """An offline scenario runs on the documents of the kinds it is tagged with (or all: ``@tout``)."""
    return ALL_KINDS in tags or kind in tags


LIVE_STEPS_PREFIX = "live_"  # step modules of the live phase: they import the mocks and the live client


def load_step_modules(offline_only: bool = False) -> list[Any]:
    """Import the step modules of the plan (their imports also register the input kinds they read).

    The offline engine skips the live ones: importing them (mocks, Twisted, the OIDC client) cost more than
    a few hundred documents' evaluation in every worker; an offline scenario using a live step would be
    « étape non définie », a harness error, never a silent pass."""
    package = import_module(STEP_PACKAGE)
    return [
        import_module(f"{STEP_PACKAGE}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
        if not (offline_only and info.name.startswith(LIVE_STEPS_PREFIX))
    ]


@dataclass(frozen=True)
class PlannedStep:
    keyword: str
    text: str
    function: Callable[..., Any] | None  # None: no definition matches the text
    arguments: dict[str, Any]
    wanted: tuple[str, ...]  # what the function asks for beyond its parsed arguments
    target: str | None


@dataclass(frozen=True)
class PlannedScenario:
    function_name: str
    feature: str
    feature_file: str
    name: str
    tags: frozenset[str]
    steps: tuple[PlannedStep, ...]

    @cached_property  # read for every document the scenario runs on
    def requirements(self) -> list[str]:
        return [t for t in sorted(self.tags) if ID_PATTERN.match(t)]

    @cached_property
    def sorted_tags(self) -> list[str]:
        return sorted(self.tags)

    @cached_property
    def planned_steps(self) -> list[tuple[str, str]]:
        return [(s.keyword, s.text) for s in self.steps]


@dataclass(frozen=True)
class OfflinePlan:
    scenarios: tuple[PlannedScenario, ...]
    _selected: dict = field(default_factory=dict, compare=False, repr=False)  # (kind, selection) → scenarios

    def for_kind(self, kind: str, settings: RunSettings) -> list[PlannedScenario]:
        """The scenarios a document of ``kind`` runs (:func:`applies_to`, :func:`outside_selection`)."""
        key = (kind, tuple(settings.requirements), tuple(settings.catalogue_dirs), settings.wave)
        if key not in self._selected:
            self._selected[key] = [
                s for s in self.scenarios if applies_to(s.tags, kind) and outside_selection(s.tags, settings) is None
            ]
        return list(self._selected[key])


@lru_cache(maxsize=1)
def offline_plan() -> OfflinePlan:
    """The offline scenarios of the plan, in pytest's collection order, steps resolved once per process
    (pytest-bdd, and pytest with it, loaded here: reports and the runner read this module without them)."""
    from pytest_bdd.feature import get_features
    from pytest_bdd.scenario import get_python_name_generator, parse_step_arguments
    from pytest_bdd.steps import step_function_context_registry
    from pytest_bdd.utils import get_required_args

    import_module("dui_conformance.plugin")  # the input kinds the pytest plugin registers, registered here too
    load_step_modules(offline_only=True)
    definitions = [
        c for c in list(step_function_context_registry.values()) if c.step_func.__module__.startswith(STEP_PACKAGE)
    ]
    taken: set[str] = set()
    planned = []
    for feature in get_features([str(FEATURES_DIR)]):
        for template in feature.scenarios.values():
            function_name = next(n for n in get_python_name_generator(template.name) if n not in taken)
            taken.add(function_name)
            rule_tags = template.rule.tags if template.rule is not None else set()
            tags = frozenset(template.tags | feature.tags | rule_tags)
            if OFFLINE not in tags:
                continue
            contexts = [c for examples in template.examples for c in examples.as_contexts()] or [{}]
            for context in contexts:
                scenario = template.render(context)
                steps = []
                for step in scenario.steps:
                    found = [
                        c
                        for c in definitions
                        if (c.type is None or c.type == step.type) and c.parser.is_matching(step.name)
                    ]
                    if not found:
                        steps.append(PlannedStep(step.keyword, step.name, None, {}, (), None))
                        continue
                    ctx = found[-1]
                    params = signature(ctx.step_func).parameters
                    arguments = {k: v for k, v in parse_step_arguments(step=step, context=ctx).items() if k in params}
                    if "datatable" in params and step.datatable is not None:
                        arguments["datatable"] = step.datatable.raw()
                    if "docstring" in params and step.docstring is not None:
                        arguments["docstring"] = step.docstring
                    wanted = tuple(a for a in get_required_args(ctx.step_func) if a not in arguments)
                    steps.append(
                        PlannedStep(step.keyword, step.name, ctx.step_func, arguments, wanted, ctx.target_fixture)
                    )
                planned.append(
                    PlannedScenario(
                        function_name, feature.name, feature.rel_filename, scenario.name, tags, tuple(steps)
                    )
                )
    # What is alive now (modules, pytest-bdd, the plan) lives as long as the process: frozen out of the
    # collector's generations, it is not walked again by every full collection while documents are evaluated.
    gc.freeze()
    return OfflinePlan(tuple(planned))


def document_ids(paths: list[str]) -> dict[str, str]:
    """The id of each document in scenario nodeids: its file name, made unique as pytest does (its own
    escaping, loaded here: see :func:`offline_plan`)."""
    from _pytest.compat import ascii_escaped

    names = [ascii_escaped(Path(p).name) for p in paths]
    counts = Counter(names)
    taken = set(names)
    ids: dict[str, str] = {}
    suffixes: Counter[str] = Counter()
    for path, name in zip(paths, names, strict=False):
        if counts[name] > 1:
            sep = "_" if name and name[-1].isdigit() else ""
            while f"{name}{sep}{suffixes[name]}" in taken:
                suffixes[name] += 1
            new = f"{name}{sep}{suffixes[name]}"
            taken.add(new)
            suffixes[name] += 1
            name = new
        ids[path] = name
    return ids


def evaluate_document(path: str, doc_id: str, settings: RunSettings) -> list[ScenarioResult]:
    """Every applicable offline scenario of the plan on one document, as the pytest plugin would record them."""
    plan = offline_plan()
    try:
        document = load(path, settings.max_bytes, settings.inputs)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is that document's harness error
        return [unevaluable(path, exc)]
    return [_run_scenario(s, document, doc_id, settings) for s in plan.for_kind(document.kind, settings)]


def unevaluable(path: str, exc: BaseException) -> ScenarioResult:
    """A document the harness could not even start on: one harness error, the run goes on."""
    detail = traceback.format_exception_only(exc)[-1].strip()
    return ScenarioResult(
        nodeid=f"{PLAN_MODULE}::{Path(path).name}",
        feature="Lecture sûre des documents exportés",
        feature_file="",
        name="Chargement du document",
        tags=[OFFLINE],
        requirements=[],
        subject=path,
        error=f"Préparation impossible : {detail}",
    )


def _run_scenario(
    planned: PlannedScenario, document: InputDocument, doc_id: str, settings: RunSettings
) -> ScenarioResult:
    started = time.perf_counter()
    catalogue = run_catalogue(tuple(settings.catalogue_dirs), settings.wave)
    result = ScenarioResult(
        nodeid=f"{PLAN_MODULE}::{planned.function_name}[{doc_id}]",
        feature=planned.feature,
        feature_file=planned.feature_file,
        name=planned.name,
        tags=list(planned.sorted_tags),
        requirements=catalogue.judged(planned.requirements),
        subject=document.path,
    )
    current: list[StepResult] = []
    values: dict[str, Any] = {
        "document": document,
        "exported_document": document.path,
        "settings": settings,
        "verdict": Verdict(lambda: current[-1] if current else None, catalogue),
    }
    for step in planned.steps:
        if step.function is None:
            result.error = undefined_step(step.keyword, step.text)
            break
        try:
            kwargs = {**step.arguments, **{name: values[name] for name in step.wanted}}
        except KeyError:
            missing = [name for name in step.wanted if name not in values]
            result.error = f"Étape « {step.text} » : valeur(s) {', '.join(missing)} non fournie(s) hors ligne."
            break
        current.append(StepResult(keyword=step.keyword.strip(), text=step.text, outcome=Outcome.PASS))
        step_started = time.perf_counter()
        try:
            value = step.function(**kwargs)
        except Judged:
            close_step(result, current.pop(), step_started)
            break
        except Exception as exc:  # noqa: BLE001 - a broken check is this scenario's harness error
            message, result.error = step_error(exc)
            close_step(result, current.pop(), step_started, error=message)
            break
        if step.target is not None:
            values[step.target] = value
        close_step(result, current.pop(), step_started)
    close_unrun_steps(result, planned.planned_steps)
    result.duration = time.perf_counter() - started
    return result
