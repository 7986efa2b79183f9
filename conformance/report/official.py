"""The report's view by official requirement id (issue 19): official id → catalogue requirement(s) → scenario(s) →
proof, each proof with its evidence (exchange, file, XPath, line, and its member in ``evidence.zip``), numbered as the
ANS REM template numbers them (N° scénario = ``ID.nn``, N° preuve = ``ID.nn.nn``), so that a vendor can attach it to
a referencing file (Convergence): the ``official`` section of ``report.json``, a table of ``index.html`` and
``summary.md``, and ``rem-preuves.xlsx``.

The view is keyed on the built-in mapping (``requirements/official.toml``), a vendor's (``--correspondances``) or a
published REM's ids through their « VA N-1 » column (``--referentiel-rem``). It is built once per report
(:func:`build_view`) in one pass over the run's scenarios; a spooled run's proofs go to spools of their own, so that
no writer holds the whole run. An official id's outcome is its requirements' (the rule of a requirement's outcome,
:func:`~dui_conformance.model.requirement_outcome`); a mapping that verifies only part of the id
(``couverture = "partielle"``) is said beside that outcome, never hidden in it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any, TextIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from ..model import Finding, Outcome, RequirementResult, RunResult, ScenarioResult, requirement_outcome
from ..requirements import Catalogue, load_catalogue
from ..requirements.official import COVERAGES, Mapping, OfficialMap, load_official
from ..requirements.rem import HEADERS, RemRequirement, keys, read_rem
from ..requirements.waves import STATUS_LABELS, STATUSES
from ..results import ScenarioLog, Spool, SpoolDir, json_line

PARTIAL = COVERAGES[1]
VIEWED = {"json", "html", "markdown", "evidence", "rem"}  # the report formats that show the view
BUILTIN_MAPPING = "official.toml (intégré)"
REM_STATUS = "tel que fourni"  # a REM file's ids: their status is the file's, which the harness cannot know
# (file, exchange) of a finding → its member in evidence.zip, or None
Locator = Callable[[str | None, str | None], str | None]
EXCEL_ROWS = 1_048_576  # a worksheet's limit
# rem-preuves.xlsx lists the first proofs of each scenario (one a document: a large run repeats the same proof),
# report.json every one; openpyxl writes some 2 000 rows a second.
PROOFS_LISTED = 200
# rem-preuves.xlsx: the ANS template's columns (requirements/rem.py), then ours.
REM_COLUMNS = (
    *(HEADERS[f] for f in ("id", "chapter", "statement", "nature", "scenario", "scenario_text", "proof", "proof_text")),
    HEADERS["previous"],
    "Verdict",
    "Couverture",
    "Exigence du catalogue",
    "Résultat de l'exigence",
    "Résultat de la preuve",
    "Document ou échange",
    "Emplacement",
    "Preuve dans evidence.zip",
    "Référentiel",
    "Statut",
)


@dataclass(frozen=True)
class Keying:
    """What the view is keyed on: a mapping, and the ids of a REM file that replace its own when given."""

    official: OfficialMap
    mapping_name: str = BUILTIN_MAPPING
    rem: tuple[RemRequirement, ...] | None = None
    rem_name: str = ""

    def describe(self) -> dict[str, Any]:
        return {"correspondances": self.mapping_name, "referentiel_rem": self.rem_name or None}


@dataclass
class ScenarioGroup:
    """One scenario of the plan (feature file, name) as it ran for one requirement: how many times (one run per
    document, or the live session), its outcome for the requirement, and the findings about it, its proofs (each
    ``Finding.to_dict()`` without the requirement and evidence text, with ``subject``, ``scenario`` and
    ``member``)."""

    feature: str
    feature_file: str
    name: str
    proofs: Spool[dict[str, Any]]
    runs: int = 0
    outcomes: set[Outcome] = field(default_factory=set)

    @property
    def outcome(self) -> Outcome:
        """As a requirement's: tagged and ran, with no finding about it, is « non applicable »."""
        return requirement_outcome(list(self.outcomes)) if self.outcomes else Outcome.OMIT


