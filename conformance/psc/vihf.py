"""Who a DMP submission says is acting: NameID, role and activity sector of the ITI-41's VIHF."""

from __future__ import annotations

from lxml import etree

from ..xds.ebrim import NS
from ..xds.mtom import MtomProblem, parse_mtom
from ..xds.vihf import read_vihf
from ..xmlsafe import XmlProblem, parse_xml

ROLE = "urn:oasis:names:tc:xacml:2.0:subject:role"


def vihf_identity(content_type: str, body: bytes, name: str) -> dict[str, str | None]:
    """NameID, role code and Secteur_Activite of the VIHF (all None when the request is unreadable)."""
    try:
        envelope = parse_mtom(content_type, body).envelope if "multipart/related" in content_type.lower() else body
        xml = parse_xml(envelope, name)
    except (MtomProblem, XmlProblem):
        return {"NameID": None, "role": None, "Secteur_Activite": None}
    assertion, attrs = read_vihf(xml)
    name_id = None
    if isinstance(assertion, etree._Element):
        name_id = "".join(assertion.xpath("saml2:Subject/saml2:NameID/text()", namespaces=NS)).strip() or None
    return {
        "NameID": name_id,
        "role": attrs.get(ROLE, (None,))[0],
        "Secteur_Activite": attrs.get("Secteur_Activite", (None,))[0],
    }
