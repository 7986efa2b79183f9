"""Layer 3: the CI-SIS header (Volet Structuration Minimale, templateId 1.2.250.1.213.1.1.1.1).

Rules from segur-spec-facts §2.1 and §1.4, grouped the way a reviewer reads a header:
declarations, document identification, patient, author, custodian, legal authenticator,
act, encounter, replacement, contact details, nullFlavor, national identifiers.
"""

from __future__ import annotations

import re

from stdnum import luhn
from stdnum.fr import siren, siret

from ..decides import decides
from ..model import Finding, omitted
from ..wording import found, listed
from ..xmlsafe import XmlDocument
from .common import (
    CISIS_TEMPLATE,
    HL7,
    HL7_FRANCE_TEMPLATE,
    INS_ROOTS,
    ORG_ID_ROOT,
    PATIENT_CUSTODIAN_ROOT,
    PERSON_ID_ROOT,
    Check,
    cda_layer,
    describe,
    has_null,
)

NULL_FLAVORS = {"UNK", "NASK", "ASKU", "NAV", "MSK"}
# NA is outside the IG-document-core list, yet ANS examples accepted by the official schematrons use it
# (participant/time, encompassingEncounter/effectiveTime, performer id): tolerated, not failed.
TOLERATED_NULL_FLAVORS = {"NA"}
_ADMITTED_NULL_FLAVORS = NULL_FLAVORS | TOLERATED_NULL_FLAVORS
TELECOM_USES = {"H", "HP", "HV", "WP", "DIR", "PUB", "EC", "MC", "PG"}
ADDR_USES = {"H", "HP", "HV", "WP", "TMP"}
TELECOM_SCHEME = re.compile(r"^(tel|fax|mailto|https?|ftp|mllp):\S")
LANGUAGE = re.compile(r"[a-z]{2}-[A-Z]{2}")
TS = re.compile(r"[0-9]{4}([0-9]{2}){0,5}(\.[0-9]+)?([+-][0-9]{4})?")
# TRE_G08 (persons) and TRE_G07 (organisations) prefixes, spec-facts §2.1.
PERSON_ID = re.compile(r"8[0-9]{11}|0[0-9A-Z]{9}|(1|3|4|5|6|10)\S+")
ORG_ID = re.compile(r"1[0-9AB]{9}|[0234]\S+")
# The header is everything but the body; XPaths below that scan "the header" skip hl7:component.
HEADER_NODES = "/hl7:ClinicalDocument/*[not(self::hl7:component)]/descendant-or-self::*"


def _header(doc: XmlDocument) -> tuple[list, dict[str, list]]:
    """Every element of the header in document order, and the same grouped by tag: read once per
    document instead of one XPath walk of the header per element name."""
    nodes = doc.xpath(HEADER_NODES)
    by_tag: dict[str, list] = {}
    for node in nodes:
        by_tag.setdefault(node.tag, []).append(node)
    return nodes, by_tag


def header_elements(doc: XmlDocument, local: str | None = None) -> list:
    """``HEADER_NODES[self::hl7:{local}]`` (every header element when ``local`` is None), in document order."""
    nodes, by_tag = doc.derived("cda.header", lambda: _header(doc))
    return nodes if local is None else by_tag.get(HL7 + local, [])


def _one(check: Check, doc: XmlDocument, path: str, label: str, node=None):
    """Exactly one element, without nullFlavor; returns it (or None)."""
    found = doc.xpath(path, node)
    if len(found) != 1:
        check.fail(f"{label} : {len(found)} occurrence(s) trouvée(s) ; exactement 1 attendue.", node)
        return None
    if has_null(found[0]):
        check.fail(
            f'{label} : nullFlavor="{found[0].get("nullFlavor")}" trouvé ; une valeur renseignée attendue.', found[0]
        )
        return None
    return found[0]


def _roots(doc: XmlDocument, node) -> str:
    """The id@root values under a node, for a message (« aucun » when none)."""
    roots = [i.get("root") or "?" for i in doc.xpath("hl7:id", node)] if node is not None else []
    return ", ".join(f"« {r} »" for r in roots) or "aucun"


