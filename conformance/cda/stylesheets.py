"""Leaner compiled schematrons: the SVRL of the ISO skeleton's stylesheet, with less work.

The ISO skeleton turns each pattern into a mode whose templates walk the whole document: every
element is matched against the pattern's rules, bottom-up. The Art-Decor rules of the CI-SIS are
long absolute paths (617 in one pattern of the structuration minimale) and the hand-written ones
look templates up by ``templateId``: most of the matching is spent on elements no rule is about.
Two rewrites keep the output byte for byte and remove most of that work:

- :func:`select_rule_nodes`: a pattern's walk becomes one ``apply-templates`` on the nodes its
  rules can match, selected top-down by a path expression built from the rule contexts (common
  prefixes evaluated once) and kept in document order; the templates no longer recurse;
- :func:`factor_asserts`: an assert block repeated verbatim becomes one named template
  (load time of the largest stylesheet divided by four).
"""

from __future__ import annotations

import re

from lxml import etree

from ..xmlsafe import HL7_NS as HL7
from ..xmlsafe import XSLT_NS as XSL

TEMPLATE_ID_KEY = "dui-templateId"
_RULE_MODE = re.compile(r"M\d+")  # the skeleton's mode for a pattern's rule templates
_VARIABLE_REF = re.compile(r"\$([\w.-]+)")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
# A pattern is evaluated as the expression ``root//(pattern)`` (XSLT 2.0, 5.5.3) except when it
# uses the node being matched (current()), starts from a function, a variable or the context item,
# or may match nodes whose visit depends on the template that reached them (comments, PIs).
_NOT_A_PATH = re.compile(
    r"current\s*\(|^\s*[\w.:-]+\s*\(|^\s*[.$(~]|comment\s*\(|processing-instruction\s*\(|node\s*\("
)
_BY_TEMPLATE_ID = re.compile(r"""\*\[([\w.-]+):templateId/@root\s*=\s*("[^"]*"|'[^']*')\]""")
# What the skeleton's walk reaches, by the ``select`` of its recursion: the document node and...
_VISITED = {
    "*": ". instance of element() or . instance of document-node()",
    "@*|*": "not(. instance of text() or . instance of comment() or . instance of processing-instruction())",
    "*|comment()|processing-instruction()": "not(. instance of attribute() or . instance of text())",
    "@*|*|comment()|processing-instruction()": "not(. instance of text())",
}
_DESCENDANTS = "descendant-or-self::node()"


def lean_stylesheet(xslt_text: str) -> str:
    """The ISO skeleton's stylesheet with both rewrites applied."""
    root = etree.fromstring(xslt_text.encode("utf-8"), _PARSER)
    select_rule_nodes(root)
    factor_asserts(root)
    return etree.tostring(root, encoding="unicode")


def select_rule_nodes(root: etree._Element) -> None:
    """Replace each pattern's document walk by a selection of the nodes its rules match.

    Exact because the walk visits every node of the kinds its recursion selects, once, in
    document order, and fires on each the highest-priority rule it matches: the selection is the
    union of the rule contexts as expressions (same nodes, document order, no duplicates),
    filtered to those kinds, and ``apply-templates`` on it picks the same rule. A mode whose shape
    differs from the skeleton's, or one of whose contexts is not a plain path, is left as it was.
    """
    templates = root.findall(f"{{{XSL}}}template")
    main = next((t for t in templates if t.get("match") == "/" and not t.get("mode")), None)
    if main is None:
        return
    by_mode: dict[str, list[etree._Element]] = {}
    for template in templates:
        if _RULE_MODE.fullmatch(template.get("mode") or ""):
            by_mode.setdefault(template.get("mode"), []).append(template)
    calls: dict[str, list[etree._Element]] = {}
    for call in root.iter(f"{{{XSL}}}apply-templates"):
        calls.setdefault(call.get("mode"), []).append(call)
    key_prefix = next((p for p, uri in root.nsmap.items() if uri == HL7 and p), None)
    keyed = False
    for mode, members in by_mode.items():
        recursions = [_recursion(t, mode) for t in members if t.get("priority") != "-1"]
        walks = [w for w in recursions if w is not None]
        rules = [t for t in members if t.get("priority") not in ("-1", "-2")]
        entries = calls.get(mode, [])
        starts = [a for a in entries if a.get("select") == "/" and main in a.iterancestors()]
        if not rules or len(walks) < len(recursions) or len(starts) != 1 or len(entries) != len(starts) + len(walks):
            continue
        kinds = {w.get("select") for w in walks}
        steps = [
            _steps(part, t.nsmap, key_prefix is not None) for t in rules for part in split_union(t.get("match") or "")
        ]
        paths = [s for s in steps if s is not None]
        if len(kinds) != 1 or len(paths) < len(steps):
            continue
        keyed |= any(s and s[0].startswith("key(") for s in paths)
        for walk in walks:
            walk.getparent().remove(walk)
        starts[0].set("select", f"({factor_paths(paths)})[{_VISITED[kinds.pop()]}]")
    if keyed:
        key = etree.Element(f"{{{XSL}}}key", name=TEMPLATE_ID_KEY, match="*", use=f"{key_prefix}:templateId/@root")
        main.addprevious(key)


