"""The ebRIM reader (xds/ebrim.py): a submission read with the locations of its objects."""

from dui_conformance.xds import ebrim, read_submission
from dui_conformance.xmlsafe import parse_xml

from .conftest import _valid_parts


def test_read_submission_keeps_locations():
    _, _, msg = _valid_parts()
    sub = read_submission(parse_xml(msg.envelope, "req.xml"))
    assert len(sub.submission_sets) == 1 and len(sub.entries) == 1
    entry = sub.entries[0]
    assert entry.id == "Document01" and entry.mime_type == "text/xml"
    assert [a.type for a in sub.associations] == [ebrim.HAS_MEMBER]
    assert entry.codes(ebrim.DE_CLASS)[0].code == "11"
    where = entry.where(slot="creationTime")
    assert where.file == "req.xml" and where.line and "Slot" in where.xpath