@decides("DMP-03")
def declarations(doc: XmlDocument) -> list[Finding]:
    c = Check(
        doc, "DMP-03", "Déclarations conformes : realmCode FR, typeId CDA R2, templateIds HL7 France, CI-SIS et modèle."
    )
    realm = doc.xpath("hl7:realmCode")
    found = ", ".join(repr(r.get("code")) for r in realm) or "aucun"
    c.require(
        len(realm) == 1 and realm[0].get("code") == "FR",
        f'realmCode trouvé : {found} ; attendu une fois avec code="FR".',
        realm[0] if realm else None,
    )
    type_id = doc.first("hl7:typeId")
    c.require(
        type_id is not None
        and type_id.get("root") == "2.16.840.1.113883.1.3"
        and type_id.get("extension") == "POCD_HD000040",
        f"typeId trouvé : {describe(type_id) if type_id is not None else 'absent'} ; attendu "
        'root="2.16.840.1.113883.1.3" extension="POCD_HD000040".',
        type_id,
    )
    roots = [t.get("root") for t in doc.xpath("hl7:templateId")]
    for oid, label in ((HL7_FRANCE_TEMPLATE, "HL7 France"), (CISIS_TEMPLATE, "CI-SIS (Structuration minimale)")):
        c.require(
            oid in roots,
            f"templateId trouvés : {', '.join(r or '?' for r in roots) or 'aucun'} ; templateId {label} {oid} attendu.",
        )
    c.require(
        len(set(roots) - {HL7_FRANCE_TEMPLATE, CISIS_TEMPLATE}) >= 1,
        "Aucun templateId de modèle de document trouvé ; au moins un attendu en plus de HL7 France et CI-SIS.",
    )
    return c.findings()


@decides("DMP-04")
def identification(doc: XmlDocument) -> list[Finding]:
    c = Check(
        doc,
        "DMP-04",
        "Identification du document complète : id, code, title, effectiveTime, "
        "confidentialityCode, languageCode, setId, versionNumber.",
    )
    node = _one(c, doc, "hl7:id", "id du document")
    if node is not None:
        c.require(bool(node.get("root")), "id du document trouvé sans @root ; un @root attendu.", node)
    node = _one(c, doc, "hl7:code", "code du document")
    if node is not None:
        c.require(
            bool(node.get("code")) and bool(node.get("codeSystem")),
            f"code du document trouvé : {describe(node)} ; @code et @codeSystem attendus.",
            node,
        )
    node = _one(c, doc, "hl7:title", "title")
    if node is not None:
        c.require(bool("".join(node.itertext()).strip()), "title trouvé vide ; un titre attendu.", node)
    node = _one(c, doc, "hl7:effectiveTime", "effectiveTime")
    if node is not None:
        c.require(
            TS.fullmatch(node.get("value", "")) is not None,
            f"effectiveTime/@value trouvé : {found(node.get('value'))} ; date HL7 AAAAMMJJ[hhmm[ss]][±zzzz] attendue.",
            node,
        )
    _one(c, doc, "hl7:confidentialityCode", "confidentialityCode")
    node = _one(c, doc, "hl7:languageCode", "languageCode")
    if node is not None:
        c.require(
            LANGUAGE.fullmatch(node.get("code", "")) is not None,
            f"languageCode/@code trouvé : {found(node.get('code'))} ; format ll-PP attendu (ex. fr-FR).",
            node,
        )
    node = _one(c, doc, "hl7:setId", "setId")
    if node is not None:
        c.require(bool(node.get("root")), "setId trouvé sans @root ; un @root attendu.", node)
    node = _one(c, doc, "hl7:versionNumber", "versionNumber")
    if node is not None:
        value = node.get("value", "")
        c.require(
            value.isdigit() and int(value) >= 1,
            f"versionNumber/@value trouvé : {found(value)} ; entier positif attendu.",
            node,
        )
    return c.findings()


