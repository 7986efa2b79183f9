"""Synthetic usage evidence of a cluster: CDA documents, ITI-41 submissions, MSSanté messages, identity exports.

Fictitious people and test INS OIDs only. Tests write exact cases with the builders (:func:`cda`,
:func:`iti41`, :func:`message`, :func:`fhir_patients`, :func:`hl7_patients`); the benchmark writes
a whole year of a cluster's exports with :func:`write_year` and checks the counts it returns.
"""

from __future__ import annotations

import datetime
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from ..xds.build import iti41_request, xdm_package
from ..xds.expected import expected_entry
from ..xmlsafe import parse_xml

INS_TEST_OID = "1.2.250.1.213.1.4.10"
IPP_OID = "1.2.250.1.999.7"
DOCUMENT_OID = "1.2.250.1.999.1"
STRUCTURE_OID = "1.2.250.1.71.4.2.2"
# (templateId, code, codeSystem, title) of the document models the corpus writes.
MODELS = {
    "DLU": ("1.2.250.1.213.1.1.1.22", "74207-2", "2.16.840.1.113883.6.1", "Document de liaison d'urgence"),
    "VSM": ("1.2.250.1.213.1.1.1.13", "SYNTH", "1.2.250.1.213.1.1.4.12", "Volet de synthèse médicale"),
}
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Person:
    """A fictitious person; ``ins`` is their test INS when their identity is qualified."""

    family: str
    given: str
    birth: datetime.date
    sex: str  # M | F
    ins: str | None


def fictitious_ins(index: int, sex: str, birth: datetime.date) -> str:
    """A well-formed test NIR (sex, year, month, Marne, commune, order) and its key."""
    body = f"{1 if sex == 'M' else 2}{birth:%y%m}51454{index % 1000:03d}"
    return body + f"{97 - int(body) % 97:02d}"


def person(index: int, qualified: bool = True) -> Person:
    """The ``index``-th fictitious person (a distinct birth name each), with an INS when ``qualified``."""
    name, rest = "", index
    while True:
        name, rest = _LETTERS[rest % 26] + name, rest // 26
        if not rest:
            break
    sex = "F" if index % 2 else "M"
    birth = datetime.date(1930, 1, 1) + datetime.timedelta(days=(index * 37) % 20000)
    return Person(f"FICTIF{name}", "CAMILLE", birth, sex, fictitious_ins(index, sex, birth) if qualified else None)


def _ts(moment: datetime.datetime | datetime.date) -> str:
    if isinstance(moment, datetime.datetime):
        return moment.strftime("%Y%m%d%H%M%S") + "+0100"
    return moment.strftime("%Y%m%d")


