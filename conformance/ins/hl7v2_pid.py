"""INS in HL7 v2 (PAM FR): read the PID segment of every message (reader) and check where the INS,
its traits and the identity status sit (INS-13).

The reader splits ER7 itself, in one pass over the text: a file may hold tens of thousands of
messages and a hostile field a hundred thousand repetitions (issue 21), so each field keeps at most
``MAX_REPETITIONS`` repetitions and the cut is reported. Files may carry MLLP framing, several
messages, CR/LF/CRLF segment separators and ISO-8859-1 text; line numbers in locations are the
segment's line in the file. Values are kept as written (ER7 escapes included). The HL7 delete value
``""`` is an instruction (IHE PAM France 2.11.2 deletes an INS with it, §4.4.3, §4.4.4), never a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from ..decides import decides
from ..model import Finding, Location, failed, omitted, passed, skipped
from .identity import (
    HL7_DELETE,
    HL7_DELETE_SOURCE,
    INS_OIDS,
    PAM_FR_0445,
    STATUSES,
    Identity,
    is_ins_c,
    is_ins_oid,
    normalise_date,
)
from .rules import InsRules, default_rules

_BATCH = ("FHS", "BHS", "BTS", "FTS")
_LINES = re.compile(r"\r\n|\r|\n")
# Far above any real PID (a handful of identifiers, names, addresses); a field beyond it is read only
# up to the cap, and the reader says so (GEN-01, données insuffisantes).
MAX_REPETITIONS = 100
# PID fields the reader uses, with their French label for the cut finding.
READ_FIELDS = {3: "identifiants", 5: "noms", 7: "date de naissance", 8: "sexe", 11: "adresses", 32: "statut"}


@dataclass(frozen=True)
class Encoding:
    """MSH-1 and MSH-2 of a message: the separators its segments are written with."""

    field: str
    component: str
    repetition: str
    subcomponent: str


def _encoding(msh: str) -> Encoding | str:
    """The message's separators, or why its MSH cannot give them (French)."""
    if len(msh) < 8:
        return "segment MSH tronqué (MSH-1 et MSH-2 attendus)"
    sep = msh[3]
    chars = msh[4:].split(sep, 1)[0]
    if not 4 <= len(chars) <= 5 or any(c.isalnum() or c in (sep, " ") for c in chars) or len(set(chars)) < len(chars):
        return f"caractères d'encodage MSH-2 « {chars[:10]} » invalides (attendu 4 séparateurs, par exemple ^~\\&)"
    if sep.isalnum() or sep.isspace():
        return f"séparateur de champs MSH-1 « {sep} » invalide"
    return Encoding(field=sep, component=chars[0], repetition=chars[1], subcomponent=chars[3])


def deleted(value: str) -> bool:
    """The HL7 delete value, as a whole field, component or sub-component."""
    return value == HL7_DELETE


def _value(text: str) -> str | None:
    """A component as a reader value: None when empty or deleted."""
    return None if not text or deleted(text) else text


class Rep(NamedTuple):
    """One repetition of a field, split on demand (a tuple: cheap to build by the thousand)."""

    text: str
    enc: Encoding

    def get(self, component: int, sub: int | None = None) -> str:
        """ER7 text of a component (1-based) or of one of its sub-components; '' when absent."""
        # split(sep, n) leaves the first n pieces exact and the rest in piece n+1: bounded work per call.
        parts = self.text.split(self.enc.component, component)
        text = parts[component - 1] if len(parts) >= component else ""
        if sub is None:
            return text
        subs = text.split(self.enc.subcomponent, sub)
        return subs[sub - 1] if len(subs) >= sub else ""


@dataclass
class Pid:
    """One PID segment of one message, with where it sits in the file."""

    path: str
    line: int
    enc: Encoding
    raw: list[str] = field(repr=False)  # raw[n] is the text of PID-n
    msh: list[str] = field(default_factory=list, repr=False)  # msh[n] is the text of MSH-n of its message
    _split: dict[int, list[Rep]] = field(default_factory=dict, repr=False)

    def text(self, number: int) -> str:
        return self.raw[number] if number < len(self.raw) else ""

    def repetitions(self, number: int) -> list[Rep]:
        """The first MAX_REPETITIONS repetitions of PID-n ([] when empty)."""
        if number not in self._split:
            text = self.text(number)
            pieces = text.split(self.enc.repetition, MAX_REPETITIONS)[:MAX_REPETITIONS] if text else []
            self._split[number] = [Rep(t, self.enc) for t in pieces]
        return self._split[number]

    def first(self, number: int) -> str:
        """First repetition of PID-n, as written."""
        return self.text(number).split(self.enc.repetition, 1)[0]

    def cuts(self) -> list[tuple[int, int]]:
        """(field number, repetitions written) of each field the reader uses that holds more than it reads."""
        counts = ((n, self.text(n).count(self.enc.repetition) + 1) for n in READ_FIELDS)
        return [(n, count) for n, count in counts if count > MAX_REPETITIONS]

    def at(self, ref: str) -> Location:
        return Location(file=self.path, xpath=ref, line=self.line)


