"""The MIME parser (mss/mime.py): its state stays bounded on hostile nesting."""

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.mss import parse_message

FIXTURES = FIXTURES_DIR / "mss"


def test_parser_state_is_bounded():
    msg = parse_message((FIXTURES / "message-dlu-valide.eml").read_bytes())
    assert [a.filename for a in msg.attachments()] == ["IHE_XDM.ZIP"] and msg.text_bodies()
