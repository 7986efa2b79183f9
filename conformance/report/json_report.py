"""``report.json``: the canonical, versioned form of a run, and its inverse."""

from __future__ import annotations

import json
from pathlib import Path

from ..model import SCHEMA_VERSION, RunResult


class ReportVersionError(ValueError):
    pass


def dumps(data: object) -> str:
    """JSON text that always encodes to UTF-8 (lone surrogates from hostile input fall back to escapes)."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True, indent=2)
    return text + "\n"


def render_json(run: RunResult) -> str:
    return dumps(run.to_dict())


def load_run(path: str | Path) -> RunResult:
    """Read a ``report.json`` back; refuses another major schema version rather than misreading it."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    version = str(data.get("schema_version", ""))
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ReportVersionError(
            f"{path} : version de schéma {version or 'absente'} incompatible avec {SCHEMA_VERSION}."
        )
    return RunResult.from_dict(data)
