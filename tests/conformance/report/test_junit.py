from lxml import etree

from dui_conformance.report import render_junit

# The common JUnit shape (Jenkins xunit junit-10.xsd): allowed attributes and children.
_ATTRIBUTES = {
    "testsuites": {"name", "time", "tests", "failures", "errors"},
    "testsuite": {
        "name",
        "tests",
        "failures",
        "errors",
        "group",
        "time",
        "skipped",
        "timestamp",
        "hostname",
        "id",
        "package",
        "file",
        "log",
        "url",
    },
    "testcase": {"name", "time", "classname", "group"},
    "failure": {"type", "message"},
    "error": {"type", "message"},
    "skipped": {"type", "message"},
    "properties": set(),
    "property": {"name", "value"},
    "system-out": set(),
    "system-err": set(),
}
_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"testsuite", "properties", "testcase", "system-out", "system-err"},
    "testcase": {"skipped", "error", "failure", "system-out", "system-err"},
    "properties": {"property"},
}
_REQUIRED = {"testsuite": {"name", "tests", "failures", "errors"}, "testcase": {"name"}, "property": {"name", "value"}}


def _parse(run):
    return etree.fromstring(render_junit(run))


def test_common_junit_shape(run):
    root = _parse(run)
    assert root.tag == "testsuites"
    for element in root.iter():
        assert set(element.attrib) <= _ATTRIBUTES[element.tag], element.tag
        assert _REQUIRED.get(element.tag, set()) <= set(element.attrib), element.tag
        assert {child.tag for child in element} <= _CHILDREN.get(element.tag, set()), element.tag
    for value in root.xpath("//@time"):
        float(value)


def test_counts_per_outcome(run):
    root = _parse(run)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "1", "1")
    assert len(root.xpath("//testcase")) == 5
    assert len(root.xpath("//testcase/failure")) == 1
    assert len(root.xpath("//testcase/error")) == 1
    assert sorted(root.xpath("//testcase/skipped/@message")) == ["données insuffisantes", "non applicable"]
    suites = {s.get("name"): s for s in root.xpath("/testsuites/testsuite")}
    assert list(suites) == ["Lisibilité des documents", "Identité INS", "Appel du téléservice INSi"]
    ins = suites["Identité INS"]
    assert (ins.get("tests"), ins.get("failures"), ins.get("errors"), ins.get("skipped")) == ("2", "1", "0", "1")
    assert ins.xpath("properties/property[@name='exigence']/@value") == ["INS-01", "INS-02"]


def test_failure_carries_findings_and_names_carry_subject(run, hostile):
    root = _parse(run)
    case = root.xpath("//testcase[failure]")[0]
    assert case.get("classname") == "Identité INS"
    assert case.get("name") == "Matricule INS valide — fixtures/ins/mauvais.xml"
    failure = case.find("failure")
    assert failure.get("message") == f"[INS-01] {hostile}"
    assert "ligne 42" in failure.text and "patientRole[1]/id[2]" in failure.text
    assert "\ufffd" in failure.text  # the vertical tab XML forbids was replaced, not fatal
    error = root.xpath("//testcase/error")[0]
    assert error.get("message") == "Délai dépassé (5 s)"
    assert "insi-0001" in error.text
