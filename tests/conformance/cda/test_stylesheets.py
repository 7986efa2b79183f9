"""The pure parts of the stylesheet rewrites (their SVRL equality is proven on a synthetic
referential in test_cda_official.py, and on the official one by test_cda_official_same_findings.py)."""

from __future__ import annotations

import pytest

from dui_conformance.cda.stylesheets import HL7, _steps, factor_paths, split_union


def test_union_is_split_outside_predicates_and_literals():
    assert split_union("a[b | c] | d['|'] | (e|f)/g") == ["a[b | c] ", " d['|'] ", " (e|f)/g"]


@pytest.mark.parametrize(
    ("pattern", "steps"),
    [
        ("/", []),
        ("hl7:a/hl7:b", ["descendant-or-self::node()", "hl7:a", "hl7:b"]),
        ("/hl7:a//hl7:b[x/y]", ["hl7:a", "descendant-or-self::node()", "hl7:b[x/y]"]),
        ("*[hl7:templateId/@root = '1.2']/hl7:code", ["key('dui-templateId', '1.2')", "hl7:code"]),
        ("*[cda:templateId/@root='1.2']", ["descendant-or-self::node()", "*[cda:templateId/@root='1.2']"]),
    ],
)
def test_a_pattern_becomes_the_steps_of_its_expression(pattern, steps):
    assert _steps(pattern, {"hl7": HL7, "cda": "urn:autre"}, keyed=True) == steps


@pytest.mark.parametrize(
    "pattern",
    [
        "hl7:a[@x = current()/@y]",
        "key('k', 'v')/hl7:a",
        "$nodes",
        ".",
        "(hl7:a | hl7:b)/hl7:c",
        "comment()",
        "hl7:a/node()",
        "",
    ],
)
def test_a_context_that_is_not_a_plain_path_keeps_its_walk(pattern):
    assert _steps(pattern, {"hl7": HL7}, keyed=True) is None


def test_shared_prefixes_are_written_once():
    paths = [["a", "b"], ["a", "c"], ["d"], [], ["a"]]
    assert factor_paths(paths) == "/(. | a/(. | b | c) | d)"
    assert factor_paths([[]]) == "/"
    assert factor_paths([["a", "b"]]) == "/a/b"
