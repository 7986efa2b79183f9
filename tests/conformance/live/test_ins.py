"""Each live INS check on synthetic exchanges and exports: one case that passes, the cases that
fail with its requirement id, and when it omits or skips."""

from __future__ import annotations

import pytest
from lxml import etree

from dui_conformance.ins.insi_personas import load_personas
from dui_conformance.ins.insi_request import LPS_NS, RECVIT_NS, TRAITS_OPERATION, VITALE_OPERATION, action_of
from dui_conformance.live.driver import Admission, VitaleCard
from dui_conformance.live.ins import (
    AdmissionRun,
    answer,
    check_active_ins_only,
    check_cr01_status,
    check_fault_handled,
    check_ins_obtained_from_insi,
    check_ins_only_when_qualified,
    check_insi_requests,
    check_insi_traits_form,
    check_no_ins_after_cr02,
    check_traits_as_returned,
    check_vitale_lookup,
    lunar_to_fhir,
)
from dui_conformance.mocks.common import Exchange, HttpRequest, HttpResponse
from dui_conformance.mocks.dui.insi_client import LpsContext, traits_payload, vitale_payload
from dui_conformance.mocks.dui.resident import Resident, patient_resource
from dui_conformance.mocks.insi import soap
from dui_conformance.model import Outcome

PERSONAS = {p.id: p for p in load_personas()}
TRAITS_OP, VITALE_OP = TRAITS_OPERATION, VITALE_OPERATION


def request(operation: str = TRAITS_OP, without: tuple[str, ...] = (), name: str = "FICTIF") -> HttpRequest:
    """The request a correct DUI sends for ``operation``, less the elements named (Clark notation)."""
    if operation == TRAITS_OP:
        payload = traits_payload(name, ["CAMILLE"], "F", "1952-06-14")
    else:
        payload = vitale_payload("2681221231034", "93")
    env = etree.fromstring(LpsContext("DUI-TEST", "2.1", "IDAM", "test").envelope(action_of(operation), payload))
    for tag in without:
        for node in list(env.iter(tag)):
            node.getparent().remove(node)
    headers = {"Content-Type": f'application/soap+xml; action="{action_of(operation)}"'}
    return HttpRequest.received("POST", "/lps", headers, etree.tostring(env))


def insi(
    n: int,
    cr: str | None = "00",
    persona: str = "unique",
    operation: str = TRAITS_OP,
    fault: bool = False,
    without: tuple[str, ...] = (),
    vitale: dict | None = None,
    name: str = "FICTIF",
) -> Exchange:
    sent = request(operation, without, name)
    ex = Exchange(f"insi-{n:04d}", "insi", "2025-01-01T00:00:00Z", sent, operation)
    if fault:
        ex.data["fault"] = {"siram": "siram_100", "desir": "desir_550"}
        ex.response = HttpResponse(400, {}, soap.envelope(soap.fault("refus")).decode())
    else:
        found = PERSONAS[persona] if cr == "00" else None
        ex.response = HttpResponse(200, {}, soap.envelope(soap.resultat(cr, found)).decode())
        ex.data["cr"] = cr
        if found is not None:
            ex.data |= {
                "matricule": found.matricule,
                "oid": found.ins.oid,
                "history": [h.nir + h.key for h in found.history],
            }
    if vitale is not None:
        ex.data["vitale"] = vitale
    return ex


def patient(persona: str = "unique", status: str = "QUAL", export_ins: bool = True, **changes) -> dict:
    p = PERSONAS[persona]
    resident = Resident(
        "R1",
        p.birth_name,
        " ".join(p.first_names),
        p.first_names[0],
        p.sex,
        p.birth_date,
        p.birth_place,
        status=status,
        ins=p.matricule,
        ins_oid=p.ins.oid if p.ins else None,
    )
    for name, value in changes.items():
        setattr(resident, name, value)
    return patient_resource(resident, export_ins)


def run(exchanges, patient_json, ins=None, status=None, problem=None, expected=None, document="CN", card=None):
    admission = Admission(502 if problem else 201, "R1", status, ins, problem)
    return AdmissionRun(admission, exchanges, patient_json, expected, document, card)


