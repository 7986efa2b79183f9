"""Mask secrets before anything is written: reports and evidence packs get published.

A leaf of the library (it imports nothing from the harness): recorded exchanges, the run's collector and
the report writers all mask through it.

Exchanges recorded by mocks carry real protocol traffic (HTTP headers, OAuth token
responses, SOAP WS-Security, test keys). ``redact`` walks any JSON-like value and masks
values under sensitive keys, sensitive header pairs and secrets embedded in free text.
Every pattern consumes its text once, so hostile input cannot make it backtrack badly.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

MASK = "[masqué]"

_SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "x_api_key",
        "api_key",
        "password",
        "passwd",
        "passphrase",
        "mot_de_passe",
        "secret",
        "client_secret",
        "client_assertion",
        "code_verifier",
        "token",
        "id_token",
        "access_token",
        "refresh_token",
        "private_key",
    }
)
_SENSITIVE_SUFFIXES = ("_token", "_secret", "_password")

_NAMES = r"access_token|id_token|refresh_token|client_secret|client_assertion|code_verifier|password|passwd|token"
_TEXT_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # PEM private keys, terminated or not (an unterminated one is masked to the end).
    (
        re.compile(
            r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(?:[^-]|-(?!----END))*(-----END [A-Z0-9 ]*PRIVATE KEY-----)?"
        ),
        r"\1" + MASK + r"\2",
    ),
    # Raw HTTP / MIME header lines.
    (
        re.compile(r"(?im)^([ \t]*(?:proxy-)?(?:authorization|cookie|set-cookie|x-api-key)[ \t]*:[ \t]*)[^\r\n]+"),
        r"\1" + MASK,
    ),
    (re.compile(r"(?i)\b(bearer|basic|dpop)([ \t]+)[A-Za-z0-9\-._~+/]{6,}=*"), r"\1\2" + MASK),
    # JSON objects serialised inside a string.
    (re.compile(rf'(?i)("(?:{_NAMES})"[ \t]*:[ \t]*")(?:[^"\\]|\\.)*(")'), r"\1" + MASK + r"\2"),
    # Query strings and form bodies; there an OAuth authorization code is as good as a token until used.
    (re.compile(rf"(?i)(?<![\w-])((?:{_NAMES}|code)=)[^&\s\"'<>]+"), r"\1" + MASK),
    # WS-Security and similar XML elements.
    (
        re.compile(r"(?i)(<(?:[\w.-]+:)?(?:password|client_?secret)\b[^>]*>)[^<]*(</)"),
        r"\1" + MASK + r"\2",
    ),
    # Any remaining JSON Web Token (id_token, access_token quoted in prose, logs…).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
]


# Every pattern above and every sensitive key holds one of these words, in any case: a text without
# any of them has nothing to mask. The four letters that case-insensitive patterns also take for
# ASCII ones (İ ı ſ K, here in UTF-8) make the answer « maybe ». Searched in bytes: lowering and
# searching them is twice as fast as in text.
_TRIGGERS = tuple(
    word.encode()
    for word in (
        "authorization",
        "cookie",
        "api-key",
        "api_key",
        "passw",
        "passphrase",
        "mot-de-passe",
        "mot_de_passe",
        "secret",
        "assertion",
        "verifier",
        "code=",
        "token",
        "private",
        "bearer",
        "basic",
        "dpop",
        "eyj",
        "\u0130",
        "\u0131",
        "\u017f",
        "\u212a",
    )
)


def may_hold_secrets(text: str) -> bool:
    """False when ``redact`` of the value ``text`` serialises (JSON) is certainly that value unchanged:
    a large offline run masks nothing, and a few substring searches in each scenario's JSON line say so."""
    low = text.encode("utf-8", "surrogatepass").lower()
    return any(word in low for word in _TRIGGERS)


class CleanTexts:
    """Texts known to hold nothing :func:`redact` masks, remembered (a bounded set): a large run repeats most
    of its texts (feature, step and scenario names, messages, XPaths, a document's path) thousands of times,
    so that checking a scenario searches only its new texts, once, instead of its whole JSON line."""

    LIMIT = 1 << 14  # a run repeats a few hundred texts; the others (nodeids) are met once

    def __init__(self) -> None:
        self._known: set[str] = set()

    def all_clean(self, texts: list[str | None]) -> bool:
        """False when a text may hold a secret (every sensitive key and pattern holds a word of
        ``may_hold_secrets``, none of which spans two texts joined by a NUL)."""
        known = self._known
        try:
            new = [text for text in texts if text is not None and text not in known]
            if not new:
                return True
            if may_hold_secrets("\0".join(new)):
                return False
        except TypeError:  # not only texts: the caller masks the whole value
            return False
        if len(known) > self.LIMIT:
            known.clear()
        known.update(new)
        return True


@lru_cache(maxsize=1 << 12)
def _is_sensitive(name: str) -> bool:
    key = name.strip().lower().replace("-", "_")
    return key in _SENSITIVE_KEYS or key.endswith(_SENSITIVE_SUFFIXES)


@lru_cache(maxsize=1 << 16)
def redact_text(text: str) -> str:
    """Cached: a large run repeats the same messages, paths and XPaths thousands of times."""
    for pattern, replacement in _TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(obj: Any) -> Any:
    """Return a copy of ``obj`` (dicts, lists, strings…) with secrets masked; never mutates it."""
    if isinstance(obj, str):
        return redact_text(obj)
    if obj is None or type(obj) in (int, float, bool):  # most leaves of a large run: skip the checks below
        return obj
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        name = obj.get("name")
        masked_value = isinstance(name, str) and _is_sensitive(name)  # {"name": "Cookie", "value": …}
        for key, value in obj.items():
            hide = (isinstance(key, str) and _is_sensitive(key)) or (masked_value and key == "value")
            out[key] = MASK if hide and value not in (None, "") else redact(value)
        return out
    if isinstance(obj, (list, tuple)):
        header = len(obj) == 2 and isinstance(obj[0], str) and _is_sensitive(obj[0]) and obj[1] not in (None, "")
        items = [obj[0], MASK] if header else [redact(item) for item in obj]  # header: a (header, value) pair
        return items if type(obj) is list else type(obj)(items)
    return obj