def cda(
    who: Person,
    custodian: str | None,
    effective: datetime.datetime | None,
    set_id: str,
    version: int = 1,
    kind: str = "DLU",
    replaces: str | None = None,
    author: str | None = None,
) -> bytes:
    """A CDA R2 document of ``kind`` about ``who``: custodian and author organisation are national structure ids
    (« 1 » + FINESS; None: absent), ``replaces`` the id of the version it replaces (relatedDocument RPLC)."""
    template, code, system, title = MODELS[kind]
    ins = f'<id root="{INS_TEST_OID}" extension="{who.ins}"/>' if who.ins else ""
    org = author if author is not None else custodian
    related = (
        f'<relatedDocument typeCode="RPLC"><parentDocument><id root="{DOCUMENT_OID}" extension="{replaces}"/>'
        f'<setId root="{DOCUMENT_OID}" extension="{set_id}"/><versionNumber value="{version - 1}"/>'
        "</parentDocument></relatedDocument>"
        if replaces
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Document synthétique de dui-conformance (usage) : personne fictive, INS de test. -->
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <realmCode code="FR"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="1.2.250.1.213.1.1.1.1"/>
  <templateId root="{template}"/>
  <id root="{DOCUMENT_OID}" extension="{set_id}.{version}"/>
  <code code="{code}" codeSystem="{system}"/>
  <title>{title}</title>
  {f'<effectiveTime value="{_ts(effective)}"/>' if effective else ""}
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <languageCode code="fr-FR"/>
  <setId root="{DOCUMENT_OID}" extension="{set_id}"/>
  <versionNumber value="{version}"/>
  <recordTarget><patientRole>{ins}<id root="{IPP_OID}" extension="IPP-{who.family}"/>
    <patient>
      <name><family qualifier="BR">{who.family}</family><given>{who.given}</given>
        <given qualifier="BR">{who.given}</given></name>
      <administrativeGenderCode code="{who.sex}" codeSystem="2.16.840.1.113883.5.1"/>
      <birthTime value="{_ts(who.birth)}"/>
      <birthplace><place><addr><county>51454</county></addr></place></birthplace>
    </patient>
  </patientRole></recordTarget>
  <author>
    {f'<time value="{_ts(effective)}"/>' if effective else '<time nullFlavor="UNK"/>'}
    <assignedAuthor>
      <id root="1.2.250.1.71.4.2.1" extension="899900000011"/>
      <assignedPerson><name><given>Paul</given><family>FICTIF</family></name></assignedPerson>
      {f'<representedOrganization><id root="{STRUCTURE_OID}" extension="1{org}"/>' if org else ""}
      {"</representedOrganization>" if org else ""}
    </assignedAuthor>
  </author>
  <custodian><assignedCustodian><representedCustodianOrganization>
    {f'<id root="{STRUCTURE_OID}" extension="1{custodian}"/>' if custodian else "<name>Sans identifiant</name>"}
  </representedCustodianOrganization></assignedCustodian></custodian>
  {related}
  <component><structuredBody><component><section>
    <code code="10160-0" codeSystem="2.16.840.1.113883.6.1"/>
    <title>Traitements au long cours</title>
    <text>Document fictif produit pour mesurer les critères d'usage.</text>
  </section></component></structuredBody></component>
</ClinicalDocument>
""".encode()


def iti41(documents: list[bytes], submitted: datetime.datetime, replaces: dict[str, str] | None = None) -> bytes:
    """A saved ITI-41 request (Content-Type header, then the MTOM body) submitted at ``submitted``."""
    entries = [(data, expected_entry(parse_xml(data, "corpus.xml"), data)) for data in documents]
    content_type, body = iti41_request(entries, replaces=replaces)
    body = re.sub(
        rb'(name="submissionTime"><rim:ValueList><rim:Value>)\d+', rb"\g<1>" + _ts(submitted)[:14].encode(), body
    )
    return f"Content-Type: {content_type}\r\n\r\n".encode() + body


def message(
    sender: str,
    recipients: list[str],
    sent: datetime.datetime | None,
    message_id: str,
    attachment: bytes | None = None,
) -> bytes:
    """An MSSanté message, with an IHE_XDM.ZIP of ``attachment`` when given."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = "XDM/1.0/DDM+Document fictif"
    if sent is not None:
        msg["Date"] = format_datetime(sent.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=1))))
    msg["Message-ID"] = f"<{message_id}>"
    msg.set_content("Document fictif ci-joint.\n")
    if attachment is not None:
        msg.add_attachment(xdm_package([attachment]), maintype="application", subtype="zip", filename="IHE_XDM.ZIP")
    return msg.as_bytes()


def fhir_patients(people: list[tuple[Person, str]], finess: str | None, updated: datetime.date | None) -> bytes:
    """A FHIR Bundle of Patients (``people``: person and identity status code), managed by ``finess``."""
    entries = []
    for who, status in people:
        identifiers: list[dict[str, Any]] = [{"system": f"urn:oid:{IPP_OID}", "value": f"IPP-{who.family}"}]
        if who.ins:
            identifiers.append({"system": f"urn:oid:{INS_TEST_OID}", "value": who.ins})
        patient: dict[str, Any] = {
            "resourceType": "Patient",
            "extension": [
                {
                    "url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability",
                    "extension": [
                        {
                            "url": "identityStatus",
                            "valueCoding": {
                                "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status",
                                "code": status,
                            },
                        }
                    ],
                }
            ],
            "identifier": identifiers,
            "name": [{"use": "official", "family": who.family, "given": [who.given]}],
            "gender": "male" if who.sex == "M" else "female",
            "birthDate": who.birth.isoformat(),
        }
        if finess:
            patient["managingOrganization"] = {
                "identifier": {"system": f"urn:oid:{STRUCTURE_OID}", "value": f"1{finess}"}
            }
        entries.append({"resource": patient})
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    if updated:
        bundle["meta"] = {"lastUpdated": f"{updated.isoformat()}T12:00:00+01:00"}
    return json.dumps(bundle, indent=1).encode()


def hl7_patients(people: list[tuple[Person, str]], finess: str, sent: datetime.datetime) -> bytes:
    """ADT^A28 messages (PAM FR), one per person: the INS in PID-3 and the status (VALI, PROV) in PID-32."""
    out = []
    for number, (who, status) in enumerate(people, 1):
        ids = f"IPP-{who.family}^^^ESMS&{IPP_OID}&ISO^PI"
        if who.ins:
            ids += f"~{who.ins}^^^ASIP-SANTE-INS-NIR&{INS_TEST_OID}&ISO^INS"
        out.append(
            f"MSH|^~\\&|DUI|ESMS^1{finess}^FINESS|RECEPTEUR|PARTENAIRE|{sent:%Y%m%d%H%M%S}||ADT^A28^ADT_A05|"
            f"MSG{number:05d}|P|2.5^FRA^2.11|||||FRA|UNICODE UTF-8\r"
            f"EVN||{sent:%Y%m%d%H%M%S}\r"
            f"PID|1||{ids}||{who.family}^{who.given}^{who.given}^^^^L||{who.birth:%Y%m%d}|{who.sex}"
            f"|||^^^^^^BDL^^51454{'|' * (32 - 11)}{status}\r"
        )
    return "".join(out).encode()