@dataclass(frozen=True)
class Covering:
    """One catalogue requirement under an official id, with the mapping rows that tie them."""

    requirement: RequirementResult
    mappings: tuple[Mapping, ...]

    @property
    def couverture(self) -> str:
        return PARTIAL if any(m.couverture == PARTIAL for m in self.mappings) else COVERAGES[0]

    def head(self) -> dict[str, Any]:
        r = self.requirement
        return {
            "id": r.id,
            "statement": r.statement,
            "level": r.level,
            "outcome": r.outcome.value,
            "couverture": self.couverture,
            "status": sorted({m.status for m in self.mappings}),
            "notes": [m.note for m in self.mappings if m.note],
        }


@dataclass(frozen=True)
class OfficialEntry:
    """One official id of the view, with the catalogue requirements that verify it."""

    id: str
    referential: str
    version: str
    status: str
    provisoire: bool
    draft_status: str
    covering: tuple[Covering, ...]
    chapter: str = ""  # chapter, statement, nature, VA N-1: a REM's (the mapping does not copy official texts)
    statement: str = ""
    nature: str = ""
    previous: tuple[str, ...] = ()

    @property
    def outcome(self) -> Outcome:
        return requirement_outcome([c.requirement.outcome for c in self.covering])

    @property
    def couverture(self) -> str:
        """Complete when one of its requirements verifies the whole official id (its mapping is complete); partial
        when each verifies only a part (the parts are judgements, their union is not claimed to be the whole)."""
        return COVERAGES[0] if any(c.couverture != PARTIAL for c in self.covering) else PARTIAL

    @property
    def label(self) -> str:
        return self.outcome.label + (" (couverture partielle)" if self.couverture == PARTIAL else "")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status) + (", provisoire" if self.provisoire else "")

    def head(self) -> dict[str, Any]:
        return {
            "referential": self.referential,
            "version": self.version,
            "status": self.status,
            "provisoire": self.provisoire,
            "draft_status": self.draft_status,
            "chapter": self.chapter,
            "statement": self.statement,
            "nature": self.nature,
            "previous": list(self.previous),
            "outcome": self.outcome.value,
            "label": self.label,
            "couverture": self.couverture,
        }


@dataclass(frozen=True)
class OfficialView:
    keyed_on: dict[str, Any]
    entries: list[OfficialEntry]
    groups: dict[str, list[ScenarioGroup]]  # requirement id → its scenarios, in run order

    def scenarios(self, entry: OfficialEntry) -> Iterator[tuple[str, Covering, ScenarioGroup]]:
        """Each scenario under ``entry`` with its N° scénario (``ID.nn``), numbered across its requirements."""
        number = 0
        for covering in entry.covering:
            for group in self.groups.get(covering.requirement.id, []):
                number += 1
                yield f"{entry.id}.{number:02d}", covering, group


