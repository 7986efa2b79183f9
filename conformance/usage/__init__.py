"""Usage criteria for the last funding tranche: what the DUI did, the ARS's targets, the decision.

Sources are recognised by their content: a DUI's usage export (CSV or JSON counts, *déclaratif*,
:mod:`.export`), documents and messages the DUI produced (:mod:`.evidence`, read on ``check``'s
executors and counted by :mod:`.tally`), and the exchanges a live run recorded (``report.json``,
``evidence.zip``). :mod:`.indicators` merges them and compares them with the targets.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

from ..execution.executors import DaskCluster, ProcessPool, batches_of, make_executor
from ..funding import DEFAULT_CAMPAIGN, evaluate, get_ruleset, load_cluster
from ..funding.files import InputError
from ..funding.finess import finess_problem
from ..inputs import FHIR, MEMBER_SEPARATOR, UNKNOWN, InputTooLarge, read_file, run_documents
from ..safezip import ZipProblem
from ..settings import RunSettings
from ..xds import XDM_KIND, XDS_KIND
from ..xmlsafe import MAX_XML_BYTES
from .evidence import (
    MEMBER_OF,
    UNREADABLE,
    Fact,
    Unusable,
    exchange_facts,
    is_evidence_pack,
    is_run_report,
    read_batch,
    read_shipped,
    recorded_exchanges,
    unknown_input,
)
from .export import PeriodCounts, check_rows, read_export
from .indicators import Funding, Indicators, Targets, combine, compare, compute, evaluate_usage, load_targets
from .tally import EvidenceResult, Tally

_SNIFF = 8192
_TEXT = (UNKNOWN, FHIR, XDS_KIND)  # kinds a JSON file may be recognised as


@dataclass
class Sources:
    """The inputs of one evaluation, sorted by what they are."""

    declared: list[Path] = field(default_factory=list)  # usage exports (CSV, JSON)
    runs: list[Path] = field(default_factory=list)  # report.json, evidence.zip
    documents: list[tuple[str, str]] = field(default_factory=list)  # (path, kind, « outer>kind » for a member)
    unusable: list[Unusable] = field(default_factory=list)


def sort_sources(paths: list[Path], max_bytes: int) -> Sources:
    """Every file named or found in a folder named, recognised by its content (``run_documents``, the list
    ``check`` evaluates): usage exports and live-run reports are told apart from the documents, which keep
    the kind of the file that carries them. An IHE_XDM.ZIP without a readable document is listed."""
    found = Sources()
    outer, outer_kind, members = "", "", 0
    named: list[str | os.PathLike] = list(paths)
    for path, kind in run_documents(named, max_bytes):
        if outer and path.startswith(outer + MEMBER_SEPARATOR):
            found.documents.append((path, f"{outer_kind}{MEMBER_OF}{kind}"))
            members += 1
            continue
        _empty_archive(found, outer, outer_kind, members)
        outer, outer_kind, members = path, kind, 0
        # A report or an export in JSON may hold text another kind is recognised by (an ITI-41 body).
        head = read_file(path, _SNIFF)[:_SNIFF].removeprefix(b"\xef\xbb\xbf").lstrip() if kind in _TEXT else b""
        if is_usage_export(path, head):
            found.declared.append(Path(path))
        elif is_run_report(head) or (kind == XDM_KIND and is_evidence_pack(read_file(path, max_bytes), max_bytes)):
            found.runs.append(Path(path))
            outer_kind = ""  # a run's pack is no archive of documents
        elif kind == UNKNOWN:
            found.unusable.append(unknown_input(path, kind))
        else:
            found.documents.append((path, kind))
    _empty_archive(found, outer, outer_kind, members)
    return found


def is_usage_export(path: str, head: bytes) -> bool:
    """A DUI's usage export: a CSV whose header starts with ``finess``, a JSON object with ``periodes``."""
    if path.lower().endswith(".csv"):
        return head.lower().startswith(b"finess")
    return head.startswith(b"{") and b'"periodes"' in head and not is_run_report(head)


def _empty_archive(found: Sources, path: str, kind: str, members: int) -> None:
    if kind == XDM_KIND and not members:
        found.unusable.append(Unusable(path, "archive", UNREADABLE, "IHE_XDM.ZIP sans document CDA lisible"))


def read_documents(
    documents: list[tuple[str, str]], executor: str | None, jobs: int, max_bytes: int
) -> Iterator[list[Fact]]:
    """The facts of every document, batch by batch, on the executors ``check`` uses (this process, local
    processes, Dask): each batch's facts are handed on and forgotten, so memory stays flat."""
    settings = RunSettings(mode="usage", max_bytes=max_bytes)
    runner = make_executor(executor, jobs, len(documents))
    batches = batches_of(documents, runner.workers)
    try:
        # The executors' seam (``task``: what a worker runs on a batch) takes the usage reader; its facts
        # travel as the conformity plan's scenarios do.
        if isinstance(runner, DaskCluster):
            runner.task = cast(Any, read_shipped)
        elif isinstance(runner, ProcessPool):
            runner.task = cast(Any, read_batch)
        else:
            yield from map(partial(read_batch, settings=settings), batches)
            return
        yield from cast(Iterator[list[Fact]], runner.run(batches, settings))
    finally:
        runner.close()


