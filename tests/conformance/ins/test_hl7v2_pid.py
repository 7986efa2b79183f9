"""The HL7 v2 PID segment (ins/hl7v2_pid.py): the reader's fields and locations, and INS-13, where the INS sits."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dui_conformance.inputs import load
from dui_conformance.ins import (
    check_document,
    check_hl7v2_pid,
    load_rules,
    read_hl7v2,
    read_identities,
)
from dui_conformance.model import Outcome

from .conftest import FIXTURES, NIR, document, failing

VALID_HL7 = (FIXTURES / "hl7v2/adt_a28_ins_qual.hl7").read_text("utf-8")


def test_hl7v2_valid():
    assert {f.outcome for f in check_hl7v2_pid(VALID_HL7, "m")} == {Outcome.PASS}


@pytest.mark.parametrize(
    "old, new, also",
    [
        ("|N||VALI", "|N||", {"INS-11"}),  # no PID-32: status missing
        ("&ISO^INS", "&ISO^NH", set()),  # legacy identifier type code
        ("^^^^BDL^^21231", "^^^^H^^21231", {"INS-09"}),  # no BDL address
        ("^^^^L~", "^^^^~", set()),  # birth name without type L: still read, tolerantly
        ("^^^^L~", "^^^^D~", {"INS-05", "INS-06"}),  # only used names: no birth name at all
        ("|19420714|", "||", {"INS-07"}),
    ],
)
def test_hl7v2_pid_defects(tmp_path, old, new, also):
    assert old in VALID_HL7
    doc = document(tmp_path, "m.hl7", VALID_HL7.replace(old, new, 1))
    assert failing(check_document(doc)) == {"INS-13", *also}


def test_hl7v2_without_pid_is_omitted():
    text = "MSH|^~\\&|A|B|C|D|20250312||ACK^A01|1|P|2.5\rMSA|AA|1\r"
    assert {f.outcome for f in check_hl7v2_pid(text, "m")} == {Outcome.OMIT}


PID = (
    "PID|1||IPP1^^^EHPAD&2.25.1&ISO^PI~{ins}||LEBRUN-D'ALMEIDA^JEAN-BAPTISTE^JEAN-BAPTISTE LOUIS^^^^L~"
    "LEBRUN^JB^^^^^D||19420714|M|||^^DIJON^^^^BDL^^21231|||||||||||||||||||N||{status}"
)


MSH = "MSH|^~\\&|DUI|EHPAD|RCV|FAC|20250312101500||ADT^A28^ADT_A05|{n}|P|2.5^FRA^2.11|||||FRA|UNICODE UTF-8"


def message(n=1, ins=f"{NIR}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS", status="QUAL", sep="\r"):
    return sep.join([MSH.format(n=n), "EVN||20250312101500", PID.format(ins=ins, status=status), "PV1|1|N"]) + sep


def test_hl7v2_reader_fields_and_locations():
    [identity], errors = read_hl7v2(message(), "m.hl7")
    assert errors == []
    assert (identity.matricule, identity.oid, identity.status) == (NIR, "1.2.250.1.213.1.4.10", "QUAL")
    assert (identity.first_given, identity.given_list, identity.birth_place) == (
        "JEAN-BAPTISTE",
        "JEAN-BAPTISTE LOUIS",
        "21231",
    )
    assert identity.where["matricule"].xpath == "PID-3[2].1" and identity.where["matricule"].line == 3
    assert identity.where["birth_place"].xpath == "PID-11[1].9"


def test_hl7v2_mllp_framing_and_several_messages():
    text = "\x0b" + message(1) + "\x1c\r" + "\x0b" + message(2, status="PROV~DOUT") + "\x1c\r"
    identities, errors = read_hl7v2(text, "m.hl7")
    assert errors == [] and [i.status for i in identities] == ["QUAL", "PROV"]
    # Line 5 holds the frame end (FS CR): the second PID is on line 8, as an editor shows it.
    assert identities[1].attributes == ("DOUT",) and identities[1].where["identity"].line == 8


@pytest.mark.parametrize("sep", ["\n", "\r\n"])
def test_hl7v2_line_feed_separators(sep):
    [identity], errors = read_hl7v2(message(sep=sep), "m.hl7")
    assert errors == [] and identity.status == "QUAL" and identity.where["identity"].line == 3


def test_hl7v2_legacy_nh_type_is_read_as_ins():
    [identity], _ = read_hl7v2(message(ins=f"{NIR}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^NH"), "m")
    assert identity.carries_ins


def test_hl7v2_known_ins_oid_wins_over_ins_c():
    ins = f"0093876492823371705143^^^ASIP-SANTE-INS-C&1.2.250.1.213.1.4.6&ISO^NH~{NIR}^^^X&1.2.250.1.213.1.4.10&ISO^INS"
    [identity], _ = read_hl7v2(message(ins=ins), "m")
    assert identity.matricule == NIR and identity.where["matricule"].xpath == "PID-3[3].1"


def test_hl7v2_further_given_names_mode(tmp_path):
    rules_file = tmp_path / "r.toml"
    rules_file.write_text('[hl7v2]\ngiven_list_component = "further"\n')
    [identity], _ = read_hl7v2(message(), "m", load_rules(rules_file))
    assert identity.given_list == "JEAN-BAPTISTE JEAN-BAPTISTE LOUIS"


def test_ins_identifier_without_value_still_fails_ins01(tmp_path):
    cda = (FIXTURES / "cda/ins/ins_valide_nom_compose.xml").read_text("utf-8")
    path = tmp_path / "no_ext.xml"
    path.write_text(cda.replace(f'extension="{NIR}" ', ""), encoding="utf-8")
    [identity], _ = read_identities(load(path))
    assert identity.carries_ins and identity.matricule == ""
    [hl7], _ = read_hl7v2(message(ins="^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS"), "m")
    assert hl7.carries_ins and hl7.matricule == ""
    failing = {f.requirement for f in check_document(load(path)) if f.outcome is Outcome.FAIL}
    assert failing == {"INS-01"}


INS_REP = f"{NIR}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS"


@pytest.mark.parametrize(
    "ins, where",
    [
        ('""^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS', "PID-3[2]"),  # the INS repetition deleted
        ('""^^^^INS', "PID-3[2]"),  # deleted INS named by its type code only
    ],
)
def test_hl7v2_delete_value_deletes_the_ins(tmp_path, ins, where):
    """IHE PAM France 2.11.2 §4.4.3/§4.4.4: "" is an instruction, not a matricule; no INS rule fails on it."""
    [identity], errors = read_hl7v2(message(ins=ins, status="PROV"), "m")
    assert errors == [] and not identity.carries_ins and identity.ins_deleted
    assert identity.where["ins_deleted"].xpath == where
    findings = check_document(document(tmp_path, "m.hl7", message(ins=ins, status="PROV")))
    assert failing(findings) == set()
    [info] = [f for f in findings if f.requirement == "INS-13"]
    assert info.outcome is Outcome.OMIT and "supprime l'INS" in info.message and '« "" »' in info.message
    assert all("INS supprimé" in f.message for f in findings if f.requirement in ("INS-01", "INS-03", "INS-10"))


def test_hl7v2_whole_pid3_deleted(tmp_path):
    text = message(status="PROV").replace(f"IPP1^^^EHPAD&2.25.1&ISO^PI~{INS_REP}", '""')
    [identity], _ = read_hl7v2(text, "m")
    assert identity.ins_deleted and identity.where["ins_deleted"].xpath == "PID-3"
    assert failing(check_document(document(tmp_path, "m.hl7", text))) == set()


def test_hl7v2_deleted_traits_read_as_absent(tmp_path):
    text = message(status="VALI").replace("|19420714|M|", '|""|""|')
    [identity], _ = read_hl7v2(text, "m")
    assert (identity.birth_date, identity.sex) == (None, None)
    findings = check_document(document(tmp_path, "m.hl7", text))
    assert failing(findings) == {"INS-07", "INS-08", "INS-13"}
    assert any("PID-8 (sexe) supprimé" in f.message for f in findings if f.requirement == "INS-13")


def test_hl7v2_ins_c_is_not_an_ins(tmp_path):
    """An INS-C (1.2.250.1.213.1.4.2) is reported once as obsolete; the trait rules apply to no one."""
    insc = "0093876492823371705143^^^ASIP-SANTE-INS-C&1.2.250.1.213.1.4.2&ISO^INS-C"
    text = message(ins=insc, status="VALI").replace("JEAN-BAPTISTE LOUIS", "Jean-Baptiste Louis")
    [identity], _ = read_hl7v2(text, "m")
    assert not identity.carries_ins and identity.ins_c == "0093876492823371705143"
    findings = check_document(document(tmp_path, "m.hl7", text))
    assert failing(findings) == set()
    [obsolete] = [f for f in findings if "INS-C" in f.message and f.requirement == "INS-03"]
    assert "obsolète" in obsolete.message and "inconnu" not in obsolete.message
    assert obsolete.location.xpath == "PID-3[2]"


def test_hl7v2_unknown_oid_under_the_ins_arc_fails_ins03_only(tmp_path):
    text = message(ins=INS_REP.replace("1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.12"), status="VALI").replace(
        "JEAN-BAPTISTE LOUIS", "Jean-Baptiste Louis"
    )
    findings = check_document(document(tmp_path, "m.hl7", text))
    assert failing(findings) == {"INS-03"}


@pytest.mark.parametrize("msh", ["MSH|^~", "MSH|abcd|X", "MSH|^^\\&|X", "MSH"])
def test_hl7v2_unreadable_encoding_characters(msh):
    identities, errors = read_hl7v2(f"{msh}\rPID|1||{INS_REP}\r", "m")
    assert identities == [] and len(errors) == 1 and "illisible" in errors[0]


def test_hl7v2_repetitions_beyond_the_cap_are_reported(tmp_path):
    """A hostile PID-3 (bounded here: 5 000 repetitions) is read up to the cap; the cut is a GEN-01 finding."""
    count = 5000
    text = message(ins="~".join(["X^^^Y&2.25.9&ISO^PI"] * count) + "~" + INS_REP)
    [identity], _ = read_hl7v2(text, "m")
    assert not identity.carries_ins  # the INS sits beyond the cap
    findings = check_document(document(tmp_path, "m.hl7", text))
    [cut] = [f for f in findings if f.requirement == "GEN-01"]
    assert cut.outcome is Outcome.SKIP and f"{count + 2} répétitions" in cut.message
    assert cut.location.xpath == "PID-3"


# Issue 21: 20 000 messages took 220 s, one PID-3 of 100 000 repetitions 95 s. Both are read in one pass
# now; the subprocess timeout is only a guard against a return to quadratic work (figures: bench_hl7.py).
GUARD = """
import sys
from dui_conformance.inputs import load
from dui_conformance.ins import check_document
findings = check_document(load(sys.argv[1], 100 * 1024 * 1024))
print(len(findings), sum(f.requirement == "GEN-01" for f in findings))
"""


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda: VALID_HL7 * 5000, "70000 0"),  # 5 000 messages, 14 findings each
        (
            lambda: VALID_HL7.replace("~142072123104565", "~X^^^Y&2.25.9&ISO^PI" * 100000 + "~142072123104565"),
            "15 1",  # PID-3 of 100 002 repetitions: read up to the cap, one GEN-01
        ),
    ],
    ids=["messages", "repetitions"],
)
def test_hl7v2_reading_stays_bounded(tmp_path, build, expected):
    path = tmp_path / "m.hl7"
    path.write_text(build(), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-c", GUARD, str(path)], capture_output=True, text=True, check=True, timeout=300
    )
    assert run.stdout.split() == expected.split()
