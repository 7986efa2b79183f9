"""The --referentiel-cda mechanism on a tiny synthetic referential (no official package needed).

The referential is built in tmp_path: a small XSD, an ISO schematron reading a value set through
``doc('include/voc-<OID>-DYNAMIC.xml')`` like the CI-SIS ones, an SVS file, and the ISO skeleton
(lxml ships the XSLT 1 edition, which Saxon runs as well).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import lxml
import pytest

from dui_conformance.cda import CdaContext, check_cda
from dui_conformance.cda.official import PROFILES
from dui_conformance.model import Outcome
from dui_conformance.xmlsafe import parse_xml

SKELETON = Path(lxml.__file__).parent / "isoschematron" / "resources" / "xsl" / "iso-schematron-xslt1"
XSD = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:hl7-org:v3"
           xmlns="urn:hl7-org:v3" elementFormDefault="qualified">
  <xs:element name="ClinicalDocument">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="realmCode"><xs:complexType><xs:attribute name="code"/></xs:complexType></xs:element>
        <xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""
SCH = """<?xml version="1.0" encoding="UTF-8"?>
<schema xmlns="http://purl.oclc.org/dsdl/schematron">
  <ns prefix="hl7" uri="urn:hl7-org:v3"/>
  <pattern id="titre">
    <rule context="hl7:ClinicalDocument">
      <assert test="hl7:title">Le titre est obligatoire.</assert>
      <assert test="hl7:code/@code = document('include/voc-1.2.3.4.999.5-DYNAMIC.xml')//concept/@code">Code hors jeu de valeurs.</assert>
      <assert test="count(document('include/voc-1.2.3.4.999.6-DYNAMIC.xml')//concept) = 0">Jeu de valeurs absent lu vide.</assert>
    </rule>
  </pattern>
</schema>
"""
SVS = """<?xml version="1.0" encoding="UTF-8"?>
<RetrieveValueSetResponse xmlns="urn:ihe:iti:svs:2008">
  <ValueSet id="1.2.3.4.999.5" displayName="JDV_TEST">
    <ConceptList><Concept code="X1" codeSystem="1.2.3.4.999.9"/></ConceptList>
  </ValueSet>
</RetrieveValueSetResponse>
"""
DOC = """<?xml version="1.0"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <realmCode code="FR"/>
  {title}
  <code code="{code}" codeSystem="1.2.3.4.999.9"/>
