"""The official TestContenuCDA referential (``--referentiel-cda DIR``): XSD, schematrons, value sets.

Schematrons are compiled to XSLT with SaxonC-HE through the ISO skeleton the referential ships
(``schematrons/moteur/``: include → abstract expand → svrl for xslt2), once: compiled stylesheets
are cached on disk under a key made of the referential version, so later runs only load them.
The rules read value sets through ``doc('include/voc-<OID>-DYNAMIC.xml')``, files the referential
does not carry: they are generated from ``jeuxDeValeurs/*.xml`` (SVS) next to the compiled
stylesheet. The compiled stylesheet is then made leaner without changing its output
(:mod:`.stylesheets`: rules applied to the nodes they select instead of a walk of the whole
document, repeated asserts shared). Anything
broken upstream (missing include, missing value set) becomes a DMP-31 finding, never a crash.
Every artefact used is reported with its version.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from lxml import etree

from ..model import Finding, failed, omitted, passed, skipped
from ..xmlsafe import XmlDocument
from .common import cda_layer
from .models import recognise
from .stylesheets import lean_stylesheet
from .valuesets import load_value_sets

XSD = "infrastructure/cda/CDA_extended.xsd"
ENGINE = "schematrons/moteur"
SKELETON = ("iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_svrl_for_xslt2.xsl")
VALUE_SETS = "jeuxDeValeurs"
PROFILES = {  # the cross-model schematrons TestContenuCDA runs on every document
    "IHE": "schematrons/profils/IHE.sch",
    "Structuration minimale": "schematrons/profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch",
    "Modèles de contenus CDA": "schematrons/profils/CI-SIS_ModelesDeContenusCDA.sch",
    "Modèles ANS": "schematrons/profils/CI-SIS_Modeles_ANS.sch",
}
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
_VOC = re.compile(r"include/voc-([0-9.]+)-DYNAMIC\.xml")
_NS_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='urn:hl7-org:v3'\]")
_BARE_STEP = re.compile(r"/(?![\w.-]*:)([A-Za-z_][\w.-]*)")
_NON_FAILING_ROLES = {"warning", "warn", "info", "information", "avertissement"}
_FAILURES = etree.XPath(
    "//svrl:failed-assert | //svrl:successful-report[@role='error' or @role='fatal']", namespaces=SVRL
)
_TEXT = etree.XPath("svrl:text//text()", namespaces=SVRL)
_SVRL_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
CACHE_FORMAT = "3"  # bump when the compiled layout changes
MAX_FINDINGS = 200

_SCHEMAS: dict[tuple[str, float], etree.XMLSchema] = {}
_EXECUTABLES: dict[str, object] = {}
_SAXON = None


def _saxon():
    global _SAXON
    if _SAXON is None:
        from saxonche import PySaxonProcessor

        _SAXON = PySaxonProcessor(license=False)
    return _SAXON


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dui-conformance"


def _git_commit(root: Path) -> str | None:
    """HEAD commit read from the .git folder (no git binary needed)."""
    git = root / ".git"
    if git.is_file():  # worktree: "gitdir: <path>"
        git = Path(git.read_text().split(":", 1)[1].strip())
    head = git / "HEAD"
    if not head.is_file():
        return None
    ref = head.read_text().strip()
    if not ref.startswith("ref:"):
        return ref
    name = ref.split(" ", 1)[1]
    for base in (git, Path(git / "commondir").read_text().strip() if (git / "commondir").is_file() else None):
        if base is None:
            continue
        base = (git / base) if not Path(base).is_absolute() else Path(base)
        if (base / name).is_file():
            return (base / name).read_text().strip()
        packed = base / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + name):
                    return line.split()[0]
    return None


def _sha256(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (relative name and bytes, in name order)."""
    h = hashlib.sha256()
    if path.is_file():
        h.update(path.read_bytes())
        return h.hexdigest()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(str(file.relative_to(path)).encode())
        h.update(file.read_bytes())
    return h.hexdigest()