def outcomes(findings) -> set[Outcome]:
    return {f.outcome for f in findings}


def requirements(findings) -> set[str]:
    return {f.requirement for f in findings}


# --- INS-20 -----------------------------------------------------------------------------------


def test_ins20_passes_when_the_ins_came_back_from_insi():
    findings = check_ins_obtained_from_insi(run([insi(1)], patient(), ins=PERSONAS["unique"].matricule))
    assert outcomes(findings) == {Outcome.PASS} and findings[0].location.exchange == "insi-0001"


def test_ins20_fails_for_an_ins_from_elsewhere():
    findings = check_ins_obtained_from_insi(run([insi(1, "02")], patient(), ins=PERSONAS["unique"].matricule))
    assert outcomes(findings) == {Outcome.FAIL} and requirements(findings) == {"INS-20"}
    assert {f.location.xpath for f in findings} == {None, "Patient.identifier[1].value"}


def test_ins20_omits_without_any_ins():
    assert outcomes(check_ins_obtained_from_insi(run([insi(1, "01")], patient(status="PROV", ins=None)))) == {
        Outcome.OMIT
    }


# --- INS-21 -----------------------------------------------------------------------------------


NO_CARD_MATRICULE = (f"{{{RECVIT_NS}}}MatriculeIndividu",)


def test_ins21_turns_each_deviation_into_a_failure_at_its_exchange():
    exchanges = [
        insi(1, operation=VITALE_OP, without=(f"{{{LPS_NS}}}ContexteLPS", *NO_CARD_MATRICULE)),
        insi(2),
    ]
    findings = check_insi_requests(run(exchanges, None))
    failures = [f for f in findings if f.outcome is Outcome.FAIL]
    assert [(f.evidence, f.location.exchange) for f in failures] == [("INSI-ENTETE-LPS-ABSENT", "insi-0001")]
    assert [f.location.exchange for f in findings if f.outcome is Outcome.PASS] == ["insi-0002"]


def test_ins21_skips_without_requests():
    assert outcomes(check_insi_requests(run([], None))) == {Outcome.SKIP}


# --- INS-29 -----------------------------------------------------------------------------------


def test_ins29_fails_on_lower_case_traits_only():
    findings = check_insi_traits_form(run([insi(1, name="Fictif"), insi(2)], None))
    assert [(f.outcome, f.evidence, f.location.exchange) for f in findings] == [
        (Outcome.FAIL, "INSI-TRAITS-MINUSCULES", "insi-0001"),
        (Outcome.PASS, None, "insi-0002"),
    ]
    assert requirements(findings) == {"INS-29"}
    assert outcomes(check_insi_requests(run([insi(1, name="Fictif")], None))) == {Outcome.PASS}
    assert outcomes(check_insi_traits_form(run([], None))) == {Outcome.SKIP}


# --- INS-22 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, changes, failing_xpath",
    [
        ("unique", {}, None),
        ("date-partielle", {}, None),
        ("nom-compose", {"first_names": "MARIE-ANNE JOSEPHINE"}, "Patient.name[0].extension[0]"),
        ("unique", {"birth_name": "Fictif"}, "Patient.name[0].family"),
        ("date-partielle", {"birth_date": "1938-04-01"}, "Patient.birthDate"),
        ("ne-etranger", {"birth_place": "99134"}, "Patient.extension[1].valueAddress.extension[0]"),
        ("unique", {"sex": "M"}, "Patient.gender"),
        ("unique", {"ins": "252066311304771"}, "Patient.identifier[1].value"),
    ],
)
def test_ins22_compares_export_with_tiq(persona, changes, failing_xpath):
    findings = check_traits_as_returned(run([insi(1, persona=persona)], patient(persona, **changes)))
    if failing_xpath is None:
        assert outcomes(findings) == {Outcome.PASS}
    else:
        assert outcomes(findings) == {Outcome.FAIL} and requirements(findings) == {"INS-22"}
        assert [f.location.xpath for f in findings] == [failing_xpath]
        assert findings[0].location.exchange == "insi-0001"


