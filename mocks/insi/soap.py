"""The SOAP 1.2 answers of the INSi mock (RESULTAT, faults) and their CR codes.

The request vocabulary (namespaces, operations, actions) is the library's
(``dui_conformance.ins.insi_request``), which reads requests for the mock and for the checks. The
reference DUI's client (mocks/dui/insi_client.py) spells the names out on its own on purpose: a
wrong name here then shows up as a failing test, not a silent match.
"""

from __future__ import annotations

import uuid

from lxml import etree

from dui_conformance.ins.insi_personas import InsRecord, Persona, PersonaFault
from dui_conformance.ins.insi_request import RESULTAT_NS, SOAP12_NS, WSA_NS

SIRAM_NS = "urn:siram"
CR_LABELS = {"00": "OK", "01": "Aucune identite trouvee", "02": "Plusieurs identites trouvees"}


def _sub(parent: etree._Element, ns: str, name: str, text: str | None = None, **attrib) -> etree._Element:
    node = etree.SubElement(parent, f"{{{ns}}}{name}", attrib)
    if text is not None:
        node.text = text
    return node


def envelope(payload: etree._Element, relates_to: str | None = None) -> bytes:
    """A SOAP 1.2 envelope around ``payload``, relating to the request's MessageID if any."""
    env = etree.Element(f"{{{SOAP12_NS}}}Envelope", nsmap={"soap": SOAP12_NS, "wsa": WSA_NS})
    header = _sub(env, SOAP12_NS, "Header")
    _sub(header, WSA_NS, "MessageID", f"uuid:{uuid.uuid4()}")
    if relates_to:
        _sub(header, WSA_NS, "RelatesTo", relates_to)
    _sub(env, SOAP12_NS, "Body").append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def _ins(parent: etree._Element, name: str, record: InsRecord) -> None:
    node = _sub(parent, RESULTAT_NS, name)
    ident = _sub(node, RESULTAT_NS, "IdIndividu")
    _sub(ident, RESULTAT_NS, "NumIdentifiant", record.nir)
    _sub(ident, RESULTAT_NS, "Cle", record.key)
    if record.type:
        _sub(ident, RESULTAT_NS, "TypeMatricule", record.type)
    _sub(node, RESULTAT_NS, "OID", record.oid)
    if record.start:
        _sub(node, RESULTAT_NS, "DateDeb", record.start)
    if record.end:
        _sub(node, RESULTAT_NS, "DateFin", record.end)


def resultat(cr: str, persona: Persona | None = None) -> etree._Element:
    """RESULTAT{CR, INDIVIDU?}; INDIVIDU only for CR 00."""
    root = etree.Element(f"{{{RESULTAT_NS}}}RESULTAT", nsmap={None: RESULTAT_NS})
    cr_node = _sub(root, RESULTAT_NS, "CR")
    _sub(cr_node, RESULTAT_NS, "CodeCR", cr)
    _sub(cr_node, RESULTAT_NS, "LibelleCR", CR_LABELS[cr])
    if persona is not None and persona.ins is not None:
        individu = _sub(root, RESULTAT_NS, "INDIVIDU")
        _ins(individu, "INSACTIF", persona.ins)
        for record in persona.history:
            _ins(individu, "INSHISTO", record)
        tiq = _sub(individu, RESULTAT_NS, "TIQ")
        _sub(tiq, RESULTAT_NS, "NomNaissance", persona.birth_name)
        _sub(tiq, RESULTAT_NS, "Prenom", persona.first_names[0])
        _sub(tiq, RESULTAT_NS, "ListePrenom", " ".join(persona.first_names))
        _sub(tiq, RESULTAT_NS, "Sexe", persona.sex)
        _sub(tiq, RESULTAT_NS, "DateNaissance", persona.birth_date)
        _sub(tiq, RESULTAT_NS, "LieuNaissance", persona.birth_place)
    return root


def fault(
    reason: str, code: str = "Sender", error: PersonaFault | None = None, message_id: str | None = None
) -> etree._Element:
    """SOAP 1.2 Fault; with ``error``, the siram subcode and siram:Erreur detail (desir code) INSi uses."""
    root = etree.Element(f"{{{SOAP12_NS}}}Fault", nsmap={"soap": SOAP12_NS})
    code_node = _sub(root, SOAP12_NS, "Code")
    _sub(code_node, SOAP12_NS, "Value", f"soap:{code}")
    if error is not None:
        _sub(_sub(code_node, SOAP12_NS, "Subcode"), SOAP12_NS, "Value", f"soap:{error.siram}")
    text = _sub(_sub(root, SOAP12_NS, "Reason"), SOAP12_NS, "Text", reason)
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
    if error is not None:
        detail = _sub(root, SOAP12_NS, "Detail")
        attrib = {"code": error.desir, "severite": "erreur"}
        if message_id:
            attrib["messageID"] = message_id
        node = etree.SubElement(detail, f"{{{SIRAM_NS}}}Erreur", attrib, nsmap={"siram": SIRAM_NS})
        node.text = error.detail
    return root