@decides("DMP-05")
def patient(doc: XmlDocument) -> list[Finding]:
    c = Check(doc, "DMP-05", "Patient (recordTarget) conforme, traits INS présents.")
    targets = doc.xpath("hl7:recordTarget")
    if not c.require(
        len(targets) == 1, f"recordTarget : {len(targets)} occurrence(s) trouvée(s) ; exactement 1 attendue."
    ):
        return c.findings()
    role = doc.first("hl7:patientRole", targets[0])
    ids = doc.xpath("hl7:id[@root]", role) if role is not None else []
    if not c.require(
        bool(ids), "recordTarget/patientRole trouvé sans identifiant ; au moins un id@root attendu.", targets[0]
    ):
        return c.findings()
    person = doc.first("hl7:patient", role)
    if not c.require(
        person is not None, "recordTarget/patientRole trouvé sans patient ; un élément patient attendu.", role
    ):
        return c.findings()
    names = doc.xpath("hl7:name/hl7:family | hl7:name/hl7:given", person)
    for part in names:
        qualifier = part.get("qualifier")
        if not (qualifier in (None, "BR", "CL") and not (qualifier is None and part.tag.endswith("family"))):
            shown = "aucun qualifiant" if qualifier is None else f"qualifiant {found(qualifier)}"
            c.fail(
                f"Trouvé {shown} sur {describe(part)} ; attendu BR ou CL (la liste des prénoms sans qualifiant).",
                part,
            )
    if any(i.get("root") in INS_ROOTS for i in ids):
        traits = [
            ("hl7:name/hl7:family[@qualifier='BR'][normalize-space()]", "nom de naissance (family@qualifier=BR)"),
            (
                "hl7:name/hl7:given[not(@qualifier)][normalize-space()]",
                "liste des prénoms de naissance (given sans qualifiant)",
            ),
            (
                "hl7:name/hl7:given[@qualifier='BR'][normalize-space()]",
                "premier prénom de naissance (given@qualifier=BR)",
            ),
            ("hl7:birthTime[@value]", "date de naissance (birthTime)"),
            ("hl7:administrativeGenderCode[@code]", "sexe (administrativeGenderCode)"),
            (
                "hl7:birthplace/hl7:place/hl7:addr/hl7:county[normalize-space()]",
                "code COG du lieu de naissance (county)",
            ),
        ]
        for path, label in traits:
            c.require(
                doc.first(path, person) is not None,
                f"INS trouvé sans le trait {label} ; tous les traits INS attendus avec l'INS.",
                person,
            )
    return c.findings(targets[0])


@decides("DMP-06")
def author(doc: XmlDocument) -> list[Finding]:
    c = Check(doc, "DMP-06", "Auteur(s) conforme(s) : date, identifiant national du professionnel.")
    authors = doc.xpath("hl7:author")
    c.require(bool(authors), "Aucun auteur trouvé ; author 1..* attendu.")
    for node in authors:
        c.require(
            doc.first("hl7:time[@value]", node) is not None, "author trouvé sans time/@value ; une date attendue.", node
        )
        assigned = doc.first("hl7:assignedAuthor", node)
        if not c.require(
            assigned is not None and doc.first("hl7:id[@root]", assigned) is not None,
            "author trouvé sans assignedAuthor/id ; un identifiant attendu.",
            node,
        ):
            continue
        if doc.first("hl7:assignedPerson", assigned) is not None:
            c.require(
                doc.first(f"hl7:id[@root='{PERSON_ID_ROOT}']", assigned) is not None,
                f"Auteur personne : id@root trouvé(s) {_roots(doc, assigned)} ; {PERSON_ID_ROOT} "
                "(identifiant national de professionnel) attendu.",
                assigned,
            )
        else:
            c.require(
                doc.first("hl7:assignedAuthoringDevice", assigned) is not None,
                "assignedAuthor trouvé sans assignedPerson ni assignedAuthoringDevice ; l'un des deux attendu.",
                assigned,
            )
    return c.findings()


@decides("DMP-07")
def custodian(doc: XmlDocument) -> list[Finding]:
    c = Check(doc, "DMP-07", "Structure de conservation (custodian) identifiée.")
    nodes = doc.xpath("hl7:custodian")
    if not c.require(len(nodes) == 1, f"custodian : {len(nodes)} occurrence(s) trouvée(s) ; exactement 1 attendue."):
        return c.findings()
    org_id = doc.first("hl7:assignedCustodian/hl7:representedCustodianOrganization/hl7:id", nodes[0])
    c.require(
        org_id is not None and org_id.get("root") in (ORG_ID_ROOT, PATIENT_CUSTODIAN_ROOT),
        f"representedCustodianOrganization/id@root trouvé : "
        f"{repr(org_id.get('root')) if org_id is not None else 'aucun identifiant'} ; attendu {ORG_ID_ROOT} "
        f"(structure) ou {PATIENT_CUSTODIAN_ROOT} (document produit par le patient).",
        org_id if org_id is not None else nodes[0],
    )
    return c.findings(nodes[0])


@decides("DMP-08")
def legal_authenticator(doc: XmlDocument) -> list[Finding]:
    c = Check(doc, "DMP-08", "Responsable du document (legalAuthenticator) conforme, signatureCode S.")
    nodes = doc.xpath("hl7:legalAuthenticator")
    if not c.require(
        len(nodes) == 1, f"legalAuthenticator : {len(nodes)} occurrence(s) trouvée(s) ; exactement 1 attendue."
    ):
        return c.findings()
    node = nodes[0]
    c.require(
        doc.first("hl7:time[@value]", node) is not None,
        "legalAuthenticator trouvé sans time/@value ; une date attendue.",
        node,
    )
    sig = doc.first("hl7:signatureCode", node)
    c.require(
        sig is not None and sig.get("code") == "S",
        f'signatureCode trouvé : {repr(sig.get("code")) if sig is not None else "absent"} ; code="S" attendu.',
        sig if sig is not None else node,
    )
    entity = doc.first("hl7:assignedEntity", node)
    roots = {i.get("root") for i in doc.xpath("hl7:id", entity)} if entity is not None else set()
    c.require(
        bool(roots & {PERSON_ID_ROOT, *INS_ROOTS}),
        f"legalAuthenticator/assignedEntity : id@root trouvé(s) {_roots(doc, entity)} ; {PERSON_ID_ROOT} "
        "(identifiant national de professionnel) attendu, ou un INS pour un document produit par le patient.",
        node,
    )
    return c.findings(node)