@dataclass
class Expected:
    """The counts a generated corpus must give, per ESMS."""

    documents: Counter[str] = field(default_factory=Counter)
    persons: dict[str, set[int]] = field(default_factory=dict)  # everyone is in the identity export
    qualified: dict[str, set[int]] = field(default_factory=dict)
    sent: Counter[str] = field(default_factory=Counter)
    files: int = 0


def write_year(
    folder: Path,
    esms: list[str],
    documents: int,
    start: datetime.date,
    persons_per_esms: int = 80,
    seed: int = 18,
) -> Expected:
    """A year of a cluster's exports from ``start``: one folder per ESMS holding its documents (an export CDA for
    most, an ITI-41 for one in five, a replacement for one in twenty), a message for one document in ten and
    its identity export (FHIR). One person in ten has no qualified identity. Returns the expected counts."""
    rng = random.Random(seed)
    expected = Expected()
    per_esms = [documents // len(esms) + (i < documents % len(esms)) for i in range(len(esms))]
    for number, (finess, count) in enumerate(zip(esms, per_esms, strict=True)):
        where = folder / f"esms-{finess}"
        where.mkdir(parents=True, exist_ok=True)
        people = [(number * persons_per_esms + i, i % 10 != 0) for i in range(persons_per_esms)]
        mailbox = f"dui@esms-{finess}.mssante.fr"
        previous = people[0]
        for index in range(count):
            moment = datetime.datetime.combine(start, datetime.time(9)) + datetime.timedelta(
                minutes=rng.randrange(364 * 24 * 60)
            )
            kind = "DLU" if index % 3 else "VSM"
            replacement = index % 20 == 19
            if replacement:  # the next version of the previous document, about the same person
                who_index, qualified = previous
                set_id = f"{finess}.{index - 1}"
                data = cda(person(who_index, qualified), finess, moment, set_id, 2, kind, replaces=f"{set_id}.1")
            else:
                who_index, qualified = previous = people[rng.randrange(len(people))]
                set_id = f"{finess}.{index}"
                data = cda(person(who_index, qualified), finess, moment, set_id, kind=kind)
                expected.documents[finess] += qualified
            name = where / f"doc-{index:06d}"
            if index % 5 == 4:
                name.with_suffix(".mtom").write_bytes(iti41([data], moment))
            else:
                name.with_suffix(".xml").write_bytes(data)
            if index % 10 == 0:
                msg = message(mailbox, ["urgences@ch-fictif.mssante.fr"], moment, f"{set_id}@esms-{finess}", data)
                name.with_suffix(".eml").write_bytes(msg)
                expected.sent[finess] += 1
            expected.files += 1 + (index % 10 == 0)
        status = [(person(i, q), "QUAL" if q else "PROV") for i, q in people]
        (where / "identites.json").write_bytes(fhir_patients(status, finess, start + datetime.timedelta(days=360)))
        expected.persons[finess] = {i for i, _ in people}
        expected.qualified[finess] = {i for i, q in people if q}
        expected.files += 1
    return expected


def cluster_file(esms: list[str], mailboxes: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A cluster (``dui-conformance financement`` schema) of these ESMS, each with its mailbox ``dui@esms-FINESS``
    unless ``mailboxes`` gives others."""
    return {
        "nom": "Grappe fictive (corpus d'usage)",
        "campagne": "amorcage-2021",
        "type_projet": "acquisition",
        "territoire": "metropole",
        "solution": {"editeur": "Éditeur Fictif", "nom": "DUI Fictif", "version": "1", "referencement": ["SEGUR"]},
        "services_socles": ["DMP", "MSS"],
        "organismes": [
            {
                "nom": "Organisme fictif",
                "petit": False,
                "porteur": True,
                "region_siege": "Hauts-de-France",
                "esms": [
                    {
                        "finess": finess,
                        "nom": f"ESMS fictif {finess}",
                        "categorie": "PA",
                        "equipement": False,
                        "sans_dui": False,
                        "bal": (mailboxes or {}).get(finess, [f"dui@esms-{finess}.mssante.fr"]),
                    }
                    for finess in esms
                ],
            }
        ],
    }
