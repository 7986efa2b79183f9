"""INS in a CDA R2 header: read ``recordTarget/patientRole`` (reader) and check that an INS
comes with every trait element and the right qualifiers (INS-12, Structuration minimale)."""

from __future__ import annotations

from ..decides import decides
from ..model import Finding, Location, failed, omitted, passed
from ..xmlsafe import XmlDocument
from .identity import INS_OID_ARC, INS_OIDS, OID_INS_C, Identity, normalise_date

ROLES = "/hl7:ClinicalDocument/hl7:recordTarget/hl7:patientRole"
# The INS: one of the four authorities, the only roots the SMIN schematron applies the trait rules to.
INS_ID = "hl7:id[" + " or ".join(f"@root='{oid}'" for oid in INS_OIDS) + "]"
# Read as an attempted INS when no INS is there (INS-03 flags its OID): another root under the arc.
OTHER_ARC_ID = f"hl7:id[starts-with(@root, '{INS_OID_ARC}') and @root != '{OID_INS_C}']"
INS_C_ID = f"hl7:id[@root='{OID_INS_C}']"
NAME = "hl7:patient/hl7:name"


def _q(code: str) -> str:
    """Predicate for one value of the (space-separated set) ``qualifier`` attribute."""
    return f"[contains(concat(' ', normalize-space(@qualifier), ' '), ' {code} ')]"


# Trait elements the SMIN schematron requires when an INS root is present [segur-spec-facts §1.4].
REQUIRED_TRAITS = (
    (f"{NAME}/hl7:family{_q('BR')}", "nom de naissance (family@qualifier=BR)"),
    (f"{NAME}/hl7:given[not(@qualifier)]", "liste des prénoms de naissance (given sans qualifiant)"),
    (f"{NAME}/hl7:given{_q('BR')}", "premier prénom de naissance (given@qualifier=BR)"),
    ("hl7:patient/hl7:birthTime/@value", "date de naissance (birthTime@value)"),
    ("hl7:patient/hl7:administrativeGenderCode/@code", "sexe (administrativeGenderCode@code)"),
    ("hl7:patient/hl7:birthplace/hl7:place/hl7:addr/hl7:county", "lieu de naissance (birthplace/place/addr/county)"),
)
ALLOWED_QUALIFIERS = {"family": {"BR", "CL"}, "given": {"BR", "CL"}}


def _text(node) -> str | None:
    if node is None:
        return None
    if isinstance(node, str):
        return node
    text = "".join(node.itertext())
    # Pretty-printing adds line breaks around text; a value on one line is kept as written.
    return text.strip() if "\n" in text else text


# Identity field → where the reader finds it under a patientRole.
FIELDS = {
    "birth_family": f"{NAME}/hl7:family{_q('BR')}",
    "given_list": f"{NAME}/hl7:given[not(@qualifier)]",
    "first_given": f"{NAME}/hl7:given{_q('BR')}",
    "birth_date": "hl7:patient/hl7:birthTime/@value",
    "sex": "hl7:patient/hl7:administrativeGenderCode/@code",
    "birth_place": "hl7:patient/hl7:birthplace/hl7:place/hl7:addr/hl7:county",
    "used_family": f"{NAME}/hl7:family{_q('CL')}",
    "used_given": f"{NAME}/hl7:given{_q('CL')}",
}


def read_cda(xml: XmlDocument) -> list[Identity]:
    """One identity per ``recordTarget/patientRole``; INS = the id of an INS authority, else another id
    rooted in the INS arc (never the obsolete INS-C, noted apart)."""
    identities = []
    for role in xml.xpath(ROLES):
        nodes = {name: xml.first(expr, role) for name, expr in FIELDS.items()}
        ins_id = xml.first(INS_ID, role)
        if ins_id is None:
            ins_id = xml.first(OTHER_ARC_ID, role)
        if nodes["birth_family"] is None:  # tolerant read; INS-12 flags the missing qualifier
            nodes["birth_family"] = xml.first(f"{NAME}/hl7:family[not(@qualifier)]", role)
        values = {name: _text(node) for name, node in nodes.items()}
        where = {name: xml.locate(node) for name, node in nodes.items() if node is not None}
        where["identity"] = xml.locate(role)
        if ins_id is not None:
            at = xml.locate(ins_id)
            values["matricule"], values["oid"] = ins_id.get("extension", ""), ins_id.get("root")
            where["matricule"] = Location(file=at.file, xpath=f"{at.xpath}/@extension", line=at.line)
            where["oid"] = Location(file=at.file, xpath=f"{at.xpath}/@root", line=at.line)
        values["birth_date"] = normalise_date(values["birth_date"])
        identities.append(
            Identity(
                source_kind="cda",
                path=xml.path,
                matricule=values.get("matricule"),
                oid=values.get("oid"),
                birth_family=values["birth_family"],
                given_list=values["given_list"],
                first_given=values["first_given"],
                birth_date=values["birth_date"],
                sex=values["sex"],
                birth_place=values["birth_place"],
                used_family=values["used_family"],
                used_given=values["used_given"],
                where=where,
            )
        )
        ins_c = xml.first(INS_C_ID, role)
        if ins_c is not None:
            identities[-1].note_ins_c(ins_c.get("extension"), xml.locate(ins_c))
    return identities


@decides("INS-12")
def check_cda_record_target(xml: XmlDocument) -> list[Finding]:
    """INS-12: a patientRole carrying an INS carries all INS trait elements, rightly qualified."""
    roles = xml.xpath(ROLES)
    if not roles:
        return [omitted("INS-12", "Aucun recordTarget/patientRole dans le document.", xml.locate())]
    out = []
    for role in roles:
        where = xml.locate(role)
        if xml.first(INS_ID, role) is None:
            out.append(omitted("INS-12", "Patient sans INS : les traits INS ne sont pas exigés.", where))
            continue
        problems = []
        for expr, label in REQUIRED_TRAITS:
            if not _text(xml.first(expr, role)):
                problems.append(failed("INS-12", f"INS présent mais trait absent ou vide : {label}.", where, expr))
        for tag, allowed in ALLOWED_QUALIFIERS.items():
            for part in xml.xpath(f"{NAME}/hl7:{tag}[@qualifier]", role):
                bad = set(part.get("qualifier").split()) - allowed
                if bad:
                    problems.append(
                        failed(
                            "INS-12",
                            f"Qualifiant {' '.join(sorted(bad))} non admis sur {tag} "
                            f"(admis : {', '.join(sorted(allowed))}).",
                            xml.locate(part),
                            part.get("qualifier"),
                        )
                    )
        for part in xml.xpath(f"{NAME}/hl7:family[not(@qualifier)]", role):
            problems.append(
                failed(
                    "INS-12",
                    'Nom sans qualifiant : le nom de naissance porte qualifier="BR", le nom utilisé qualifier="CL".',
                    xml.locate(part),
                    _text(part),
                )
            )
        out += problems or [
            passed(
                "INS-12",
                "recordTarget portant l'INS : tous les traits INS sont présents et correctement qualifiés.",
                where,
            )
        ]
    return out
