"""A small hand-built run: two services, every outcome, hostile text and secrets in exchanges (the fixtures
``run``, ``failing_run`` and ``hostile`` in tests/conftest.py hand it to the report tests, unit and in a browser);
a synthetic run of many documents."""

from __future__ import annotations

from dui_conformance.model import (
    Location,
    Outcome,
    RequirementResult,
    RunResult,
    ScenarioResult,
    StepResult,
    errored,
    failed,
    omitted,
    passed,
    skipped,
)

HOSTILE = "Nom <script>alert('x')</script> ]]> & \"guillemets\""
SECRET_MARK = "SECRET"  # every secret in the exchanges contains it; none may survive redaction

GEN_FILE = "features/gen/lecture.feature"
INS_FILE = "features/ins/identite.feature"
INSI_FILE = "features/ins/insi.feature"


def _scenario(nodeid, feature, feature_file, name, requirements, subject, steps, error=None):
    return ScenarioResult(
        nodeid=nodeid,
        feature=feature,
        feature_file=feature_file,
        name=name,
        tags=["hors-ligne"] + requirements,
        requirements=requirements,
        subject=subject,
        steps=steps,
        error=error,
        duration=0.25,
    )


def _requirement(rid, outcome, findings, scenarios, blocking=True, level="DOIT"):
    return RequirementResult(
        id=rid,
        service=rid.split("-")[0],
        statement=f"Énoncé de {rid}",
        level=level,
        source="CI-SIS ; https://esante.gouv.fr/exemple",
        blocking=blocking,
        outcome=outcome,
        scenarios=scenarios,
        findings=findings,
    )


def build_run(with_error: bool = True) -> RunResult:
    doc_ok = "fixtures/gen/valide.xml"
    doc_bad = "fixtures/ins/mauvais.xml"
    ok = passed("GEN-01", "Document lisible.", Location(doc_ok, "/ClinicalDocument", 1))
    bad = failed(
        "INS-01",
        HOSTILE,
        Location(doc_bad, "/ClinicalDocument/recordTarget[1]/patientRole[1]/id[2]", 42),
        evidence='<id root="1.2.250.1.213.1.4.10" extension="1234\x0b"/> ]]>',
    )
    insufficient = skipped("INS-02", "Traits absents : impossible de conclure.", Location(doc_bad))
    not_applicable = omitted("GEN-02", "Pas de XML dans cette entrée.", Location("fixtures/gen/message.hl7"))
    harness = errored("INS-03", "Le simulateur INSi n'a pas répondu.", Location(exchange="insi-0001"))

    scenarios = [
        _scenario(
            f"{GEN_FILE}::test_lisible[{doc_ok}]",
            "Lisibilité des documents",
            GEN_FILE,
            "Document lisible",
            ["GEN-01"],
            doc_ok,
            [
                StepResult("Étant donné", "un document exporté", Outcome.PASS, 0.01),
                StepResult("Alors", "le document est lisible", Outcome.PASS, 0.02, [ok]),
            ],
        ),
        _scenario(
            f"{GEN_FILE}::test_sans_doctype[hl7]",
            "Lisibilité des documents",
            GEN_FILE,
            "Pas de DOCTYPE",
            ["GEN-02"],
            "fixtures/gen/message.hl7",
            [StepResult("Alors", "aucun DOCTYPE n'est présent", Outcome.OMIT, 0.0, [not_applicable])],
        ),
        _scenario(
            f"{INS_FILE}::test_matricule[{doc_bad}]",
            "Identité INS",
            INS_FILE,
            "Matricule INS valide",
            ["INS-01"],
            doc_bad,
            [
                StepResult("Étant donné", "un document exporté", Outcome.PASS, 0.01),
                StepResult("Alors", "le matricule INS est valide", Outcome.FAIL, 0.03, [bad]),
            ],
        ),
        _scenario(
            f"{INS_FILE}::test_traits[{doc_bad}]",
            "Identité INS",
            INS_FILE,
            "Traits d'identité",
            ["INS-02"],
            doc_bad,
            [StepResult("Alors", "les traits sont complets", Outcome.SKIP, 0.0, [insufficient])],
        ),
    ]
    requirements = [
        _requirement("GEN-01", Outcome.PASS, [ok], [scenarios[0].nodeid]),
        _requirement("GEN-02", Outcome.OMIT, [not_applicable], [scenarios[1].nodeid], level="PEUT"),
        _requirement("INS-01", Outcome.FAIL, [bad], [scenarios[2].nodeid]),
        _requirement("INS-02", Outcome.SKIP, [insufficient], [scenarios[3].nodeid], blocking=False),
    ]
    exchanges = []
    if with_error:
        scenarios.append(
            _scenario(
                f"{INSI_FILE}::test_appel",
                "Appel du téléservice INSi",
                INSI_FILE,
                "Appel INSi",
                ["INS-03"],
                "session directe",
                [StepResult("Quand", "le DUI interroge INSi", Outcome.ERROR, 5.0, [harness], error="Délai dépassé")],
                error="Délai dépassé (5 s)",
            )
        )
        requirements.append(_requirement("INS-03", Outcome.ERROR, [harness], [scenarios[4].nodeid]))
        exchanges = [
            {
                "id": "insi-0001",
                "service": "INS",
                "operation": "rechercherInsAvecTraitsIdentite",
                "request": {
                    "headers": {"Authorization": "Bearer abcdefSECRET123", "Cookie": "session=SECRET"},
                    "body": "<wsse:Password>SECRET-PW</wsse:Password>",
                },
                "response": {
                    "headers": [["Set-Cookie", "sid=SECRET"], ["Content-Type", "application/json"]],
                    "body": '{"access_token": "SECRET-AT", "token_type": "Bearer"}',
                },
            },
            {
                "id": "../../etc/passwd",
                "service": "PSC",
                "operation": None,
                "raw": "POST /token HTTP/1.1\r\nAuthorization: Basic U0VDUkVUOlNFQ1JFVA==\r\n\r\n"
                "grant_type=authorization_code&client_secret=SECRET-CS&code=abc",
                "id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJTRUNSRVQifQ.c2lnU0VDUkVU",
                "key": "-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----",
            },
        ]
    return RunResult(
        run_id="2025-01-15T10-00-00-essai",
        mode="hors-ligne",
        profile="homologation",
        environment="local",
        started="2025-01-15T10:00:00+01:00",
        finished="2025-01-15T10:00:07+01:00",
        inputs=[doc_ok, doc_bad, "fixtures/gen/message.hl7"],
        scenarios=scenarios,
        requirements=requirements,
        tool={"name": "dui-conformance", "version": "0.1.0"},
        artefacts=[{"name": "Schématrons CI-SIS", "version": "2024.01", "path": "shared/ans-examples"}],
        exchanges=exchanges,
    )