class OfficialReferential:
    """A checkout of TestContenuCDA; read only, never modified. ``lean=False`` runs the ISO
    skeleton's own compilation (:meth:`standard`) instead of the leaner one (tests, benchmark)."""

    def __init__(self, path: str | Path, cache_dir: str | Path | None = None, lean: bool = True):
        self.root = Path(path).resolve()
        self.lean = lean
        self.cache_root = Path(cache_dir) if cache_dir else default_cache_dir()
        xsd = self.root / XSD
        self.xsd_path = xsd if xsd.is_file() else None
        self.problems: list[str] = []  # artefacts that could not be used, in French
        if not self.root.is_dir():
            self.problems.append(f"Référentiel CDA introuvable : {self.root}")
        elif self.xsd_path is None:
            self.problems.append(f"Schéma {XSD} absent du référentiel.")
        self._version: str | None = None
        self._vocab: dict[str, list[tuple[str, str]]] | None = None
        self._schema_problem: str | None = None

    # --- versions -------------------------------------------------------------------------------
    def version(self) -> str:
        if self._version is None:
            commit = _git_commit(self.root) if self.root.is_dir() else None
            self._version = f"git:{commit}" if commit else f"sha256:{self._digest()}"
        return self._version

    def _digest(self) -> str:
        h = hashlib.sha256()
        for folder in ("infrastructure/cda", "schematrons", VALUE_SETS):
            base = self.root / folder
            for path in sorted(base.rglob("*")) if base.is_dir() else []:
                if path.suffix in (".xsd", ".sch", ".xsl", ".xml") and path.is_file():
                    h.update(str(path.relative_to(self.root)).encode())
                    h.update(path.read_bytes())
        return h.hexdigest()

    def artefacts(self) -> list[dict[str, str]]:
        """Every official artefact the harness may use: its own SHA-256 (of the file, or of a folder's
        files), the referential's version, and the git commit when the referential is a checkout."""
        commit = _git_commit(self.root) if self.root.is_dir() else None
        out = []
        items = [("Schéma CDA_extended.xsd", XSD)] + [(f"Schématron {k}", v) for k, v in PROFILES.items()]
        items += [
            (f"Schématron {p.stem}", str(p.relative_to(self.root)))
            for p in sorted((self.root / "schematrons").glob("CI-SIS_*.sch"))
        ]
        items += [("Jeux de valeurs CI-SIS (SVS)", VALUE_SETS), ("Moteur schématron ISO", ENGINE)]
        for name, rel in items:
            path = self.root / rel
            if path.exists():
                entry = {"name": name, "version": self.version(), "path": str(path), "sha256": _sha256(path)}
                if commit:
                    entry["commit"] = commit
                out.append(entry)
        return out

    # --- XSD ------------------------------------------------------------------------------------
    def schema(self) -> etree.XMLSchema | None:
        """CDA_extended.xsd compiled once per process (cache keyed by path and mtime)."""
        if self.xsd_path is None:
            return None
        key = (str(self.xsd_path), self.xsd_path.stat().st_mtime)
        if key not in _SCHEMAS:
            try:
                parser = etree.XMLParser(no_network=True, resolve_entities=False)
                _SCHEMAS[key] = etree.XMLSchema(etree.parse(str(self.xsd_path), parser))
            except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
                self._schema_problem = f"Schéma {self.xsd_path.name} inutilisable : {exc}"
                return None
        return _SCHEMAS[key]

    def validate_schema(self, doc: XmlDocument) -> list[tuple[str, int | None, object]]:
        schema = self.schema()
        if schema is None or schema.validate(doc.tree):
            return []
        out = []
        for err in schema.error_log:
            node = _node_at_line(doc, err.line)
            out.append((err.message, err.line, node))
        return out

    # --- schematrons ----------------------------------------------------------------------------
    def cache_dir(self) -> Path:
        key = hashlib.sha256(f"{CACHE_FORMAT}|{self.root}|{self.version()}".encode()).hexdigest()[:24]
        return self.cache_root / key

    def compiled(self, sch_rel: str) -> Path:
        """Path of the compiled XSLT for a schematron (compiling it on first use); raises OfficialError."""
        source = self.root / sch_rel
        target = self.cache_dir() / Path(sch_rel).with_suffix(".xsl")
        marker = target.with_suffix(".echec")
        if target.is_file():
            return target
        if marker.is_file():
            raise OfficialError(marker.read_text(encoding="utf-8"))
        if not source.is_file():
            raise OfficialError(f"Schématron {sch_rel} absent du référentiel.")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            text = self._compile(source, target.parent)
        except Exception as exc:  # SaxonApiError and friends: an upstream defect, reported as such
            message = f"Schématron {sch_rel} non compilable : {str(exc).strip().splitlines()[0][:400]}"
            marker.write_text(message, encoding="utf-8")
            raise OfficialError(message) from None
        self._write_vocabularies(text, target.parent)
        self._link_value_sets()
        tmp = target.with_suffix(".tmp")
        tmp.write_text(lean_stylesheet(text), encoding="utf-8")
        tmp.replace(target)
        return target

    def _compile(self, source: Path, workdir: Path) -> str:
        engine = self.root / ENGINE
        missing = [name for name in SKELETON if not (engine / name).is_file()]
        if missing:
            raise OfficialError(f"moteur ISO incomplet ({', '.join(missing)} absent de {ENGINE})")
        xslt = _saxon().new_xslt30_processor()
        current = source
        for step, name in enumerate(SKELETON):
            out = workdir / f"{source.stem}.etape{step + 1}.xml"
            executable = xslt.compile_stylesheet(stylesheet_file=str(engine / name))
            executable.transform_to_file(source_file=str(current), output_file=str(out))
            if not out.is_file():
                raise OfficialError(f"étape {name} sans résultat")
            current = out
        return current.read_text(encoding="utf-8")

    def standard(self, sch_rel: str) -> Path:
        """The ISO skeleton's own compilation of a schematron, as TestContenuCDA runs it (last step
        of :meth:`compiled`, kept next to the leaner stylesheet): the reference of the tests and benchmark."""
        compiled = self.compiled(sch_rel)
        return compiled.with_name(f"{compiled.stem}.etape{len(SKELETON)}.xml")

    def vocabularies(self) -> dict[str, list[tuple[str, str]]]:
        if self._vocab is None:
            sets, problems = load_value_sets(self.root / VALUE_SETS) if (self.root / VALUE_SETS).is_dir() else ({}, [])
            self.problems += [f"Jeu de valeurs illisible : {p}" for p in problems]
            self._vocab = {oid: sorted(vs.codes) for oid, vs in sets.items()}
        return self._vocab

    def _write_vocabularies(self, xslt_text: str, folder: Path) -> None:
        """Generate the voc-<OID>-DYNAMIC.xml files the rules read, from the SVS files."""
        for oid in sorted(set(_VOC.findall(xslt_text))):
            path = folder / "include" / f"voc-{oid}-DYNAMIC.xml"
            path.parent.mkdir(parents=True, exist_ok=True)
            root = etree.Element("valueSets")
            concepts = etree.SubElement(etree.SubElement(root, "valueSet", id=oid), "conceptList")
            codes = self.vocabularies().get(oid)
            if codes is None:
                (folder / "include" / f"voc-{oid}.absent").write_text(oid, encoding="utf-8")
            for code, system in codes or []:
                etree.SubElement(concepts, "concept", code=code, codeSystem=system)
            path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    def _link_value_sets(self) -> None:
        """Rules also open ``../jeuxDeValeurs/X.xml`` relative to their schematron: mirror that folder."""
        link = self.cache_dir() / VALUE_SETS
        source = self.root / VALUE_SETS
        if link.exists() or not source.is_dir():
            return
        try:
            link.symlink_to(source, target_is_directory=True)
        except OSError:
            shutil.copytree(source, link)

    def missing_value_sets(self) -> list[str]:
        return sorted(p.read_text(encoding="utf-8") for p in self.cache_dir().rglob("voc-*.absent"))

    def executable(self, sch_rel: str):
        """The compiled stylesheet of a schematron, loaded once per process (compiling it on first use)."""
        compiled = str(self.compiled(sch_rel) if self.lean else self.standard(sch_rel))
        executable = _EXECUTABLES.get(compiled)
        if executable is None:
            try:
                executable = _load_stylesheet(compiled)
            except Exception:  # SaxonApiError
                if not self.lean:
                    raise
                # the leaner stylesheet is the harness's own rewrite: should one ever not compile, the ISO
                # compilation it came from gives the same SVRL, only slower
                executable = _load_stylesheet(str(self.standard(sch_rel)))
            _EXECUTABLES[compiled] = executable
        return executable

    def run(self, doc: XmlDocument, sch_rel: str, node=None) -> list[dict]:
        """Failed asserts (and error reports) of one schematron on a document; ``node`` is the document
        already parsed by :func:`saxon_node` (every schematron of a document shares it)."""
        executable = self.executable(sch_rel)
        result = executable.transform_to_string(xdm_node=node if node is not None else saxon_node(doc))
        svrl = etree.fromstring(result.encode("utf-8"), _SVRL_PARSER)
        out = []
        for item in _FAILURES(svrl):
            if (item.get("role") or "").lower() in _NON_FAILING_ROLES:
                continue
            text = " ".join("".join(_TEXT(item)).split())
            out.append({"location": item.get("location") or "", "test": item.get("test") or "", "text": text})
        return out