</ClinicalDocument>
"""


@pytest.fixture()
def referential(tmp_path: Path) -> Path:
    root = tmp_path / "TestContenuCDA"
    (root / "infrastructure" / "cda").mkdir(parents=True)
    (root / "infrastructure" / "cda" / "CDA_extended.xsd").write_text(XSD)
    engine = root / "schematrons" / "moteur"
    engine.mkdir(parents=True)
    for name in ("iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_schematron_skeleton_for_xslt1.xsl"):
        shutil.copy(SKELETON / name, engine / name)
    shutil.copy(SKELETON / "iso_svrl_for_xslt1.xsl", engine / "iso_svrl_for_xslt2.xsl")
    sch = root / PROFILES["Structuration minimale"]
    sch.parent.mkdir(parents=True)
    sch.write_text(SCH)
    (root / "jeuxDeValeurs").mkdir()
    (root / "jeuxDeValeurs" / "JDV_TEST.xml").write_text(SVS)
    return root


def _run(referential: Path, cache: Path, text: str):
    ctx = CdaContext.build(referential_dir=referential, cache_dir=cache)
    doc = parse_xml(text.encode(), "doc.xml")
    return ctx, [f for f in check_cda(doc, ctx) if f.requirement in ("DMP-02", "DMP-30", "DMP-31")]


def test_official_pass_fail_and_versions(referential, tmp_path):
    cache = tmp_path / "cache"
    ctx, findings = _run(referential, cache, DOC.format(title="<title>T</title>", code="X1"))
    by = {(f.requirement, f.outcome) for f in findings}
    assert ("DMP-30", Outcome.PASS) in by and ("DMP-02", Outcome.PASS) in by
    # the other profiles are absent from this referential and the voc file of 1.2.3.4.999.6 has no SVS: reported
    skips = [f.message for f in findings if f.requirement == "DMP-31"]
    assert any("absent" in m for m in skips) and any("1.2.3.4.999.6" in m for m in skips)
    artefacts = ctx.referential.artefacts()
    assert {a["name"] for a in artefacts} >= {"Schéma CDA_extended.xsd", "Schématron Structuration minimale"}
    assert all(a["version"].startswith("sha256:") for a in artefacts)
    # each artefact has its own digest; a plain folder has no commit
    by_name = {a["name"]: a for a in artefacts}
    assert by_name["Schéma CDA_extended.xsd"]["sha256"] != by_name["Schématron Structuration minimale"]["sha256"]
    assert by_name["Schéma CDA_extended.xsd"]["sha256"] == hashlib.sha256(XSD.encode()).hexdigest()
    assert all("commit" not in a for a in artefacts)

    compiled = next(cache.rglob("ASIP-STRUCT-MIN-StrucMin.xsl"))
    stamp = compiled.stat().st_mtime_ns
    _, findings = _run(referential, cache, DOC.format(title="", code="Z9"))
    assert compiled.stat().st_mtime_ns == stamp  # second run reuses the compiled stylesheet
    fails = [f for f in findings if f.requirement == "DMP-30" and f.outcome is Outcome.FAIL]
    assert {f.message.split("] ", 1)[1] for f in fails} == {"Le titre est obligatoire.", "Code hors jeu de valeurs."}
    assert all(f.location.xpath == "/hl7:ClinicalDocument" and f.location.line == 2 for f in fails)


def test_schema_failure_and_broken_schematron(referential, tmp_path):
    sch = referential / PROFILES["Structuration minimale"]
    sch.write_text(SCH.replace("<pattern", '<include href="absent.sch"/><pattern', 1))
    _, findings = _run(
        referential,
        tmp_path / "c",
        DOC.format(title="<title>T</title>", code="X1").replace('<realmCode code="FR"/>', ""),
    )
    assert any(f.requirement == "DMP-02" and f.outcome is Outcome.FAIL for f in findings)
    assert any(f.requirement == "DMP-31" and "non compilable" in f.message for f in findings)
    assert any(f.requirement == "DMP-30" and f.outcome is Outcome.SKIP for f in findings)


def test_git_commit_is_the_version(referential, tmp_path):
    git = referential / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text("7cd489b39368809df9bcf2cfef5e5d6354438a02\n")
    ctx = CdaContext.build(referential_dir=referential, cache_dir=tmp_path / "c")
    assert ctx.referential.version() == "git:7cd489b39368809df9bcf2cfef5e5d6354438a02"


def test_missing_referential_is_reported(tmp_path):
    _, findings = _run(tmp_path / "nowhere", tmp_path / "c", DOC.format(title="<title>T</title>", code="X1"))
    assert any(f.requirement == "DMP-31" and "introuvable" in f.message for f in findings)


def test_artefacts_record_git_commit(referential):
    git = ["git", "-C", str(referential), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    if shutil.which("git") is None:
        pytest.skip("git absent")
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "r"], check=True)
    head = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    artefacts = CdaContext.build(referential_dir=referential).referential.artefacts()
    assert artefacts and all(a["commit"] == head and a["version"] == f"git:{head}" for a in artefacts)


def test_official_layers_run_on_the_clinical_document_of_an_auto_presented_cda(referential, tmp_path):
    """XSD and schematrons see the embedded ClinicalDocument; their findings point into the original file."""
    from dui_conformance.cda import check_cda_input
    from dui_conformance.inputs import load

    cda = DOC.format(title="", code="Z9").split("\n", 1)[1]  # without its XML declaration
    path = tmp_path / "auto.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<?xml-stylesheet type="text/xsl" href="#"?>\n'
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" '
        'xmlns:d="urn:donnees">\n<d:Contenu>\n' + cda + "</d:Contenu>\n</xsl:stylesheet>\n"
    )
    ctx = CdaContext.build(referential_dir=referential, cache_dir=tmp_path / "cache")
    findings = check_cda_input(load(path), ctx)
    assert any(f.requirement == "DMP-02" and f.outcome is Outcome.PASS for f in findings)
    fails = [f for f in findings if f.requirement == "DMP-30" and f.outcome is Outcome.FAIL]
    assert {f.message.split("] ", 1)[1] for f in fails} == {"Le titre est obligatoire.", "Code hors jeu de valeurs."}
    assert all(
        f.location.xpath == "/xsl:stylesheet/*[local-name()='Contenu']/hl7:ClinicalDocument" and f.location.line == 5
        for f in fails
    )


REPEATED = """<?xml version="1.0" encoding="UTF-8"?>
<schema xmlns="http://purl.oclc.org/dsdl/schematron">
  <ns prefix="hl7" uri="urn:hl7-org:v3"/>
  <pattern id="p1">
    <rule context="hl7:ClinicalDocument/hl7:realmCode"><assert test="@code = 'FR'">Code <value-of select="name()"/> attendu FR.</assert></rule>
    <rule context="hl7:ClinicalDocument/hl7:code"><assert test="@code = 'FR'">Code <value-of select="name()"/> attendu FR.</assert></rule>
  </pattern>
  <pattern id="p2">
    <rule context="hl7:code"><let name="c" value="@code"/><assert test="$c = 'FR'">Variable de règle.</assert></rule>
  </pattern>
