"""The HL7 v2 PID segment (ins/hl7v2_pid.py): the reader's fields and locations, and INS-13, where the INS sits."""

from __future__ import annotations

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
