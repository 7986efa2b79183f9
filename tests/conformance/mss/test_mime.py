"""The MIME parser (mss/mime.py): its state stays bounded on hostile nesting, each header field is parsed once,
and header fields beyond what the standards allow are refused in time linear in the message."""

import json
import subprocess
import sys

import pytest

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.model import Outcome
from dui_conformance.mss import check_message_data, parse_message
from dui_conformance.mss.mime import MAX_ENCODED_WORDS, MAX_FIELD, MAX_PARAMETERS

FIXTURES = FIXTURES_DIR / "mss"
HEAD = (
    "From: secretariat@ehpad-les-tilleuls.mssante.fr\r\nTo: urgences@ch-fictif.mssante.fr\r\n"
    "Date: Tue, 12 Mar 2024 10:35:00 +0100\r\nMessage-ID: <m-1@ehpad-les-tilleuls.mssante.fr>\r\nMIME-Version: 1.0\r\n"
)


def message(*fields: str) -> bytes:
    return (HEAD + "".join(f"{field}\r\n" for field in fields) + "\r\ncorps\r\n").encode()


def parameters(count: int) -> str:
    return "Content-Type: text/plain; charset=utf-8" + "".join(f"; p{i}=v{i}" for i in range(count))


def folded_subject(lines: int) -> str:
    return "Subject: XDM" + "".join("\r\n x" for _ in range(lines))


def encoded_words(count: int) -> str:
    return "Subject: " + "\r\n ".join("=?utf-8?q?R=C3=A9sident?=" for _ in range(count))


def test_parser_state_is_bounded():
    msg = parse_message((FIXTURES / "message-dlu-valide.eml").read_bytes())
    assert [a.filename for a in msg.attachments()] == ["IHE_XDM.ZIP"] and msg.text_bodies()


def test_each_header_field_is_parsed_once():
    msg = parse_message((FIXTURES / "message-dlu-valide.eml").read_bytes())
    assert msg.message["Subject"] is msg.message["Subject"]  # the parsed field, not a new parse per access
    assert msg.message.get_all("To")[0].addresses[0].domain == "ch-fictif.mssante.fr"


@pytest.mark.parametrize(
    "field",
    [
        parameters(MAX_PARAMETERS - 2),
        folded_subject(2_000),
        encoded_words(MAX_ENCODED_WORDS),
        "X-Commentaire: " + "x" * (998 - len("X-Commentaire: ")),
    ],
    ids=["parametres", "objet-replie", "mots-encodes", "ligne-998"],
)
def test_fields_within_the_bounds_are_read(field):
    findings = check_message_data(message(field), "m.eml")
    assert [f.outcome for f in findings if f.requirement == "MSS-01"] == [Outcome.PASS]


def test_hostile_headers_are_refused_without_waiting(tmp_path):
    """The inputs of issue 21 (32 000 and 100 000 parameters, a Subject folded on 200 000 lines, 25 000 encoded
    words), each at most 2.6 MB, judged in a child process: the timeout guards against a hang, it is no measure."""
    cases = {
        "32000-parametres": message(parameters(32_000)),
        "100000-parametres": message(parameters(100_000)),
        "objet-200000-lignes": message(folded_subject(200_000)),
        "25000-mots-encodes": message(encoded_words(25_000)),
    }
    for name, data in cases.items():
        (tmp_path / f"{name}.eml").write_bytes(data)
    script = (
        "import json, sys, pathlib\n"
        "from dui_conformance.mss import check_message_data\n"
        "out = {}\n"
        "for path in sorted(pathlib.Path(sys.argv[1]).iterdir()):\n"
        "    found = check_message_data(path.read_bytes(), path.name)\n"
        "    out[path.stem] = [(f.requirement, f.outcome.value, f.message) for f in found if f.requirement == 'MSS-01']"
        "\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    judged = json.loads(done.stdout)
    assert set(judged) == set(cases)
    for name, findings in judged.items():
        assert [(r, o) for r, o, _ in findings] == [("MSS-01", "fail")], name
        assert "refusé avant analyse" in findings[0][2] and "attendu" in findings[0][2], name
    assert str(MAX_FIELD) in judged["objet-200000-lignes"][0][2]