def _mailboxes(cluster: dict[str, Any]) -> dict[str, str]:
    """Mailbox → FINESS from the cluster file; a mailbox declared for two ESMS is an error."""
    owners: dict[str, str] = {}
    errors = []
    for og in cluster["organismes"]:
        for esms in og["esms"]:
            for mailbox in esms.get("bal", []):
                address = mailbox.strip().lower()
                if owners.get(address, esms["finess"]) != esms["finess"]:
                    errors.append(f"boîte aux lettres {address} déclarée pour {owners[address]} et {esms['finess']}")
                owners[address] = esms["finess"]
    if errors:
        raise InputError("fichier de grappe", errors)
    return owners


def _funding(cluster: dict[str, Any], campaign_dirs: list[Path] | None) -> Funding:
    """Which ESMS the grant covers, read from the cluster's funding evaluation (its JSON form): an ESMS whose
    DUI line is refused (beyond the cap, an acquisition after a signed contract…) gates nothing; when the
    ESMS kept exceed the cap, the ARS chooses which ones are funded (``detail.plafond``)."""
    result = evaluate(cluster, get_ruleset(cluster["campagne"], campaign_dirs)).to_dict()
    refused = {
        esms["finess"]: None if esms["parts"][0]["accordee"] else (esms["parts"][0]["motif"] or "part DUI refusée")
        for og in result["detail"]["organismes"]
        for esms in og["esms"]
    }
    return Funding(refused, (result["detail"].get("plafond") or {}).get("esms_finances"))


def evaluate_exports(
    sources: list[Path],
    targets_path: Path,
    cluster_path: Path | None = None,
    extra_rulesets: list[Path] | None = None,
    executor: str | None = None,
    jobs: int = 0,
    max_bytes: int = MAX_XML_BYTES,
) -> dict[str, Any]:
    """Read every source and the targets, count what the evidence shows, and evaluate ESMS by ESMS.

    With a cluster file, a FINESS absent from it is an error in a usage export and makes an item of
    evidence unattributable; its ESMS without data are listed, its mailboxes attribute the messages,
    and an ESMS its funding leaves out gates nothing. The FINESS format is the one of the cluster's
    campaign (else of the default campaign).
    """
    targets = load_targets(targets_path)
    cluster = load_cluster(cluster_path) if cluster_path else None
    finess_rule = get_ruleset(cluster["campagne"] if cluster else DEFAULT_CAMPAIGN, extra_rulesets).rule("finess") or {
        "motif": r"^.{9}$",
        "cle": "aucune",
    }
    names = {e["finess"]: e["nom"] for og in cluster["organismes"] for e in og["esms"]} if cluster else None
    mailboxes = _mailboxes(cluster) if cluster else {}
    found = sort_sources(sources, max_bytes)
    rows: list[PeriodCounts] = []
    errors: list[str] = []
    for path in found.declared:
        try:
            rows += read_export(path)
        except InputError as exc:
            errors += [f"{exc.source} : {e}" for e in exc.errors]
    if not errors:
        errors = check_rows(
            rows,
            set(names) if names is not None else None,
            lambda f: finess_problem(f, finess_rule["motif"], finess_rule["cle"]),
        )
    evidence = found.documents or found.runs or found.unusable
    if evidence and targets.window is None:
        errors.append(
            f"{targets_path} : les preuves se comptent sur une période, « periode » (debut, fin) attendue "
            "dans le fichier de cibles"
        )
    if errors:
        raise InputError("sources d'usage", errors)
    result = evaluate_usage(
        rows,
        targets,
        names,
        [str(p) for p in sources],
        _count(found, targets.window, names, mailboxes, executor, jobs, max_bytes)
        if targets.window and evidence
        else None,
        _funding(cluster, extra_rulesets) if cluster else None,
    )
    result["grappe"]["fichier"] = str(cluster_path) if cluster_path else None
    return result


def _count(
    found: Sources,
    window: tuple[datetime.date, datetime.date],
    names: dict[str, str] | None,
    mailboxes: dict[str, str],
    executor: str | None,
    jobs: int,
    max_bytes: int,
) -> EvidenceResult:
    """Every fact of the documents and of the runs' recorded exchanges, through the counting rules."""
    tally = Tally(window, list(names) if names is not None else None, mailboxes)
    for unusable in found.unusable:
        tally.add(unusable)
    for facts in read_documents(found.documents, executor, jobs, max_bytes):
        for fact in facts:
            tally.add(fact)
    for run in found.runs:
        try:
            for source, exchange in recorded_exchanges(run, max_bytes):
                tally.read["échange enregistré"] += 1
                for seen in exchange_facts(exchange, source):
                    tally.add(seen)
        except (ZipProblem, ValueError, AttributeError, InputTooLarge) as exc:
            tally.add(Unusable(str(run), "fichier", UNREADABLE, f"exécution illisible : {exc}"))
    return tally.result()


__all__ = [
    "PeriodCounts",
    "Indicators",
    "Targets",
    "compute",
    "combine",
    "compare",
    "evaluate_exports",
    "evaluate_usage",
    "load_targets",
    "read_export",
    "sort_sources",
]