def _load_stylesheet(path: str):
    return _saxon().new_xslt30_processor().compile_stylesheet(stylesheet_file=path)


def saxon_node(doc: XmlDocument):
    """The document as a Saxon tree, parsed once for all its schematrons.

    Saxon reads the lxml tree's serialisation, not the file: the file may carry a DOCTYPE past the
    part :func:`parse_xml` inspects, or be an auto-présentable/signed CDA wrapping the ClinicalDocument.
    """
    return _saxon().parse_xml(xml_text=etree.tostring(doc.tree, encoding="unicode"))


class OfficialError(Exception):
    """An official artefact cannot be used (reported as DMP-31)."""


def _node_at_line(doc: XmlDocument, line: int | None):
    if not line:
        return None
    for node in doc.root.iter():
        if isinstance(node.tag, str) and node.sourceline == line:
            return node
    return None


def resolve(doc: XmlDocument, location: str):
    """The node an SVRL location points to, or None.

    Locations come as ``/*:x[namespace-uri()='urn:hl7-org:v3'][1]`` steps or as bare ``/x[1]`` steps
    (Art-Decor generated rules); both are rewritten to the ``hl7:`` prefix.
    """
    for path in (_NS_STEP.sub(r"hl7:\1", location), _BARE_STEP.sub(r"/hl7:\1", location)):
        try:
            found = doc.tree.xpath(path, namespaces={"hl7": "urn:hl7-org:v3"})
        except etree.XPathError:
            continue
        if isinstance(found, list) and found and isinstance(found[0], etree._Element):
            return found[0]
    return None