</schema>
"""


def test_lean_stylesheet_factors_repeated_asserts_and_gives_the_same_svrl(referential, tmp_path):
    from dui_conformance.cda.official import OfficialReferential, saxon_node

    rel = PROFILES["Structuration minimale"]
    (referential / rel).write_text(REPEATED)
    official = OfficialReferential(referential, cache_dir=tmp_path / "c")
    lean = official.compiled(rel).read_text(encoding="utf-8")
    assert lean.count("<xsl:call-template") == 2 and lean.count('name="dui-assert-1"') == 3
    standard = official.standard(rel).read_text(encoding="utf-8")
    assert lean.count("<xsl:choose") == standard.count("<xsl:choose") - 1  # the block reading $c stays in its rule
    doc = parse_xml(DOC.format(title="", code="X1").replace('"FR"', '"BE"').encode(), "doc.xml")
    tree = saxon_node(doc)
    svrl = official.run(doc, rel, tree)
    assert [f["text"] for f in svrl] == ["Code realmCode attendu FR.", "Code code attendu FR.", "Variable de règle."]
    official.lean = False
    assert official.run(doc, rel, tree) == svrl


SELECTED = """<?xml version="1.0" encoding="UTF-8"?>
<schema xmlns="http://purl.oclc.org/dsdl/schematron">
  <ns prefix="hl7" uri="urn:hl7-org:v3"/>
  <pattern id="chemins">
    <rule context="*[hl7:templateId/@root = '1.2.4']"><assert test="hl7:title">Section 1.2.4 sans titre.</assert></rule>
    <rule context="hl7:section[hl7:templateId/@root='1.2.3']"><assert test="hl7:entry">Section 1.2.3 sans entrée.</assert></rule>
    <rule context="hl7:section"><report test="hl7:section">Section imbriquée.</report></rule>
    <rule context="hl7:entry[1]"><assert test="@typeCode = 'DRIV'">Première entrée : typeCode <value-of select="@typeCode"/>.</assert></rule>
    <rule context="hl7:ClinicalDocument//hl7:code | hl7:value"><assert test="@code">Code sans @code.</assert></rule>
    <rule context="/hl7:ClinicalDocument/hl7:title"><assert test="string-length(.) &gt; 3">Titre trop court.</assert></rule>
    <rule context="@code"><assert test="false()">Attribut visité.</assert></rule>
  </pattern>
  <pattern id="courant">
    <rule context="hl7:code[@code = current()/@code]"><assert test="@codeSystem">Sans codeSystem.</assert></rule>
  </pattern>
  <pattern id="racine">
    <rule context="/"><assert test="hl7:ClinicalDocument">Pas de ClinicalDocument.</assert></rule>
    <rule context="hl7:*"><assert test="true()">Élément HL7.</assert></rule>
  </pattern>
</schema>
"""
SELECTED_DOCS = [
    DOC.format(title="<title>Court</title>", code="X1"),
    """<?xml version="1.0"?>
<!-- avant --><ClinicalDocument xmlns="urn:hl7-org:v3"><title>Doc</title>
  <component><section><templateId root="1.2.4"/><code code="A"/>
    <section><templateId root="1.2.3"/><entry typeCode="COMP"/><entry typeCode="DRIV"/><!-- c --></section>
    <section><templateId root="1.2.3"/><templateId root="1.2.4"/><title>T</title><value/></section>
  </section></component><code/>
</ClinicalDocument>""",
]


def test_rules_applied_to_the_nodes_they_select_give_the_standard_svrl(referential, tmp_path):
    """Each pattern's walk of the document becomes a selection of its rule contexts: the whole SVRL
    (fired rules and their order included) is the ISO compilation's, on overlapping rules, unions,
    positional and absolute contexts, a templateId lookup by key and contexts that are not paths."""
    from dui_conformance.cda.official import OfficialReferential, saxon_node

    rel = PROFILES["Structuration minimale"]
    (referential / rel).write_text(SELECTED)
    official = OfficialReferential(referential, cache_dir=tmp_path / "c")
    lean = official.compiled(rel).read_text(encoding="utf-8")
    assert lean.count('select="/" mode="M') == 1  # the pattern using current() keeps its walk
    assert "key('dui-templateId', '1.2.4')" in lean and 'name="dui-templateId"' in lean
    for text in SELECTED_DOCS:
        tree = saxon_node(parse_xml(text.encode(), "doc.xml"))
        official.lean = True
        selected = official.executable(rel).transform_to_string(xdm_node=tree)
        official.lean = False
        assert selected == official.executable(rel).transform_to_string(xdm_node=tree)
        assert selected.count("fired-rule") >= 5


def test_a_lean_stylesheet_that_does_not_compile_gives_way_to_the_iso_compilation(referential, tmp_path):
    from dui_conformance.cda.official import OfficialReferential, saxon_node

    rel = PROFILES["Structuration minimale"]
    (referential / rel).write_text(SELECTED)
    official = OfficialReferential(referential, cache_dir=tmp_path / "c")
    lean = official.compiled(rel)
    lean.write_text(lean.read_text(encoding="utf-8").replace("key('dui-templateId'", "key(("), encoding="utf-8")
    doc = parse_xml(SELECTED_DOCS[1].encode(), "doc.xml")
    tree = saxon_node(doc)
    failures = official.run(doc, rel, tree)
    official.lean = False
    assert failures and official.run(doc, rel, tree) == failures