def synthetic_run(documents: int, failing_every: int = 10) -> RunResult:
    """An offline run as the real plan gives it: 21 scenarios per CDA document, rolled up by the runner."""
    from dui_conformance.requirements import load_catalogue
    from dui_conformance.runner import roll_up

    ids = [r.id for r in load_catalogue() if r.service in ("GEN", "INS", "DMP") and r.mode == "hors-ligne"][:21]
    scenarios = []
    for n in range(documents):
        path = f"/exports/lot-{n // 100:02d}/document-{n:05d}.xml"
        for rid in ids:
            where = Location(path, "/hl7:ClinicalDocument/hl7:recordTarget/hl7:patientRole/hl7:id[2]", 40 + n % 7)
            if rid == "INS-01" and n % failing_every == 0:
                finding = failed(
                    rid,
                    f"Clé du matricule INS erronée : 42 trouvée, {n % 97:02d} attendue.",
                    where,
                    evidence='<id root="1.2.250.1.213.1.4.10" extension="277076322082910"/>' * 5,
                )
            elif rid == "INS-02":
                finding = skipped(rid, "Lieu de naissance absent : cohérence du NIR non vérifiable.", where)
            else:
                finding = passed(rid, f"Règle {rid} respectée sur ce document (message assez long pour peser).", where)
            scenarios.append(
                _scenario(
                    f"test_plan.py::test_{rid}[{path}]",
                    "Plan",
                    "plan.feature",
                    f"Contrôle {rid}",
                    [rid],
                    path,
                    [StepResult("Alors", "la règle est respectée", finding.outcome, 0.001, [finding])],
                )
            )
    return RunResult(
        run_id="synthese",
        mode="check",
        profile="recette",
        environment="test",
        started="t0",
        finished="t1",
        inputs=["/exports"],
        scenarios=scenarios,
        requirements=roll_up(load_catalogue(), scenarios, "recette"),
        tool={"name": "dui-conformance", "version": "0.1.0", "python": "3"},
    )
