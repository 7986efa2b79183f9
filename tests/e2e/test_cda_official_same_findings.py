"""What the harness does differently from TestContenuCDA changes no finding, on every CDA fixture,
valid or defective, and on the ANS examples when ../shared is present:
- one Saxon tree per document, shared by all its schematrons, gives the DMP-30/DMP-31 findings that
  one freshly parsed tree per schematron gives (how the harness ran them before);
- the leaner stylesheets (``stylesheets.lean_stylesheet``: rules applied to the nodes they select,
  shared asserts) give the SVRL, and so the findings, of the ISO skeleton's own compilation, as
  TestContenuCDA runs it; also on mutants of the ANS examples (elements removed, repeated, moved,
  templateIds exchanged, attributes dropped), so that rules fire on shapes no example has.

Needs a local copy of the official referential: DUI_REFERENTIEL_CDA=/path/to/TestContenuCDA.
Skipped when the variable is unset (CI has no referential); never copies anything from it.

Both evaluations run on compiled stylesheets: a schematron compiled during a call also loads the
value sets, whose unreadable files become DMP-31 findings from the next document on (and never
with a warm cache); that existing inconsistency is not what this test is about.
"""

from __future__ import annotations

import copy
import os
import random
import re
from pathlib import Path

import pytest
from lxml import etree

from dui_conformance.cda import CdaContext, official
from dui_conformance.fixtures import iter_manifest
from dui_conformance.inputs import CDA, load
from dui_conformance.model import Outcome
from dui_conformance.xmlsafe import XmlProblem, parse_xml

from ..support.cda import SHARED

REFERENTIAL = os.environ.get("DUI_REFERENTIEL_CDA")
TIMESTAMP = re.compile(r' dateHeure="[^"]*"')  # when the SVRL was produced, the only varying part
# the ANS examples of ../shared and, read in place, the referential's own (one or more per model)
EXAMPLES = sorted(
    set((SHARED / "cda").glob("*.xml") if (SHARED / "cda").is_dir() else [])
    | set(Path(REFERENTIAL).glob("ExemplesCDA/*.xml") if REFERENTIAL else [])
)
DOCUMENTS = sorted({e.path for e in iter_manifest() if load(e.path).kind == CDA} | set(EXAMPLES))

pytestmark = pytest.mark.skipif(
    not REFERENTIAL or not (Path(REFERENTIAL) / official.XSD).is_file(),
    reason="DUI_REFERENTIEL_CDA ne désigne pas un référentiel TestContenuCDA",
)


def _findings(doc, ctx):
    return [
        (f.requirement, f.outcome, f.message, f.location.xpath, f.location.line, f.evidence)
        for f in official.check_official(doc, ctx)
    ]


def _readable_and_compiled(path, ctx):
    """The document's ClinicalDocument and its findings, once what it needs is compiled (see the note below)."""
    try:
        doc = load(path).cda
    except XmlProblem:
        pytest.skip("document illisible : le contrôle officiel ne s'y applique pas")
    _findings(doc, ctx)
    return doc, _findings(doc, ctx)


@pytest.fixture(scope="module")
def official_ctx() -> CdaContext:
    return CdaContext.build(referential_dir=REFERENTIAL)


@pytest.fixture(scope="module")
def outcomes():
    return []


@pytest.mark.parametrize("path", DOCUMENTS, ids=[f"{p.parent.name}/{p.name}" for p in DOCUMENTS])
def test_shared_tree_gives_the_findings_of_one_tree_per_schematron(path, official_ctx, outcomes, monkeypatch):
    doc, shared = _readable_and_compiled(path, official_ctx)
    run = official.OfficialReferential.run
    monkeypatch.setattr(official.OfficialReferential, "run", lambda self, doc, rel, node=None: run(self, doc, rel))
    assert _findings(doc, official_ctx) == shared
    outcomes.extend(f[:2] for f in shared)


def _svrl(referential, rel, tree) -> str | None:
    """The SVRL of one schematron, or the first line of the error the transform raised (a document
    may break a rule's XPath: both compilations must stop on the same error); None if not compilable."""
    try:
        executable = referential.executable(rel)
    except official.OfficialError:
        return None
    try:
        return TIMESTAMP.sub("", executable.transform_to_string(xdm_node=tree))
    except Exception as exc:  # SaxonApiError: a dynamic error of the rules themselves
        return "erreur : " + str(exc).strip().splitlines()[0]


def _assert_same_svrl(doc, ctx, monkeypatch) -> dict[str, str]:
    referential = ctx.referential
    tree = official.saxon_node(doc)
    rels = [rel for _label, rel in official.schematrons_for(doc, ctx)]
    lean = {rel: _svrl(referential, rel, tree) for rel in rels}
    with monkeypatch.context() as patch:
        patch.setattr(referential, "lean", False)
        assert {rel: _svrl(referential, rel, tree) for rel in rels} == lean
    return lean


@pytest.mark.parametrize("path", DOCUMENTS, ids=[f"{p.parent.name}/{p.name}" for p in DOCUMENTS])
def test_lean_stylesheets_give_the_svrl_of_the_iso_compilation(path, official_ctx, outcomes, monkeypatch):
    doc, lean = _readable_and_compiled(path, official_ctx)
    _assert_same_svrl(doc, official_ctx, monkeypatch)
    monkeypatch.setattr(official_ctx.referential, "lean", False)
    assert _findings(doc, official_ctx) == lean
    outcomes.extend(f[:2] for f in lean)


MUTANTS = 8  # per example


def _mutant(tree, rng: random.Random):
    """The tree with one to three random edits, each of a kind that changes which rules fire."""
    elements = [e for e in tree.iter() if isinstance(e.tag, str) and e.getparent() is not None]
    roots = [e.get("root") for e in elements if e.tag.endswith("}templateId") and e.get("root")]
    for _ in range(rng.randint(1, 3)):
        target = rng.choice(elements)
        parent = target.getparent()
        if parent is None:
            continue
        edit = rng.randrange(5)
        if edit == 0:
            parent.remove(target)
        elif edit == 1:
            target.addnext(copy.deepcopy(target))
        elif edit == 2:
            parent.append(target)
        elif edit == 3 and target.attrib:
            del target.attrib[rng.choice(sorted(target.attrib))]
        elif roots:
            ids = [e for e in elements if e.tag.endswith("}templateId")]
            rng.choice(ids).set("root", rng.choice(roots))
    return tree


@pytest.fixture(scope="module")
def changed():
    return []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_lean_stylesheets_give_the_svrl_of_the_iso_compilation_on_mutants(path, official_ctx, changed, monkeypatch):
    try:
        source = load(path).cda
    except XmlProblem:
        pytest.skip("document illisible")
    original = _assert_same_svrl(source, official_ctx, monkeypatch)
    rng = random.Random(path.name)
    for number in range(MUTANTS):
        doc = parse_xml(etree.tostring(_mutant(copy.deepcopy(source.tree), rng)), f"{path.name}#mutant{number}")
        changed.append(_assert_same_svrl(doc, official_ctx, monkeypatch) != original)


def test_the_mutants_changed_what_the_rules_say(changed):
    """Run after the mutants: most of them changed the SVRL, so the comparison was not on a fixed output."""
    assert changed and sum(changed) > len(changed) / 2


def test_the_comparison_saw_failures_and_passes(outcomes):
    """Run last in this module: the documents above exercised both verdicts of DMP-30."""
    assert ("DMP-30", Outcome.FAIL) in outcomes and ("DMP-30", Outcome.PASS) in outcomes