def _recursion(template: etree._Element, mode: str) -> etree._Element | None:
    """The skeleton's ``apply-templates`` that continues the walk, last in a template of the mode."""
    last = next((c for c in reversed(template) if isinstance(c.tag, str)), None)
    if (
        last is None
        or last.tag != f"{{{XSL}}}apply-templates"
        or last.get("mode") != mode
        or last.get("select") not in _VISITED
        or len(last)
    ):
        return None
    return last


def split_union(text: str, separator: str = "|") -> list[str]:
    """``text`` split on ``separator`` outside brackets, parentheses and string literals."""
    parts, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _steps(pattern: str, namespaces: dict, keyed: bool) -> list[str] | None:
    """The steps below the root of the expression a pattern stands for (``//`` made explicit),
    a leading ``//*[hl7:templateId/@root = 'X']`` looked up by key; None if not a plain path."""
    pattern = pattern.strip()
    if not pattern or _NOT_A_PATH.search(pattern):
        return None
    raw = split_union(pattern if pattern.startswith("/") else "//" + pattern, "/")[1:]
    steps = [] if raw == [""] else [s.strip() or _DESCENDANTS for s in raw]
    by_id = _BY_TEMPLATE_ID.fullmatch(steps[1]) if len(steps) > 1 and steps[0] == _DESCENDANTS else None
    if by_id and keyed and namespaces.get(by_id.group(1)) == HL7:
        steps = [f"key('{TEMPLATE_ID_KEY}', {by_id.group(2)})", *steps[2:]]
    return steps


def factor_paths(paths: list[list[str]]) -> str:
    """One expression selecting the union of absolute paths, shared prefixes written once:
    ``A/(B | C)`` is ``A/B | A/C`` for nodes, and ``.`` stands for a path ending at the prefix."""
    end = object()
    trie: dict = {}
    for steps in paths:
        node = trie
        for step in steps:
            node = node.setdefault(step, {})
        node[end] = True

    def emit(node: dict) -> str | None:
        branches = ["."] if end in node else []
        for step, below in node.items():
            if step is not end:
                rest = emit(below)
                branches.append(step if rest is None else f"{step}/{rest}")
        if branches == ["."]:
            return None
        return branches[0] if len(branches) == 1 else "(" + " | ".join(branches) + ")"

    body = emit(trie)
    return "/" if body is None else "/" + body


def factor_asserts(root: etree._Element) -> None:
    """Move each assert block (``xsl:choose`` of a rule template) that recurs verbatim to one named
    template, and replace every occurrence by an ``xsl:call-template``.

    The generated rules repeat the same datatype asserts for every element of a type (12 925 asserts,
    801 distinct, in the structuration minimale): SaxonC compiles every copy, ~10 s and ~650 Mio. A
    called template keeps the focus (context node, position), so the test, the location and the
    message are evaluated exactly as in place and the SVRL is unchanged; a block that reads a
    variable of its rule is left in place (it would not be in scope). A block is serialised with every
    namespace in scope where it stood, so the moved copy resolves the same prefixes.
    """
    named: dict[bytes, str] = {}
    for rule in (t for t in root.findall(f"{{{XSL}}}template") if _RULE_MODE.fullmatch(t.get("mode") or "")):
        local = {v.get("name") for v in rule.iter(f"{{{XSL}}}variable", f"{{{XSL}}}param")}
        for block in rule.findall(f"{{{XSL}}}choose"):
            text = etree.tostring(block, with_tail=False)
            inner = {v.get("name") for v in block.iter(f"{{{XSL}}}variable")}
            if set(_VARIABLE_REF.findall(text.decode("utf-8"))) & (local - inner):
                continue
            name = named.get(text)
            if name is None:
                name = named[text] = f"dui-assert-{len(named) + 1}"
                etree.SubElement(root, f"{{{XSL}}}template", name=name).append(etree.fromstring(text))
            call = etree.Element(f"{{{XSL}}}call-template", name=name)
            call.tail = block.tail
            rule.replace(block, call)