def schematrons_for(doc: XmlDocument, ctx) -> list[tuple[str, str]]:
    """(label, relative path) of the schematrons TestContenuCDA would run on this document."""
    chosen = list(PROFILES.items())
    for model, extension in recognise(doc, ctx.models):
        official = model.get("official") or {}
        name = official.get(extension) or official.get("*")
        if name:
            chosen.append((f"modèle {model['key']}", f"schematrons/{name}"))
    return chosen


@cda_layer("DMP-30", "DMP-31")
def check_official(doc: XmlDocument, ctx) -> list[Finding]:
    referential = getattr(ctx, "referential", None)
    if referential is None:
        if getattr(ctx, "referential_required", False):
            return [
                skipped(
                    r,
                    "Référentiel officiel non fourni ; --referentiel-cda attendu, obligatoire en homologation.",
                    doc.locate(doc.root),
                )
                for r in ("DMP-30", "DMP-31")
            ]
        return [
            omitted(
                r,
                "Référentiel officiel non fourni (--referentiel-cda) : contrôle non demandé pour ce profil.",
                doc.locate(doc.root),
            )
            for r in ("DMP-30", "DMP-31")
        ]
    usable: list[Finding] = [skipped("DMP-31", p, doc.locate(doc.root)) for p in referential.problems]
    results: list[Finding] = []
    ran = []
    tree = None  # the document in Saxon, parsed once for all its schematrons
    for label, rel in schematrons_for(doc, ctx):
        try:
            if tree is None:
                tree = saxon_node(doc)
            failures = referential.run(doc, rel, tree)
        except OfficialError as exc:
            usable.append(skipped("DMP-31", f"{label} : {exc}", doc.locate(doc.root)))
            continue
        except Exception as exc:  # a dynamic error inside an official rule: the artefact's fault, not the document's
            usable.append(
                skipped("DMP-31", f"{label} : exécution impossible ({str(exc).strip()[:300]})", doc.locate(doc.root))
            )
            continue
        ran.append(label)
        for item in failures[:MAX_FINDINGS]:
            node = resolve(doc, item["location"])
            loc = doc.locate(node) if node is not None else doc.locate(xpath=item["location"])
            results.append(failed("DMP-30", f"[{label}] {item['text'] or item['test']}", loc, evidence=item["test"]))
    for oid in referential.missing_value_sets():
        usable.append(
            skipped(
                "DMP-31",
                f"Jeu de valeurs {oid} absent du référentiel : règles qui l'utilisent évaluées sur une liste vide.",
                doc.locate(doc.root),
            )
        )
    version = referential.version()
    if not usable:
        usable.append(passed("DMP-31", f"Artefacts officiels utilisables (version {version}).", doc.locate(doc.root)))
    if ran and not results:
        results.append(
            passed(
                "DMP-30",
                f"Conforme aux schématrons officiels : {', '.join(ran)} (version {version}).",
                doc.locate(doc.root),
            )
        )
    elif not ran:
        results.append(skipped("DMP-30", "Aucun schématron officiel exécutable.", doc.locate(doc.root)))
    return results + usable