def test_ins22_fails_when_the_dui_declares_another_matricule_or_exports_nothing():
    declared = check_traits_as_returned(run([insi(1)], patient(), ins="252066311304771"))
    assert outcomes(declared) == {Outcome.FAIL}
    assert outcomes(check_traits_as_returned(run([insi(1)], None))) == {Outcome.FAIL}


def test_ins22_skips_when_an_identity_was_expected_but_never_returned_and_omits_otherwise():
    assert outcomes(check_traits_as_returned(run([], None, expected="00"))) == {Outcome.SKIP}
    assert outcomes(check_traits_as_returned(run([insi(1, "01")], None, expected="01"))) == {Outcome.OMIT}


def test_ins22_reports_an_unreadable_answer_as_harness_error():
    broken = insi(1)
    broken.response = HttpResponse(200, {}, "<pas du SOAP")
    assert outcomes(check_traits_as_returned(run([broken], patient()))) == {Outcome.ERROR}


def test_lunar_dates_map_to_fhir_partial_dates():
    assert [lunar_to_fhir(d) for d in ("1938-04-00", "1938-00-00", "1938-04-12", "1938")] == [
        "1938-04",
        "1938",
        "1938-04-12",
        "1938",
    ]


# --- INS-23 / INS-24 --------------------------------------------------------------------------


def test_ins23_fails_when_an_ins_is_held_after_an_unresolved_cr02():
    held = run([insi(1, "02"), insi(2, "02")], patient(), ins=PERSONAS["unique"].matricule)
    findings = check_no_ins_after_cr02(held)
    assert outcomes(findings) == {Outcome.FAIL} and {f.location.exchange for f in findings} == {"insi-0002"}
    clean = run([insi(1, "02")], patient(status="PROV", ins=None))
    assert outcomes(check_no_ins_after_cr02(clean)) == {Outcome.PASS}


def test_ins23_omits_a_cr02_resolved_by_a_retry_and_skips_when_expected_but_unseen():
    assert outcomes(check_no_ins_after_cr02(run([insi(1, "02"), insi(2)], patient()))) == {Outcome.OMIT}
    assert outcomes(check_no_ins_after_cr02(run([], None, expected="02"))) == {Outcome.SKIP}
    assert outcomes(check_no_ins_after_cr02(run([insi(1, "02")], None))) == {Outcome.SKIP}


@pytest.mark.parametrize(
    "status, document, ins, export, expected",
    [
        ("VALI", "CN", None, False, Outcome.PASS),  # RNIV: checked against a high-trust document, not from INSi
        ("PROV", None, None, False, Outcome.PASS),  # neither retrieved nor checked
        ("PROV", "CN", None, False, Outcome.FAIL),  # a checked CN must make it VALI
        ("VALI", None, None, False, Outcome.FAIL),  # nothing checked: PROV
        ("RECUP", "CN", None, False, Outcome.FAIL),
        ("VALI", "CN", "252066311304770", False, Outcome.FAIL),
    ],
)
def test_ins24_after_cr01_follows_the_rniv_table(status, document, ins, export, expected):
    findings = check_cr01_status(
        run([insi(1, "01")], patient(status=status, ins=ins, export_ins=export), ins=ins, document=document)
    )
    assert outcomes(findings) == {expected} and requirements(findings) == {"INS-24"}
    if status == "PROV" and document == "CN":
        assert "au lieu de VALI" in findings[0].message and "pièce « CN »" in findings[0].message


def test_ins24_omits_without_cr01():
    assert outcomes(check_cr01_status(run([insi(1)], patient()))) == {Outcome.OMIT}


# --- INS-25 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, export, document, expected",
    [
        ("QUAL", True, "CN", Outcome.PASS),
        ("RECUP", False, None, Outcome.PASS),
        ("RECUP", True, None, Outcome.FAIL),
        ("QUAL", True, None, Outcome.FAIL),
        ("QUAL", False, "PA", Outcome.FAIL),
        ("PROV", True, "CN", Outcome.FAIL),
        ("VALI", False, "CN", Outcome.FAIL),  # retrieved from INSi and checked: QUAL, not VALI
        ("RECUP", False, "CN", Outcome.FAIL),  # a checked CN makes a retrieved identity QUAL
    ],
)
def test_ins25_ins_only_for_a_qualified_identity(status, export, document, expected):
    findings = check_ins_only_when_qualified(
        run([insi(1)], patient(status=status, export_ins=export), document=document)
    )
    assert outcomes(findings) == {expected} and requirements(findings) == {"INS-25"}


