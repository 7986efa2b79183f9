"""Check the VIHF: the SAML 2.0 assertion in wsse:Security that tells the DMP who acts, for whom.

The attribute list and the allowed values are data (``mapping.toml`` [vihf], facts §3.3).
The signature is not verified here: the harness has no IGC-Santé trust chain offline.
"""

from __future__ import annotations

from ..decides import decides
from ..model import Finding, failed, passed, skipped
from ..wording import found, listed
from ..xmlsafe import XmlDocument
from .ebrim import NS
from .expected import mapping

_HEADER = "/*[local-name()='Envelope']/*[local-name()='Header']"


def _x(xml: XmlDocument, expr: str, node=None) -> list:
    return (xml.root if node is None else node).xpath(expr, namespaces=NS)


def _value(attr) -> str | None:
    """Text of the first AttributeValue, or the @code of a coded child (hl7:Role, hl7:PurposeOfUse)."""
    values = attr.xpath("saml2:AttributeValue", namespaces=NS)
    if not values:
        return None
    coded = [c for c in values[0] if isinstance(c.tag, str) and c.get("code")]
    if coded:
        return coded[0].get("code")
    return (values[0].text or "").strip() or None


def read_vihf(xml: XmlDocument) -> tuple[object | None, dict[str, tuple[str | None, object]]]:
    """The assertion element and its attributes: name → (value, element)."""
    assertion = next(iter(_x(xml, _HEADER + "/wsse:Security/saml2:Assertion")), None)
    if assertion is None:
        return None, {}
    attrs: dict[str, tuple[str | None, object]] = {}
    for attr in _x(xml, "saml2:AttributeStatement/saml2:Attribute", assertion):
        attrs.setdefault(attr.get("Name", ""), (_value(attr), attr))
    return assertion, attrs


@decides("DMP-44", "DMP-45")
def check_vihf(xml: XmlDocument, patient_id: str | None) -> list[Finding]:
    """DMP-44 (assertion and attributes) and DMP-45 (resource-id = patientId of the submission)."""
    rules = mapping()["vihf"]
    assertion, attrs = read_vihf(xml)
    if assertion is None:
        where = xml.locate(next(iter(_x(xml, _HEADER)), None), _HEADER)
        security = _x(xml, _HEADER + "/wsse:Security")
        what = "wsse:Security sans assertion SAML 2.0" if security else "aucun en-tête wsse:Security"
        return [
            failed("DMP-44", f"VIHF absent : {what}.", where),
            failed("DMP-45", "VIHF absent : le patient visé par l'accès n'est pas déclaré.", where),
        ]
    out: list[Finding] = []
    where = xml.locate(assertion)
    for missing in (n for n in rules["required"] if not (attrs.get(n) or (None,))[0]):
        out.append(failed("DMP-44", f"Attribut VIHF {missing} absent ou vide.", where))
    for name, allowed in rules["allowed"].items():
        value, node = attrs.get(name, (None, None))
        if value is not None and value not in allowed:
            message = f"Attribut VIHF {name} : trouvé {found(value)} ; attendu l'une de {listed(allowed)}."
            out.append(failed("DMP-44", message, xml.locate(node), value))
    for part in ("saml2:Issuer", "saml2:Subject/saml2:NameID"):
        if not "".join(_x(xml, part + "/text()", assertion)).strip():
            out.append(failed("DMP-44", f"Assertion VIHF sans {part} renseigné.", where))
    if not out:
        out.append(passed("DMP-44", f"VIHF présent avec les {len(rules['required'])} attributs attendus.", where))
    resource, node = attrs.get(rules["resource_id"], (None, None))
    if resource is None:
        out.append(failed("DMP-45", "Attribut resource-id absent : patient de l'accès non déclaré.", where))
    elif patient_id is None:
        out.append(
            skipped(
                "DMP-45",
                "patientId de la soumission introuvable : resource-id non comparé.",
                xml.locate(node),
                resource,
            )
        )
    elif resource != patient_id:
        out.append(
            failed(
                "DMP-45",
                "resource-id du VIHF différent du patientId de la soumission.",
                xml.locate(node),
                f"VIHF : {resource} ; soumission : {patient_id}",
            )
        )
    else:
        out.append(
            passed(
                "DMP-45",
                "resource-id du VIHF identique au patientId de la soumission.",
                xml.locate(node),
                resource,
            )
        )
    return out