@decides("DMP-09")
def service_event(doc: XmlDocument) -> list[Finding]:
    c = Check(doc, "DMP-09", "Acte documenté (documentationOf/serviceEvent) présent, avec date et exécutant.")
    events = doc.xpath("hl7:documentationOf/hl7:serviceEvent")
    if not c.require(bool(events), "Aucun documentationOf/serviceEvent trouvé ; 1..* attendu."):
        return c.findings()
    first = events[0]
    c.require(
        doc.first("hl7:effectiveTime", first) is not None,
        "Premier serviceEvent trouvé sans effectiveTime ; une période attendue.",
        first,
    )
    c.require(
        doc.first("hl7:performer", first) is not None,
        "Premier serviceEvent trouvé sans performer ; un exécutant attendu.",
        first,
    )
    return c.findings(first)


@decides("DMP-10")
def encounter(doc: XmlDocument) -> list[Finding]:
    c = Check(doc, "DMP-10", "Prise en charge (componentOf/encompassingEncounter) décrite, avec le lieu.")
    nodes = doc.xpath("hl7:componentOf/hl7:encompassingEncounter")
    if not c.require(
        len(nodes) == 1,
        f"componentOf/encompassingEncounter : {len(nodes)} occurrence(s) trouvée(s) ; exactement 1 attendue.",
    ):
        return c.findings()
    node = nodes[0]
    c.require(
        doc.first("hl7:effectiveTime", node) is not None,
        "encompassingEncounter trouvé sans effectiveTime ; une date attendue.",
        node,
    )
    c.require(
        doc.first("hl7:location/hl7:healthCareFacility/hl7:code", node) is not None,
        "encompassingEncounter trouvé sans location/healthCareFacility/code ; le lieu de prise en charge attendu.",
        node,
    )
    return c.findings(node)


@decides("DMP-11")
def replacement(doc: XmlDocument) -> list[Finding]:
    c = Check(doc, "DMP-11", "Remplacement de document (relatedDocument) conforme.")
    nodes = doc.xpath("hl7:relatedDocument")
    c.require(len(nodes) <= 1, f"relatedDocument : {len(nodes)} occurrences trouvées ; au plus 1 attendue.")
    for node in nodes:
        c.require(
            node.get("typeCode") == "RPLC",
            f"relatedDocument/@typeCode trouvé : {found(node.get('typeCode'))} ; RPLC attendu.",
            node,
        )
        c.require(
            doc.first("hl7:parentDocument/hl7:id[@root]", node) is not None,
            "relatedDocument trouvé sans parentDocument/id ; l'identifiant du document remplacé attendu.",
            node,
        )
    return c.findings(nodes[0] if nodes else None)


@decides("DMP-12")
def contacts(doc: XmlDocument) -> list[Finding]:
    c = Check(doc, "DMP-12", "Coordonnées (telecom, addr) conformes : usages et schémas admis.")
    for node in header_elements(doc, "telecom"):
        if has_null(node):
            continue
        # Messages are written only for a failure: a header has dozens of telecom and addr elements.
        bad = set(node.get("use", "").split()) - TELECOM_USES
        if bad:
            c.fail(f"telecom/@use trouvé : {listed(bad)} ; attendu parmi {listed(TELECOM_USES)}.", node)
        if TELECOM_SCHEME.match(node.get("value", "")) is None:
            c.fail(
                f"telecom/@value trouvé : {found(node.get('value'))} ; schéma tel:, fax:, mailto:, http(s):, ftp: ou "
                "mllp: attendu.",
                node,
            )
    for node in header_elements(doc, "addr"):
        if node.get("use") is None:
            continue
        bad = set(node.get("use", "").split()) - ADDR_USES
        if bad:
            c.fail(f"addr/@use trouvé : {listed(bad)} ; attendu parmi {listed(ADDR_USES)}.", node)
    return c.findings()