def _segments(text: str) -> Iterator[tuple[int, str]]:
    """(line number, segment) of each non-empty line, MLLP framing removed."""
    for number, segment in enumerate(_LINES.split(text.replace("\x0b", "").replace("\x1c", "")), 1):
        if segment.strip():
            yield number, segment


def parse_pids(text: str, path: str) -> tuple[list[Pid], list[str]]:
    """PID segments of every message in the text, and French descriptions of messages that cannot be read."""
    pids: list[Pid] = []
    errors: list[str] = []
    enc: Encoding | None = None
    msh: list[str] = []
    seen_msh = False
    for number, segment in _segments(text):
        if segment.startswith("MSH"):
            seen_msh = True
            found = _encoding(segment)
            if isinstance(found, str):
                errors.append(f"message ligne {number} illisible : {found}")
                enc = None
            else:
                enc = found
                msh = ["", *segment.split(enc.field)]  # MSH-1 is the separator itself: msh[n] is MSH-n
        elif enc is not None and segment.startswith("PID") and segment[3:4] in ("", enc.field):
            pids.append(Pid(path, number, enc, segment.split(enc.field), msh))
    if not seen_msh:
        errors.append("aucun segment MSH")
    return pids, errors


def is_ins_repetition(rep: Rep, rules: InsRules) -> bool:
    """A PID-3 repetition written as an INS: INS type code or INS authority OID (never an INS-C)."""
    oid = rep.get(4, 2)
    if is_ins_c(oid):
        return False
    return rep.get(5) in rules.hl7_identifier_types + rules.hl7_legacy_identifier_types or is_ins_oid(oid)


def ins_repetitions(pid: Pid, rules: InsRules) -> list[tuple[int, Rep]]:
    """(1-based index, repetition) of the PID-3 identifiers read as INS, known OIDs first; a deletion
    (delete value as identifier) is no INS."""
    found = [
        (i, rep)
        for i, rep in enumerate(pid.repetitions(3), 1)
        if is_ins_repetition(rep, rules) and not deleted(rep.get(1))
    ]
    return sorted(found, key=lambda item: item[1].get(4, 2) not in INS_OIDS)


def ins_deletion(pid: Pid, rules: InsRules) -> str | None:
    """Where the message deletes the INS: PID-3 sent as the delete value, or an INS repetition whose
    identifier is the delete value; None when it deletes none."""
    if deleted(pid.text(3)):
        return "PID-3"
    return next(
        (
            f"PID-3[{i}]"
            for i, rep in enumerate(pid.repetitions(3), 1)
            if deleted(rep.get(1)) and is_ins_repetition(rep, rules)
        ),
        None,
    )


def _name(pid: Pid, kind: str) -> tuple[int, Rep] | None:
    return next(((i, r) for i, r in enumerate(pid.repetitions(5), 1) if r.get(7) == kind), None)


def read_pid(pid: Pid, rules: InsRules | None = None) -> Identity:
    rules = rules or default_rules()
    ident = Identity(source_kind="hl7v2", path=pid.path, where={"identity": pid.at("PID")})
    ins = ins_repetitions(pid, rules)
    if ins:
        i, rep = ins[0]
        ident.matricule, ident.oid = rep.get(1), _value(rep.get(4, 2))
        ident.where |= {"matricule": pid.at(f"PID-3[{i}].1"), "oid": pid.at(f"PID-3[{i}].4.2")}
    else:
        deletion = ins_deletion(pid, rules)
        if deletion:
            ident.ins_deleted, ident.where["ins_deleted"] = True, pid.at(deletion)
    insc = next(((i, r) for i, r in enumerate(pid.repetitions(3), 1) if is_ins_c(r.get(4, 2))), None)
    if insc:
        ident.note_ins_c(_value(insc[1].get(1)), pid.at(f"PID-3[{insc[0]}]"))
    birth = _name(pid, "L") or _name(pid, "")
    if birth:
        i, rep = birth
        ident.birth_family = _value(rep.get(1, 1))
        ident.first_given = _value(rep.get(2))
        further = _value(rep.get(3))
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
        ident.used_family = _value(used[1].get(1, 1))
        ident.used_given = _value(used[1].get(2))
    ident.birth_date = normalise_date(_value(pid.first(7)))
    ident.sex = _value(pid.first(8))
    ident.where |= {"birth_date": pid.at("PID-7"), "sex": pid.at("PID-8")}
    for i, rep in enumerate(pid.repetitions(11), 1):
        if rep.get(7) == "BDL":
            ident.birth_place = _value(rep.get(9))
            ident.where["birth_place"] = pid.at(f"PID-11[{i}].9")
            break
    codes = [(i, rep.text) for i, rep in enumerate(pid.repetitions(32), 1) if not deleted(rep.text)]
    statuses = [(i, c) for i, c in codes if c in STATUSES]
    if statuses:
        ident.status, ident.status_system = statuses[0][1], PAM_FR_0445
        ident.where["status"] = pid.at(f"PID-32[{statuses[0][0]}]")
    ident.attributes = tuple(c for i, c in codes if c and (not statuses or i != statuses[0][0]))
    ident.where["attributes"] = pid.at("PID-32")
    return ident


