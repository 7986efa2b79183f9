"""Settings of one run, serialisable so that pytest-xdist workers see the same run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import import_module
from pathlib import Path

# The plan: its Gherkin folder and step modules are loaded, never imported by name (the library does not
# depend on them, they depend on it).
FEATURES_PACKAGE = "dui_conformance.features"
FEATURES_DIR = Path(import_module(FEATURES_PACKAGE).__path__[0])
OFFLINE = "hors-ligne"
LIVE = "direct"
LIVE_SUBJECT = "session directe"  # the subject of the live phase's scenarios (no document)
ALL_KINDS = "tout"  # an offline scenario tagged so runs on documents of every kind
# Report formats, in writing order (``report.write_reports``); here so that the CLI starts without the writers.
REPORT_FORMATS = ("json", "html", "junit", "cucumber", "markdown", "evidence", "rem")


@dataclass
class RunSettings:
    mode: str  # check | run | demo
    inputs: list[str] = field(default_factory=list)
    profile: str = "recette"
    environment: str = "test"  # test | production: which INS OIDs are expected
    phases: list[str] = field(default_factory=lambda: [OFFLINE])
    requirements: list[str] = field(default_factory=list)  # restrict to these ids (empty: all)
    wave: int = 1  # the Ségur wave judged (--vague): its requirements only; 1 until the DUI vague 2 REM is official
    catalogue_dirs: list[str] = field(default_factory=list)
    referential_cda: str | None = None
    value_sets: str | None = None
    max_bytes: int = 200 * 1024 * 1024
    mss_nil: str | None = None  # X-MSS-NIL expected (SC.MSS/CONF.16: the software's Ségur referencing number)
    results_path: str = ""

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> RunSettings:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))
