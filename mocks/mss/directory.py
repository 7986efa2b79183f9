"""A small Annuaire Santé: fictitious professionals, structures and their MSSanté mailboxes.

The data is the library's ``conformance/psc/annuaire.toml``, so that the Pro Santé Connect mock and
the checks read the same people. :class:`AnnuaireMock` answers the FHIR searches a DUI makes to find a mailbox
(``Practitioner|PractitionerRole|Organization?mailbox-mss=…`` or ``mailbox-mss:contains=…``,
facts §4.5), with the mailbox type (PER, ORG, APP, CAB) in the ANS metadata extension.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass

from stdnum import luhn
from werkzeug.wrappers import Request, Response

from dui_conformance.exchanges import Exchange, ExchangeRecorder
from dui_conformance.psc.professionals import ANNUAIRE_FILE

from ..common import MockService

MAILBOX_TYPES = ("PER", "ORG", "APP", "CAB")
PATIENT_DOMAIN = "patient.mssante.fr"
MAILBOX_EXT = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata"
TYPE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"
PROFESSION_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
SECTOR_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite"
ID_TYPE_SYSTEM = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
IDNPS_OID, IDNST_OID = "urn:oid:1.2.250.1.71.4.2.1", "urn:oid:1.2.250.1.71.4.2.2"


def luhn_valid(digits: str) -> bool:
    """RPPS and FINESS end with a Luhn key (python-stdnum, as the CDA identifier-key rule)."""
    return digits.isdigit() and luhn.is_valid(digits)


@dataclass(frozen=True)
class Mailbox:
    address: str
    type: str  # PER | ORG | APP | CAB
    owner: str  # id of the professional or structure


@dataclass
class Directory:
    professionals: list[dict]
    structures: list[dict]

    @classmethod
    def load(cls, text: str | None = None) -> Directory:
        data = tomllib.loads(text if text is not None else ANNUAIRE_FILE.read_text(encoding="utf-8"))
        directory = cls(data.get("professionnel", []), data.get("structure", []))
        for pro in directory.professionals:
            if not luhn_valid(pro["rpps"]) or pro["identifiant_national"] != "8" + pro["rpps"]:
                raise ValueError(f"Annuaire fictif : RPPS ou identifiant national invalide pour {pro['id']}.")
        for box in directory.mailboxes():
            if box.type not in MAILBOX_TYPES:
                raise ValueError(f"Annuaire fictif : type de BAL inconnu {box.type} ({box.address}).")
        return directory

    def mailboxes(self) -> list[Mailbox]:
        return [
            Mailbox(b["adresse"].lower(), b["type"], owner["id"])
            for owner in self.professionals + self.structures
            for b in owner.get("bal", [])
        ]

    def mailbox(self, address: str) -> Mailbox | None:
        address = address.lower()
        return next((b for b in self.mailboxes() if b.address == address), None)

    def structure(self, structure_id: str) -> dict | None:
        return next((s for s in self.structures if s["id"] == structure_id), None)


def is_patient(address: str) -> bool:
    """Mon espace santé: ``<15-digit INS matricule>@patient.mssante.fr`` (facts §7.7)."""
    local, _, domain = address.lower().partition("@")
    return domain == PATIENT_DOMAIN and local.isdigit() and len(local) == 15


def _telecom(boxes: list[dict]) -> list[dict]:
    return [
        {
            "system": "email",
            "value": b["adresse"],
            "extension": [
                {
                    "url": MAILBOX_EXT,
                    "extension": [
                        {
                            "url": "type",
                            "valueCodeableConcept": {"coding": [{"system": TYPE_SYSTEM, "code": b["type"]}]},
                        }
                    ],
                }
            ],
        }
        for b in boxes
    ]


def _identifier(oid: str, code: str, value: str) -> dict:
    return {"system": oid, "value": value, "type": {"coding": [{"system": ID_TYPE_SYSTEM, "code": code}]}}


def practitioner(pro: dict) -> dict:
    return {
        "resourceType": "Practitioner",
        "id": pro["id"],
        "active": True,
        "identifier": [_identifier(IDNPS_OID, "IDNPS", pro["identifiant_national"])],
        "name": [{"family": pro["nom"], "given": [pro["prenom"]], "prefix": [pro.get("civilite", "")]}],
        "qualification": [{"code": {"coding": [{"system": PROFESSION_SYSTEM, "code": pro["profession"]}]}}],
        "telecom": _telecom(pro.get("bal", [])),
    }


def practitioner_role(pro: dict) -> dict:
    return {
        "resourceType": "PractitionerRole",
        "id": f"role-{pro['id']}",
        "active": True,
        "practitioner": {"reference": f"Practitioner/{pro['id']}"},
        "organization": {"reference": f"Organization/{pro['structure']}"},
        "code": [{"coding": [{"system": PROFESSION_SYSTEM, "code": pro["profession"]}], "text": pro.get("role")}],
        "telecom": _telecom(pro.get("bal", [])),
    }


def organization(structure: dict) -> dict:
    return {
        "resourceType": "Organization",
        "id": structure["id"],
        "active": True,
        "name": structure["nom"],
        "identifier": [_identifier(IDNST_OID, "IDNST", "1" + structure["finess"])],
        "type": [{"coding": [{"system": SECTOR_SYSTEM, "code": structure["secteur"]}]}],
        "telecom": _telecom(structure.get("bal", [])),
    }


class AnnuaireMock(MockService):
    """FHIR searches by mailbox on ``/fhir/v2``, JSON Bundles of type searchset."""

    service = "annuaire"
    endpoint_path = "/fhir/v2"

    def __init__(
        self,
        directory: Directory | None = None,
        port: int = 0,
        ssl_context=None,
        recorder: ExchangeRecorder | None = None,
    ):
        """``recorder``: share the MSSanté mock's log, so that its /_harness/exchanges lists every exchange."""
        super().__init__(port=port, ssl_context=ssl_context)
        if recorder is not None:
            self.recorder = self._server.app.recorder = recorder
        self.directory = directory or Directory.load()

    def _resources(self, kind: str) -> list[tuple[dict, list[dict]]]:
        if kind == "Practitioner":
            return [(practitioner(p), p.get("bal", [])) for p in self.directory.professionals]
        if kind == "PractitionerRole":
            return [(practitioner_role(p), p.get("bal", [])) for p in self.directory.professionals]
        return [(organization(s), s.get("bal", [])) for s in self.directory.structures]

    def handle(self, request: Request, exchange: Exchange) -> Response:
        kind = request.path.rstrip("/").rpartition("/")[2]
        exchange.operation = f"recherche {kind}"
        if not request.path.startswith(self.endpoint_path) or kind not in (
            "Practitioner",
            "PractitionerRole",
            "Organization",
        ):
            return _fhir_error(404, f"Ressource inconnue : {request.path}")
        exact = request.args.get("mailbox-mss", "").lower()
        part = request.args.get("mailbox-mss:contains", "").lower()
        found = [
            resource
            for resource, boxes in self._resources(kind)
            if any((not exact or b["adresse"].lower() == exact) and part in b["adresse"].lower() for b in boxes)
        ]
        exchange.data["results"] = [r["id"] for r in found]
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{"fullUrl": f"{self.url}/{kind}/{r['id']}", "resource": r} for r in found],
        }
        return Response(json.dumps(bundle, ensure_ascii=False), 200, mimetype="application/fhir+json")


def _fhir_error(status: int, text: str) -> Response:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found", "diagnostics": text}],
    }
    return Response(json.dumps(outcome, ensure_ascii=False), status, mimetype="application/fhir+json")
