"""INS in HL7 v2 (PAM FR): read the PID segment with hl7apy (reader) and check where the INS,
its traits and the identity status sit (INS-13).

Files may carry MLLP framing, several messages, CR/LF/CRLF segment separators and ISO-8859-1
text; line numbers in locations are the segment's line in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hl7apy import SUPPORTED_LIBRARIES
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Field, Segment
from hl7apy.exceptions import HL7apyException
from hl7apy.parser import parse_message

from ..decides import decides
from ..model import Finding, Location, failed, omitted, passed, skipped
from .identity import INS_OIDS, PAM_FR_0445, STATUSES, Identity, is_ins_oid, normalise_date
from .rules import InsRules, default_rules

_BATCH = ("FHS", "BHS", "BTS", "FTS")
# PID's INS fields are stable across versions: a version hl7apy does not ship (2.9, 2.10…) is
# read with the newest one it has instead of being reported as unreadable.
_FALLBACK_VERSION = max(SUPPORTED_LIBRARIES, key=lambda v: tuple(int(x) for x in v.split(".")))


def _with_known_version(msh: str) -> str:
    """MSH with MSH-12 replaced by a version hl7apy ships, when it names another one."""
    sep = msh[3:4]
    fields = msh.split(sep)
    if len(fields) > 11:
        version, _, rest = fields[11].partition("^")
        if version not in SUPPORTED_LIBRARIES:
            fields[11] = _FALLBACK_VERSION + (("^" + rest) if rest else "")
    return sep.join(fields)


@dataclass
class Pid:
    """One PID segment of one message, with where it sits in the file."""

    path: str
    line: int
    segment: Segment

    def fields(self, name: str) -> list[Field]:
        return [c for c in self.segment.children if c.name == name]

    def at(self, ref: str) -> Location:
        return Location(file=self.path, xpath=ref, line=self.line)


def part(element, *names: str) -> str:
    """ER7 text of a child component (``part(cx, "CX_4", "HD_2")``), '' when absent."""
    for name in names:
        element = next((c for c in element.children if c.name == name), None)
        if element is None:
            return ""
    return element.to_er7()


def parse_pids(text: str, path: str) -> tuple[list[Pid], list[str]]:
    """PID segments of every message in the text, and French descriptions of parse errors."""
    lines = re.split(r"\r\n|\r|\n", text.replace("\x0b", "").replace("\x1c", ""))
    messages: list[list[tuple[int, str]]] = []
    for number, segment in enumerate(lines, 1):
        if segment.startswith("MSH"):
            messages.append([])
        if messages and segment.strip() and segment[:3] not in _BATCH:
            messages[-1].append((number, segment))
    pids, errors = [], []
    if not messages:
        errors.append("aucun segment MSH")
    for segments in messages:
        try:
            # Only MSH and PID are parsed: an MDM's OBX may embed megabytes of document.
            message = parse_message(
                "\r".join(
                    _with_known_version(s) if s.startswith("MSH") else s for _, s in segments if s[:3] in ("MSH", "PID")
                ),
                validation_level=VALIDATION_LEVEL.TOLERANT,
                find_groups=False,
            )
        except (HL7apyException, ValueError, KeyError, IndexError, AttributeError) as exc:
            errors.append(f"message ligne {segments[0][0]} illisible : {exc}")
            continue
        pid_lines = iter(n for n, s in segments if s.startswith("PID"))
        for child in message.children:
            if child.name == "PID":
                pids.append(Pid(path, next(pid_lines, segments[0][0]), child))
    return pids, errors


def ins_repetitions(pid: Pid, rules: InsRules) -> list[tuple[int, Field]]:
    """(1-based index, repetition) of the PID-3 identifiers read as INS, known OIDs first."""
    types = rules.hl7_identifier_types + rules.hl7_legacy_identifier_types
    found = [
        (i, rep)
        for i, rep in enumerate(pid.fields("PID_3"), 1)
        if part(rep, "CX_5") in types or is_ins_oid(part(rep, "CX_4", "HD_2"))
    ]
    return sorted(found, key=lambda item: part(item[1], "CX_4", "HD_2") not in INS_OIDS)


def _name(pid: Pid, kind: str) -> tuple[int, Field] | None:
    reps = list(enumerate(pid.fields("PID_5"), 1))
    return next(((i, r) for i, r in reps if part(r, "XPN_7") == kind), None)


def read_pid(pid: Pid, rules: InsRules | None = None) -> Identity:
    rules = rules or default_rules()
    ident = Identity(source_kind="hl7v2", path=pid.path, where={"identity": pid.at("PID")})
    ins = ins_repetitions(pid, rules)
    if ins:
        i, rep = ins[0]
        ident.matricule, ident.oid = part(rep, "CX_1"), part(rep, "CX_4", "HD_2") or None
        ident.where |= {"matricule": pid.at(f"PID-3[{i}].1"), "oid": pid.at(f"PID-3[{i}].4.2")}
    birth = _name(pid, "L") or _name(pid, "")
    if birth:
        i, rep = birth
        ident.birth_family = part(rep, "XPN_1").split("&")[0] or None
        ident.first_given = part(rep, "XPN_2") or None
        further = part(rep, "XPN_3")
        if rules.hl7_given_list_component == "further":
            further = " ".join(p for p in (ident.first_given, further) if p)
        ident.given_list = further or None
        ident.where |= {
            "birth_family": pid.at(f"PID-5[{i}].1"),
            "first_given": pid.at(f"PID-5[{i}].2"),
            "given_list": pid.at(f"PID-5[{i}].3"),
        }
    used = _name(pid, "D")
    if used:
        ident.used_family = part(used[1], "XPN_1").split("&")[0] or None
        ident.used_given = part(used[1], "XPN_2") or None
    ident.birth_date = normalise_date(part(pid.segment, "PID_7") or None)
    ident.sex = part(pid.segment, "PID_8") or None
    ident.where |= {"birth_date": pid.at("PID-7"), "sex": pid.at("PID-8")}
    for i, rep in enumerate(pid.fields("PID_11"), 1):
        if part(rep, "XAD_7") == "BDL":
            ident.birth_place = part(rep, "XAD_9") or None
            ident.where["birth_place"] = pid.at(f"PID-11[{i}].9")
            break
    codes = [(i, rep.to_er7()) for i, rep in enumerate(pid.fields("PID_32"), 1)]
    statuses = [(i, c) for i, c in codes if c in STATUSES]
    if statuses:
        ident.status, ident.status_system = statuses[0][1], PAM_FR_0445
        ident.where["status"] = pid.at(f"PID-32[{statuses[0][0]}]")
    ident.attributes = tuple(c for i, c in codes if c and (not statuses or i != statuses[0][0]))
    ident.where["attributes"] = pid.at("PID-32")
    return ident


def read_hl7v2(text: str, path: str, rules: InsRules | None = None) -> tuple[list[Identity], list[str]]:
    pids, errors = parse_pids(text, path)
    return [read_pid(pid, rules) for pid in pids], errors


@decides("INS-13")
def _check_pid(pid: Pid, rules: InsRules) -> list[Finding]:
    ins = ins_repetitions(pid, rules)
    if not ins:
        return [omitted("INS-13", "Aucun INS en PID-3 : placement de l'INS non vérifiable.", pid.at("PID-3"))]
    out = []
    for i, rep in ins:
        ref, oid, kind = f"PID-3[{i}]", part(rep, "CX_4", "HD_2"), part(rep, "CX_5")
        if not part(rep, "CX_1"):
            out.append(failed("INS-13", f"{ref} : matricule INS absent (composant 1).", pid.at(ref), rep.to_er7()))
        if not oid or part(rep, "CX_4", "HD_3") != "ISO":
            out.append(
                failed(
                    "INS-13",
                    f"{ref} : autorité d'affectation attendue sous la forme nom&OID&ISO (composant 4).",
                    pid.at(f"{ref}.4"),
                    rep.to_er7(),
                )
            )
        if kind not in rules.hl7_identifier_types:
            legacy = " (code obsolète)" if kind in rules.hl7_legacy_identifier_types else ""
            out.append(
                failed(
                    "INS-13",
                    f"{ref} : type d'identifiant « {kind} »{legacy}, attendu "
                    f"{' ou '.join(rules.hl7_identifier_types)} (composant 5).",
                    pid.at(f"{ref}.5"),
                    kind,
                )
            )
    birth = _name(pid, "L")
    if birth is None or not part(birth[1], "XPN_1"):
        out.append(
            failed(
                "INS-13", "PID-5 : aucun nom de naissance de type L (nom^premier prénom^prénoms^^^^L).", pid.at("PID-5")
            )
        )
    for ref, label in (("PID_7", "date de naissance"), ("PID_8", "sexe"), ("PID_32", "statut de l'identité")):
        if not any(rep.to_er7() for rep in pid.fields(ref)):
            out.append(
                failed(
                    "INS-13",
                    f"{ref.replace('_', '-')} ({label}) absent alors que l'INS est transmis.",
                    pid.at(ref.replace("_", "-")),
                )
            )
    if not any(part(r, "XAD_7") == "BDL" and part(r, "XAD_9") for r in pid.fields("PID_11")):
        out.append(
            failed(
                "INS-13",
                "PID-11 : aucune adresse de type BDL portant le code COG du lieu de naissance (composant 9).",
                pid.at("PID-11"),
            )
        )
    return out or [
        passed(
            "INS-13",
            "Segment PID conforme : INS en PID-3, traits en PID-5 (L), PID-7, PID-8, PID-11 (BDL) et statut en PID-32.",
            pid.at("PID"),
        )
    ]


def check_hl7v2_pid(text: str, path: str, rules: InsRules | None = None) -> list[Finding]:
    """INS-13: INS in PID-3, traits in PID-5 (L), PID-7, PID-8, PID-11 (BDL), status in PID-32."""
    rules = rules or default_rules()
    pids, errors = parse_pids(text, path)
    out = [
        skipped("INS-13", f"Message HL7 v2 non analysable : {e} (voir GEN-01).", Location(file=path)) for e in errors
    ]
    for pid in pids:
        out += _check_pid(pid, rules)
    return out or [omitted("INS-13", "Aucun segment PID dans le fichier.", Location(file=path))]
