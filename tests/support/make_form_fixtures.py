"""Regenerate fixtures/cda/formes/ (synthetic people only): python tests/support/make_form_fixtures.py

An auto-présentable CDA and a signed CDA wrap the valid DLU of fixtures/cda/dmp/; the defective
ones first change one header element and the INS key inside it, so that exactly the requirement
ids of fixtures/cda/formes/MANIFEST.toml fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "fixtures" / "cda" / "dmp" / "dlu-valide.xml"
TARGET = ROOT / "fixtures" / "cda" / "formes"
COMMENT = "<!-- Document synthétique du harnais dui-conformance : personnes fictives, INS de test. -->"

AUTO_PRESENTED = """<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="#"?>
{comment}
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:data="urn:dui-conformance:exemple:auto-presentable" xmlns:c="urn:hl7-org:v3">
  <data:Contenu>
{cda}
  </data:Contenu>
  <xsl:output method="html" encoding="UTF-8"/>
  <xsl:template match="/">
    <html><body><h1><xsl:value-of select="//c:ClinicalDocument/c:title"/></h1></body></html>
  </xsl:template>
</xsl:stylesheet>
"""

# XAdES enveloping form: the signed ClinicalDocument sits in ds:Object (values are placeholders:
# the harness does not verify signatures, it checks the document they carry).
SIGNED = """<?xml version="1.0" encoding="UTF-8"?>
{comment}
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="signature-fictive">
  <ds:SignedInfo>
    <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
    <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
    <ds:Reference URI="#document-signe">
      <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
      <ds:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</ds:DigestValue>
    </ds:Reference>
  </ds:SignedInfo>
  <ds:SignatureValue>AAAA</ds:SignatureValue>
  <ds:Object Id="document-signe">
{cda}
  </ds:Object>
</ds:Signature>
"""

VALID_MATRICULE = 'extension="248055145412365"'
BAD_KEY = 'extension="248055145412366"'  # INS-01: wrong control key
DEFECTS = {
    "autopresentable": ('<realmCode code="FR"/>', '<realmCode code="BE"/>'),  # DMP-03
    "signe": (
        '<id root="1.2.250.1.71.4.2.1" extension="899900000011"/>\n      <assignedPerson>',
        '<id root="1.2.250.1.71" extension="899900000011"/>\n      <assignedPerson>',
    ),  # DMP-08
}


def _cda(defective: str | None) -> str:
    text = SOURCE.read_text(encoding="utf-8")
    text = text[text.index("<ClinicalDocument") :].rstrip()
    if defective:
        old, new = DEFECTS[defective]
        assert text.count(old) == 1 and text.count(VALID_MATRICULE) == 1
        text = text.replace(old, new).replace(VALID_MATRICULE, BAD_KEY)
    return text


def main() -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, template in (("autopresentable", AUTO_PRESENTED), ("signe", SIGNED)):
        for suffix, defective in (("valide", None), ("defauts", name)):
            text = template.format(comment=COMMENT, cda=_cda(defective))
            (TARGET / f"{name}-{suffix}.xml").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
