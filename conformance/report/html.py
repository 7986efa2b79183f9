"""``index.html``: a self-contained French report (inline CSS, optional inline JS for filtering).

Everything shown comes from documents and exchanges that may be hostile: the template is
rendered with autoescape on, and a Content-Security-Policy forbids any external load and
any script other than the one shipped here (pinned by its hash).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from importlib import resources
from typing import Any

import jinja2

from ..model import SCHEMA_VERSION, Outcome, RunResult
from .common import by_feature
from .labels import OUTCOME_SYMBOLS, VERDICT_SYMBOLS, profile_label, service_label, service_order

_FILTER_SCRIPT = """
document.querySelectorAll('select.filtre').forEach(function (select) {
  select.hidden = false;
  select.addEventListener('change', function () {
    var table = document.getElementById(select.dataset.table);
    table.querySelectorAll(':scope > tbody').forEach(function (body) {
      body.hidden = select.value !== '' && body.dataset.outcome !== select.value;
    });
  });
});
"""


def _environment() -> jinja2.Environment:
    templates = resources.files(__package__) / "templates"
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (templates / name).read_text(encoding="utf-8")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = lambda outcome: Outcome(outcome).label
    env.filters["symbol"] = lambda outcome: OUTCOME_SYMBOLS[Outcome(outcome)]
    env.filters["service"] = service_label
    return env


_ENV = _environment()


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _deviation_text(item: Any) -> str:
    """Mocks record deviations as {code, message_fr, requirement}; anything else is shown as JSON."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and item.get("message_fr"):
        requirement = f" ({item['requirement']})" if item.get("requirement") else ""
        return f"{item.get('code', '')} : {item['message_fr']}{requirement}"
    return json.dumps(item, ensure_ascii=False, default=str)


def _deviations(exchange: dict[str, Any]) -> list[str]:
    found = exchange.get("deviations") or []
    return [_deviation_text(item) for item in (found if isinstance(found, list) else [found])]


def _first_anchors(prefix: str, keys: list[str]) -> dict[str, str]:
    """Link target for each key: the first item bearing it (keys from hostile input may repeat)."""
    anchors: dict[str, str] = {}
    for n, key in enumerate(keys):
        anchors.setdefault(key, f"{prefix}-{n}")
    return anchors


def render_html(run: RunResult) -> str:
    counter = itertools.count()
    features = [
        (feature, feature_file, [(f"sc-{next(counter)}", s) for s in scenarios])
        for feature, feature_file, scenarios in by_feature(run.scenarios)
    ]
    scenario_anchor: dict[str, str] = {}
    for _, _, rows in features:
        for anchor, scenario in rows:
            scenario_anchor.setdefault(scenario.nodeid, anchor)
    requirement_rows = [(f"req-{n}", r) for n, r in enumerate(run.requirements)]
    services = service_order({r.service for r in run.requirements})
    digest = base64.b64encode(hashlib.sha256(_FILTER_SCRIPT.encode()).digest()).decode()
    return _ENV.get_template("index.html.j2").render(
        run=run,
        verdict=run.verdict,
        verdict_symbol=VERDICT_SYMBOLS.get(run.verdict, ""),
        profile=profile_label(run.profile),
        counts=run.counts(),
        outcomes=list(Outcome),
        services=[(code, [(a, r) for a, r in requirement_rows if r.service == code]) for code in services],
        features=features,
        scenario_anchor=scenario_anchor,
        scenario_title={s.nodeid: f"{s.name} — {s.subject}" for s in reversed(run.scenarios)},
        exchange_anchor=_first_anchors("ex", [str(x.get("id")) for x in run.exchanges]),
        requirement_anchor=_first_anchors("req", [r.id for r in run.requirements]),
        exchanges=[(f"ex-{n}", x, _deviations(x), _pretty(x)) for n, x in enumerate(run.exchanges)],
        schema_version=SCHEMA_VERSION,
        script=_FILTER_SCRIPT,
        script_hash=f"sha256-{digest}",
    )
