"""The referential each Ségur wave judges against (``waves.toml``): what every report names in its header.

Data, not code, so that the lead or a vendor updates the version and status when the DUI vague 2 texts are published
(only a prepublication is sourced today). :func:`wave_referential` is the one reader the report writers call.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .catalogue import WAVES, CatalogueError, check_wave

# A referential's status, for the waves and the official ids alike (official.py): published text, ANS draft, or
# reported by a third party (never a wave's own referential).
STATUSES = ("publie", "projet", "non verifie")
STATUS_LABELS = {"publie": "publié", "projet": "projet", "non verifie": "non vérifié"}
WAVE_STATUSES = STATUSES[:2]


@dataclass(frozen=True)
class WaveReferential:
    wave: int
    name: str
    version: str
    status: str  # one of WAVE_STATUSES
    source: str
    reference: str  # the file under ../shared/reference that names it
    cite: str  # the text of that file that names it

    def to_dict(self) -> dict[str, object]:
        """The ``referentiel`` object of report.json."""
        return {
            "vague": self.wave,
            "nom": self.name,
            "version": self.version,
            "statut": self.status,
            "source": self.source,
        }

    def describe(self) -> str:
        """The one French header line of the HTML and Markdown reports."""
        return f"Vague {self.wave} — {self.name}, {self.version} ({STATUS_LABELS[self.status]})"


def parse_waves(text: str, name: str = "waves.toml") -> dict[int, WaveReferential]:
    """Every wave's referential, validated: each known wave once, each field present."""
    data = tomllib.loads(text)
    out: dict[int, WaveReferential] = {}
    for key, row in data.get("wave", {}).items():
        where = f"{name} : vague {key}"
        try:
            wave = check_wave(int(key))
        except (ValueError, CatalogueError) as exc:
            raise CatalogueError(f"{where} : {exc}") from None
        fields = {}
        for field in ("name", "version", "status", "source", "reference", "cite"):
            value = row.get(field)
            if not isinstance(value, str) or not value.strip():
                raise CatalogueError(f"{where} : champ « {field} » absent ou vide.")
            fields[field] = value
        if fields["status"] not in WAVE_STATUSES:
            raise CatalogueError(f"{where} : statut {fields['status']!r} hors de {', '.join(WAVE_STATUSES)}.")
        out[wave] = WaveReferential(wave=wave, **fields)
    missing = [w for w in WAVES if w not in out]
    if missing:
        raise CatalogueError(f"{name} : vague(s) {missing} sans référentiel.")
    return out


@lru_cache(maxsize=1)
def _builtin() -> dict[int, WaveReferential]:
    return parse_waves((resources.files(__package__) / "waves.toml").read_text(encoding="utf-8"))


def wave_referential(wave: int) -> WaveReferential:
    """The referential a run of ``wave`` judged against."""
    return _builtin()[check_wave(wave)]