def read_pids(pids: list[Pid], rules: InsRules | None = None) -> list[Identity]:
    return [read_pid(pid, rules) for pid in pids]


def read_hl7v2(text: str, path: str, rules: InsRules | None = None) -> tuple[list[Identity], list[str]]:
    pids, errors = parse_pids(text, path)
    return read_pids(pids, rules), errors


def cut_findings(pids: list[Pid]) -> list[Finding]:
    """GEN-01 (données insuffisantes) for each field read only up to MAX_REPETITIONS: what lies beyond,
    an INS included, is not judged."""
    return [
        skipped(
            "GEN-01",
            f"PID-{n} ({READ_FIELDS[n]}) : {count} répétitions trouvées ; le harnais en lit au plus "
            f"{MAX_REPETITIONS} : les suivantes ne sont pas vérifiées.",
            pid.at(f"PID-{n}"),
            str(count),
        )
        for pid in pids
        for n, count in pid.cuts()
    ]


def _deleted_or_absent(pid: Pid, number: int) -> str:
    return 'supprimé (valeur « "" »)' if deleted(pid.first(number)) else "absent"


@decides("INS-13")
def _check_pid(pid: Pid, rules: InsRules) -> list[Finding]:
    ins = ins_repetitions(pid, rules)
    if not ins:
        deletion = ins_deletion(pid, rules)
        if deletion:
            return [
                omitted(
                    "INS-13",
                    f"{deletion} porte la valeur de suppression HL7 « {HL7_DELETE} » : ce message supprime l'INS "
                    f"({HL7_DELETE_SOURCE}) ; placement de l'INS et traits INS non exigés.",
                    pid.at(deletion),
                    pid.text(3)[:200],
                )
            ]
        return [omitted("INS-13", "Aucun INS en PID-3 : placement de l'INS non vérifiable.", pid.at("PID-3"))]
    out = []
    for i, rep in ins:
        ref, oid, kind = f"PID-3[{i}]", rep.get(4, 2), rep.get(5)
        if not rep.get(1):
            out.append(failed("INS-13", f"{ref} : matricule INS absent (composant 1).", pid.at(ref), rep.text))
        if not oid or rep.get(4, 3) != "ISO":
            out.append(
                failed(
                    "INS-13",
                    f"{ref} : autorité d'affectation « {rep.get(4) or 'absente'} » trouvée, attendue sous la forme "
                    "nom&OID&ISO (composant 4).",
                    pid.at(f"{ref}.4"),
                    rep.text,
                )
            )
        if kind not in rules.hl7_identifier_types:
            legacy = " (code obsolète)" if kind in rules.hl7_legacy_identifier_types else ""
            out.append(
                failed(
                    "INS-13",
                    f"{ref} : type d'identifiant « {kind or 'absent'} »{legacy}, attendu "
                    f"{' ou '.join(rules.hl7_identifier_types)} (composant 5).",
                    pid.at(f"{ref}.5"),
                    kind,
                )
            )
    birth = _name(pid, "L")
    if birth is None or not _value(birth[1].get(1)):
        out.append(
            failed(
                "INS-13", "PID-5 : aucun nom de naissance de type L (nom^premier prénom^prénoms^^^^L).", pid.at("PID-5")
            )
        )
    for number, label in ((7, "date de naissance"), (8, "sexe"), (32, "statut de l'identité")):
        if not any(_value(rep.text) for rep in pid.repetitions(number)):
            out.append(
                failed(
                    "INS-13",
                    f"PID-{number} ({label}) {_deleted_or_absent(pid, number)} alors que l'INS est transmis.",
                    pid.at(f"PID-{number}"),
                )
            )
    if not any(r.get(7) == "BDL" and _value(r.get(9)) for r in pid.repetitions(11)):
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


def check_pids(pids: list[Pid], errors: list[str], path: str, rules: InsRules | None = None) -> list[Finding]:
    """INS-13: INS in PID-3, traits in PID-5 (L), PID-7, PID-8, PID-11 (BDL), status in PID-32."""
    rules = rules or default_rules()
    out = [
        skipped("INS-13", f"Message HL7 v2 non analysable : {e} (voir GEN-01).", Location(file=path)) for e in errors
    ]
    for pid in pids:
        out += _check_pid(pid, rules)
    return out or [omitted("INS-13", "Aucun segment PID dans le fichier.", Location(file=path))]


def check_hl7v2_pid(text: str, path: str, rules: InsRules | None = None) -> list[Finding]:
    pids, errors = parse_pids(text, path)
    return check_pids(pids, errors, path, rules)