@decides("DMP-13")
def null_flavors(doc: XmlDocument) -> list[Finding]:
    c = Check(doc, "DMP-13", "nullFlavor de l'en-tête limités à UNK, NASK, ASKU, NAV, MSK.")
    for node in (n for n in header_elements(doc) if n.get("nullFlavor") is not None):
        if node.get("nullFlavor") not in _ADMITTED_NULL_FLAVORS:
            c.fail(
                f"nullFlavor trouvé dans l'en-tête : {found(node.get('nullFlavor'))} ; attendu parmi "
                f"{', '.join(sorted(NULL_FLAVORS))}.",
                node,
            )
    return c.findings()


@decides("DMP-14")
def national_ids(doc: XmlDocument) -> list[Finding]:
    c = Check(doc, "DMP-14", "Identifiants nationaux des professionnels et des structures bien formés.")
    ids = header_elements(doc, "id")
    for root, pattern, label, form in (
        (PERSON_ID_ROOT, PERSON_ID, "professionnel", "TRE_G08 (8+RPPS, 0+ADELI…)"),
        (ORG_ID_ROOT, ORG_ID, "structure", "TRE_G07 (préfixe 0 à 4, 1+FINESS sur 9 caractères)"),
    ):
        for node in (i for i in ids if i.get("root") == root):
            ext = node.get("extension", "")
            if pattern.fullmatch(ext) is None:
                c.fail(
                    f"Identifiant national de {label} : extension trouvée {found(ext)} ; format {form} attendu.", node
                )
    return c.findings()


# Keys of national identifiers [segur-spec-facts §7.5], checked by python-stdnum; the official
# schematrons do not check them and ANS examples carry wrong ones, hence an advisory rule (DMP-55).
_KEY_SOURCE = "segur-spec-facts §7.5"
KEYS = {
    # (root, TRE prefix): (label, length of the number after the prefix, validity test, rule and source)
    (PERSON_ID_ROOT, "8"): ("RPPS", 11, luhn.is_valid, f"clé de Luhn sur les 11 chiffres ({_KEY_SOURCE}, PROBABLE)"),
    (ORG_ID_ROOT, "1"): (
        "FINESS",
        9,
        luhn.is_valid,
        f"clé de Luhn, indicative : aucun algorithme officiel trouvé ({_KEY_SOURCE}, NON VÉRIFIÉ)",
    ),
    (ORG_ID_ROOT, "2"): ("SIREN", 9, siren.is_valid, f"clé de Luhn ({_KEY_SOURCE}, PROBABLE)"),
    (ORG_ID_ROOT, "3"): (
        "SIRET",
        14,
        siret.is_valid,
        f"clé de Luhn, ou somme des chiffres multiple de 5 pour La Poste ({_KEY_SOURCE}, PROBABLE)",
    ),
}


@cda_layer("DMP-55")
def check_id_keys(doc: XmlDocument, ctx) -> list[Finding]:
    """DMP-55 (advisory): control keys of RPPS, FINESS, SIREN and SIRET numbers in the header."""
    c = Check(doc, "DMP-55", "")
    checked = []
    for node in (i for i in header_elements(doc, "id") if i.get("root") in (PERSON_ID_ROOT, ORG_ID_ROOT)):
        ext = node.get("extension", "")
        key = KEYS.get((node.get("root"), ext[:1]))
        if key is None or len(ext) != key[1] + 1 or not ext[1:].isdigit():
            continue  # other prefixes carry no key; a malformed extension is DMP-14's finding
        label, _, valid, rule = key
        if valid(ext[1:]):
            checked.append(f"{label} {ext[1:]}")
        else:
            c.fail(
                f"Identifiant {label} {ext[1:]} (extension {found(ext)}) : clé de contrôle fausse, attendu une "
                f"{rule} ; avertissement non bloquant (les schématrons officiels ne vérifient pas cette clé).",
                node,
                describe(node),
            )
    if not checked and not c.problems:
        return [
            omitted("DMP-55", "Aucun identifiant RPPS, FINESS, SIREN ou SIRET dans l'en-tête.", doc.locate(doc.root))
        ]
    c.ok = f"Clés de contrôle exactes : {', '.join(checked)}."
    return c.findings()


HEADER_RULES = (
    declarations,
    identification,
    patient,
    author,
    custodian,
    legal_authenticator,
    service_event,
    encounter,
    replacement,
    contacts,
    null_flavors,
    national_ids,
)


@cda_layer(*(f"DMP-{n:02d}" for n in range(3, 15)))
def check_header(doc: XmlDocument, ctx) -> list[Finding]:
    return [f for rule in HEADER_RULES for f in rule(doc)]
