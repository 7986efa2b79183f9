import copy

import pytest

from dui_conformance.redact import MASK, may_hold_secrets, redact
from dui_conformance.results import json_line


def test_sensitive_keys_are_masked_whatever_their_case_or_separator():
    data = {
        "headers": {"Authorization": "Bearer abc", "COOKIE": "a=b", "Content-Type": "text/xml", "X-Api-Key": "k"},
        "access_token": "t1",
        "id-token": {"nested": "t2"},
        "refresh_token": "t3",
        "client_secret": "s",
        "password": "p",
        "private_key": "pem",
        "session_token": "t4",
        "token_type": "Bearer",
        "expires_in": 60,
        "empty": {"password": None},
    }
    out = redact(data)
    for key in (
        "access_token",
        "id-token",
        "refresh_token",
        "client_secret",
        "password",
        "private_key",
        "session_token",
    ):
        assert out[key] == MASK, key
    assert out["headers"] == {"Authorization": MASK, "COOKIE": MASK, "Content-Type": "text/xml", "X-Api-Key": MASK}
    assert (out["token_type"], out["expires_in"]) == ("Bearer", 60)
    assert out["empty"] == {"password": None}  # nothing to hide: left as is


def test_header_pairs_and_name_value_objects():
    pairs = [["Set-Cookie", "sid=1"], ("Host", "127.0.0.1"), {"name": "Authorization", "value": "Basic dXNlcjpwdw=="}]
    assert redact(pairs) == [["Set-Cookie", MASK], ("Host", "127.0.0.1"), {"name": "Authorization", "value": MASK}]


@pytest.mark.parametrize(
    ("text", "secret", "kept"),
    [
        ("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc.def\r\nCookie: s=1\r\n", "abc.def", "Host: x"),
        ("appel avec Bearer 0123456789abcdef reçu", "0123456789abcdef", "appel avec Bearer"),
        ("grant_type=refresh_token&refresh_token=R3fr35h&client_secret=s3cr3t&code=abc", "R3fr35h", "grant_type="),
        ("grant_type=authorization_code&code=Zx9-c0de_abc&redirect_uri=x", "Zx9-c0de_abc", "redirect_uri=x"),
        ("https://dui/cb?code=Zx9-c0de_abc&state=1", "Zx9-c0de_abc", "state=1"),
        ("/cb?code=abc&id_token=xyz.abc&state=1", "xyz.abc", "state=1"),
        ('{"access_token": "A\\"T", "token_type": "Bearer"}', 'A\\"T', '"token_type": "Bearer"'),
        ("<wsse:Password Type='x'>pw-123</wsse:Password>", "pw-123", "<wsse:Password Type='x'>"),
        ("jeton eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. refusé", "eyJhbGciOiJub25lIn0", "refusé"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\nfin", "MIIE", "fin"),
        ("-----BEGIN PRIVATE KEY-----\nMIIE-sans-fin", "MIIE", "-----BEGIN PRIVATE KEY-----"),
    ],
)
def test_secrets_inside_free_text(text, secret, kept):
    out = redact(text)
    assert secret not in out and MASK in out and kept in out
    assert may_hold_secrets(json_line({"message": text}))  # the pre-check never skips a secret


@pytest.mark.parametrize(
    "key",
    [
        "Authorization",
        "proxy-authorization",
        "COOKIE",
        "set_cookie",
        "X-Api-Key",
        "api_key",
        "passwd",
        "Passphrase",
        "Mot-De-Passe",
        "secret",
        "client_assertion",
        "code_verifier",
        "id_token",
        "private_key",
        "session_token",
        "app_secret",
        "user_password",
        "paſſword",
    ],
)
def test_the_pre_check_finds_every_sensitive_key(key):
    data = {key: "valeur", "name": "x"}
    assert may_hold_secrets(json_line(data)), key
    assert not may_hold_secrets(json_line({"message": "Document lisible et bien formé.", "file": "/x/été.xml"}))


def test_prose_and_public_material_are_left_alone():
    text = (
        "Le mot de passe est absent ; token_type=Bearer ; -----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----"
    )
    assert redact(text) == text
    codes = '<code code="11488-4" codeSystem="2.16.840.1.113883.6.1"/> error_code=E12 ; [@code=\'34133-9\']'
    assert redact(codes) == codes  # document codes and error codes are not OAuth codes


def test_input_is_not_mutated_and_redaction_is_idempotent(run):
    original = run.to_dict()
    snapshot = copy.deepcopy(original)
    once = redact(original)
    assert original == snapshot
    assert redact(once) == once
    assert "SECRET" not in repr(once)


def test_repeated_unterminated_patterns_are_masked_in_one_pass():
    # Quadratic backtracking here would hang the suite; each pattern consumes its text once.
    text = "-----BEGIN PRIVATE KEY-----" * 20000 + "Authorization: x\n" * 20000 + '"password": "' * 20000
    assert redact(text) == "-----BEGIN PRIVATE KEY-----" + MASK


def test_clean_texts_stay_bounded_and_still_see_secrets(monkeypatch):
    from dui_conformance.redact import CleanTexts

    monkeypatch.setattr(CleanTexts, "LIMIT", 10)
    clean = CleanTexts()
    for n in range(50):
        assert clean.all_clean([f"texte {n}", "étape commune", None])
        assert len(clean._known) <= 10 + 4
    assert not clean.all_clean(["étape commune", "Authorization: Bearer abcdef123456"])