def test_ins25_skips_without_export():
    assert outcomes(check_ins_only_when_qualified(run([insi(1)], None))) == {Outcome.SKIP}


# --- INS-26 -----------------------------------------------------------------------------------


def test_ins26_active_not_historic():
    persona = PERSONAS["historique"]
    historic = persona.history[0].nir + persona.history[0].key
    good = run([insi(1, persona="historique")], patient("historique"), ins=persona.matricule)
    assert outcomes(check_active_ins_only(good)) == {Outcome.PASS}
    bad = run([insi(1, persona="historique")], patient("historique", ins=historic), ins=historic)
    assert outcomes(check_active_ins_only(bad)) == {Outcome.FAIL}
    assert outcomes(check_ins_obtained_from_insi(bad)) == {Outcome.PASS}  # it did come from the INSi
    nothing = run([insi(1, persona="historique")], patient("historique", status="PROV", ins=None))
    assert outcomes(check_active_ins_only(nothing)) == {Outcome.SKIP}
    assert outcomes(check_active_ins_only(run([insi(1)], patient()))) == {Outcome.OMIT}


# --- INS-27 -----------------------------------------------------------------------------------


def test_ins27_fault_must_be_reported_without_ins():
    problem = {"title": "Erreur du téléservice INSi", "status": 502}
    reported = run([insi(1, fault=True)], patient(status="PROV", ins=None), problem=problem)
    assert outcomes(check_fault_handled(reported)) == {Outcome.PASS}
    silent = run([insi(1, fault=True)], patient(status="PROV", ins=None))
    assert outcomes(check_fault_handled(silent)) == {Outcome.FAIL}
    kept = run([insi(1, fault=True)], patient(), ins=PERSONAS["unique"].matricule, problem=problem)
    assert outcomes(check_fault_handled(kept)) == {Outcome.FAIL}


def test_ins27_counts_http_failures_and_omits_recovered_faults():
    dropped = insi(1)
    dropped.response = None
    http_error = insi(2)
    http_error.data = {"injected_fault": {"delay": 0.0, "drop": False, "status": 503}}
    http_error.response = HttpResponse(503, {}, "indisponible")
    assert answer(dropped) == answer(http_error) == "faute"
    assert outcomes(check_fault_handled(run([insi(1, fault=True), insi(2)], patient()))) == {Outcome.OMIT}
    assert outcomes(check_fault_handled(run([], None, expected="faute"))) == {Outcome.SKIP}


# --- INS-28 -----------------------------------------------------------------------------------

CARD = VitaleCard("2681221231034", "93", "SESAME", "1968-12-05")
SENT = {"NumIdentifiant": "2681221231034", "Cle": "93"}


@pytest.mark.parametrize(
    "exchanges, expected",
    [
        ([insi(1, persona="vitale", operation=VITALE_OP, vitale=SENT)], Outcome.PASS),
        ([insi(1, persona="vitale")], Outcome.FAIL),
        ([], Outcome.FAIL),
        (
            [insi(1, persona="vitale", operation=VITALE_OP, vitale={"NumIdentifiant": "2681221231034", "Cle": "94"})],
            Outcome.FAIL,
        ),
        (
            [insi(1, "01", operation=VITALE_OP, vitale={}, without=NO_CARD_MATRICULE)],
            Outcome.FAIL,
        ),
    ],
)
def test_ins28_vitale_operation_with_the_card_matricule(exchanges, expected):
    findings = check_vitale_lookup(run(exchanges, patient("vitale"), card=CARD))
    assert outcomes(findings) == {expected} and requirements(findings) == {"INS-28"}


def test_ins28_omits_a_traits_admission():
    assert outcomes(check_vitale_lookup(run([insi(1)], patient()))) == {Outcome.OMIT}