def proof_numbers(scenario: str, group: ScenarioGroup) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each proof of ``group`` with its N° preuve (``ID.nn.nn``)."""
    for n, proof in enumerate(group.proofs.dicts(), start=1):
        yield f"{scenario}.{n:02d}", proof


def listed_proofs(scenario: str, group: ScenarioGroup, limit: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """At most ``limit`` numbered proofs of ``group`` for the HTML and the workbook: the ones other than conforme or
    non applicable first (what a reader looks for), then the others, each keeping its number."""
    quiet = (Outcome.PASS.value, Outcome.OMIT.value)
    notable = ((n, p) for n, p in proof_numbers(scenario, group) if p["outcome"] not in quiet)
    others = ((n, p) for n, p in proof_numbers(scenario, group) if p["outcome"] in quiet)
    yield from islice(chain(notable, others), limit)


def _entries(keying: Keying, results: dict[str, RequirementResult]) -> list[OfficialEntry]:
    """The official ids that some requirement of the run verifies, in the order of the mapping (or of the REM)."""
    by_id: dict[str, list[Mapping]] = {}
    for m in keying.official.mappings:
        if m.requirement in results:
            by_id.setdefault(m.official.id, []).append(m)

    def covering(mappings: list[Mapping]) -> tuple[Covering, ...]:
        per_req: dict[str, list[Mapping]] = {}
        for m in mappings:
            per_req.setdefault(m.requirement, []).append(m)
        return tuple(Covering(results[rid], tuple(ms)) for rid, ms in per_req.items())

    entries = []
    if keying.rem is None:
        for oid in keying.official.ids.values():
            if oid.id in by_id:
                ref = oid.referential
                status = _lowest(m.status for m in by_id[oid.id])
                entries.append(
                    OfficialEntry(
                        id=oid.id,
                        referential=ref.name,
                        version=ref.version,
                        status=status,
                        provisoire=ref.provisoire,
                        draft_status=oid.draft_status,
                        covering=covering(by_id[oid.id]),
                    )
                )
        return entries
    for req in keying.rem:
        mappings = [m for oid in keys(req) for m in by_id.get(oid, [])]
        if mappings:
            entries.append(
                OfficialEntry(
                    id=req.id,
                    referential=keying.rem_name,
                    version="",
                    status=REM_STATUS,
                    provisoire=False,
                    draft_status="",
                    chapter=req.chapter,
                    statement=req.statement,
                    nature=req.nature,
                    previous=req.previous,
                    covering=covering(mappings),
                )
            )
    return entries


def _lowest(statuses: Iterable[str]) -> str:
    """The least established status of the mappings of one id (a third party's mapping lowers a published id)."""
    return max(statuses, key=STATUSES.index)


def load_keying(catalogue: Catalogue, mapping: str | Path | None = None, rem: str | Path | None = None) -> Keying:
    """A vendor's mapping file (``--correspondances``) and a REM's ids (``--referentiel-rem``), through the loaders of
    ``requirements``; a bad file raises their French error (:class:`OfficialError`, :class:`RemError`)."""
    official = load_official(catalogue, mapping)
    rows = tuple(read_rem(rem)) if rem is not None else None
    return Keying(official, BUILTIN_MAPPING if mapping is None else str(mapping), rows, str(rem or ""))


@cache
def builtin_keying() -> Keying:
    """The built-in mapping, validated against the built-in catalogue it is written for (a run's catalogue may
    lack rows or add some: the view keeps the requirements the run has)."""
    return Keying(load_official(load_catalogue()))


def build_view(run: RunResult, keying: Keying, members: Locator | None = None) -> OfficialView:
    """The view of ``run`` keyed on ``keying``; ``members``: where each proof's evidence sits in the evidence pack,
    when one is written (``evidence.Members``)."""
    entries = _entries(keying, {r.id: r for r in run.requirements})
    wanted = {c.requirement.id for e in entries for c in e.covering}
    directory = SpoolDir() if isinstance(run.scenarios, ScenarioLog) and run.scenarios.spooled else None
    groups: dict[tuple[str, str, str], ScenarioGroup] = {}
    by_requirement: dict[str, list[ScenarioGroup]] = {}
    seen: dict[tuple[str, str, str], set[Finding]] = {}  # de-duplication within a subject, as the roll-up's
    subject = None
    for scenario in _scenarios(run, wanted):
        if scenario.subject != subject:
            subject = scenario.subject
            seen.clear()
        findings = scenario.findings
        for rid in dict.fromkeys([*scenario.requirements, *(f.requirement for f in findings)]):
            if rid not in wanted:
                continue
            key = (rid, scenario.feature_file, scenario.name)
            group = groups.get(key)
            if group is None:
                group = groups[key] = ScenarioGroup(
                    scenario.feature, scenario.feature_file, scenario.name, Spool(dict, directory, encode=dict)
                )
                by_requirement.setdefault(rid, []).append(group)
            group.runs += 1
            if scenario.error:
                group.outcomes.add(Outcome.ERROR)
            elif not findings:
                group.outcomes.add(Outcome.SKIP)
            done = seen.setdefault(key, set())
            for f in findings:
                if f.requirement != rid:
                    continue
                group.outcomes.add(f.outcome)
                if f not in done:
                    done.add(f)
                    group.proofs.append(_proof(scenario.subject, scenario.nodeid, f, members))
    return OfficialView(keying.describe(), entries, by_requirement)


def _scenarios(run: RunResult, wanted: set[str]) -> Iterator[ScenarioResult]:
    """The run's scenarios that may concern ``wanted``: a spooled run's lines are decoded only when one of the ids
    is in their text (as a JSON string), most of a large offline run is not."""
    if not (isinstance(run.scenarios, ScenarioLog) and run.scenarios.spooled):
        yield from run.scenarios
        return
    tokens = [json.dumps(rid, ensure_ascii=False) for rid in sorted(wanted)]
    for line in run.scenarios.lines():
        if any(token in line for token in tokens):
            yield ScenarioResult.from_dict(json.loads(line))


def _proof(subject: str, nodeid: str, f: Finding, members: Locator | None) -> dict[str, Any]:
    loc = f.location
    proof = {
        "outcome": f.outcome.value,
        "message": f.message,
        "subject": subject,
        "scenario": nodeid,
        "file": loc.file,
        "xpath": loc.xpath,
        "line": loc.line,
        "exchange": loc.exchange,
    }
    if members is not None:
        proof["member"] = members(loc.file, loc.exchange)
    return proof


def html_rows(view: OfficialView, shown: int) -> list[dict[str, Any]]:
    """The rows of the HTML table: each entry with its scenarios, the first ``shown`` proofs of each as findings
    (number, finding, member in the pack)."""
    rows = []
    for entry in view.entries:
        scenarios = []
        for number, covering, group in view.scenarios(entry):
            rid = covering.requirement.id
            proofs = [
                (n, Finding.from_dict({"requirement": rid, "evidence": None, **p}), p.get("member"))
                for n, p in listed_proofs(number, group, shown)
            ]
            scenarios.append(
                {
                    "number": number,
                    "requirement": rid,
                    "group": group,
                    "proofs": proofs,
                    "more": len(group.proofs) - len(proofs),
                }
            )
        rows.append({"entry": entry, "scenarios": scenarios})
    return rows


# --- report.json -------------------------------------------------------------------------------------------------


def _compact(value: object) -> str:
    return json_line(value)[:-1]


def _opened(head: dict[str, Any], key: str) -> str:
    """``head`` as compact JSON with an empty ``key`` list last, left open: ``{…, "key": [``."""
    text = _compact({**head, key: []})
    return text[:-2]


def write_official_json(view: OfficialView, out: TextIO) -> None:
    """The ``official`` section, streamed: one proof a line, nothing of the run held whole."""
    out.write('{"keyed_on": ' + _compact(view.keyed_on) + ', "ids": {')
    for index, entry in enumerate(view.entries):
        out.write(
            (",\n    " if index else "\n    ") + _compact(entry.id) + ": " + _opened(entry.head(), "requirements")
        )
        for n, covering in enumerate(entry.covering):
            out.write((", " if n else "") + _opened(covering.head(), "scenarios"))
            first = True
            for number, cov, group in view.scenarios(entry):
                if cov is not covering:
                    continue
                out.write(("" if first else ", ") + _opened(_scenario_head(number, group), "proofs"))
                first = False
                for k, (proof_number, proof) in enumerate(proof_numbers(number, group)):
                    out.write((",\n      " if k else "\n      ") + _compact({"number": proof_number, **proof}))
                out.write("]}")
            out.write("]}")
        out.write("]}")
    out.write("\n  }}" if view.entries else "}}")


def _scenario_head(number: str, group: ScenarioGroup) -> dict[str, Any]:
    return {
        "number": number,
        "name": group.name,
        "feature": group.feature,
        "feature_file": group.feature_file,
        "outcome": group.outcome.value,
        "runs": group.runs,
    }


# --- rem-preuves.xlsx --------------------------------------------------------------------------------------------


def _cell(sheet: WriteOnlyWorksheet, value: object) -> object:
    """A value that is always data: text from hostile input is never a formula (« =… ») nor an error code, and
    characters a worksheet cannot hold are dropped. Only such text takes a cell of its own (openpyxl fills one
    shared cell with plain values: the fast path)."""
    if value is None or isinstance(value, (int, float)):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if not (text.startswith("=") or text in ERROR_CODES):
        return text
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    return cell


def _requirement(r: RequirementResult) -> str:
    return f"{r.id} — {r.statement}"


def _subject(proof: dict[str, Any]) -> str:
    return f"échange {proof['exchange']}" if proof.get("exchange") else proof.get("file") or proof["subject"]


def _where(proof: dict[str, Any]) -> str:
    parts = [f"ligne {proof['line']}" if proof.get("line") else "", proof.get("xpath") or ""]
    return " — ".join(p for p in parts if p)


def rem_rows(view: OfficialView) -> Iterator[list[object]]:
    """The rows of ``rem-preuves.xlsx`` after its header (``REM_COLUMNS``): one per proof, as the ANS template has
    one row per proof (the first ``PROOFS_LISTED`` of a scenario, then one row that counts the others); a scenario
    without proof, or an official id without scenario run, gets one row of its own."""
    for entry in view.entries:
        official: dict[str, object] = {
            HEADERS["id"]: entry.id,
            HEADERS["chapter"]: entry.chapter,
            HEADERS["statement"]: entry.statement,
            HEADERS["nature"]: entry.nature,
            HEADERS["previous"]: ", ".join(entry.previous),
            "Verdict": entry.label,
            "Couverture": entry.couverture,
            "Référentiel": entry.referential,
            "Statut": entry.status_label,
            "Exigence du catalogue": "\n".join(_requirement(c.requirement) for c in entry.covering),
            "Résultat de l'exigence": ", ".join(c.requirement.outcome.label for c in entry.covering),
        }
        listed = False
        for number, covering, group in view.scenarios(entry):
            scenario = official | {
                HEADERS["scenario"]: number,
                HEADERS["scenario_text"]: f"{group.name} ({group.feature_file})",
                "Exigence du catalogue": _requirement(covering.requirement),
                "Résultat de l'exigence": covering.requirement.outcome.label,
            }
            proved = False
            for proof_number, proof in listed_proofs(number, group, PROOFS_LISTED):
                yield _row(
                    scenario
                    | {
                        HEADERS["proof"]: proof_number,
                        HEADERS["proof_text"]: proof["message"],
                        "Résultat de la preuve": Outcome(proof["outcome"]).label,
                        "Document ou échange": _subject(proof),
                        "Emplacement": _where(proof),
                        "Preuve dans evidence.zip": proof.get("member"),
                    }
                )
                proved = True
            if not proved:
                yield _row(scenario | {"Résultat de la preuve": group.outcome.label})
            elif len(group.proofs) > PROOFS_LISTED:
                more = len(group.proofs) - PROOFS_LISTED
                yield _row(
                    scenario | {HEADERS["proof_text"]: f"… et {more} autres preuves : report.json, section official"}
                )
            listed = True
        if not listed:
            yield _row(official)


def _row(cells: dict[str, object]) -> list[object]:
    return [cells.get(column) for column in REM_COLUMNS]


def write_rem_xlsx(view: OfficialView, out: IO[bytes]) -> None:
    """``rem-preuves.xlsx``, written row by row (openpyxl write-only); a view longer than a worksheet ends with a
    row that says so (``report.json`` has every proof)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Preuves")
    sheet.append([_cell(sheet, h) for h in REM_COLUMNS])
    for count, row in enumerate(rem_rows(view), start=2):
        if count == EXCEL_ROWS:
            sheet.append([_cell(sheet, "… preuves suivantes dans report.json (section official)")])
            break
        sheet.append([_cell(sheet, v) for v in row])
    book.save(out)
