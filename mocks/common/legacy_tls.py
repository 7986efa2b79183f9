"""Serve the mocks over TLS 1.0/1.1 only, for the scenario where the DUI must refuse an obsolete server (GEN-10).

The mocks' server contexts are permissive (TLS 1.0 and up), so that a DUI speaking an obsolete version is
recorded; but a modern client negotiates TLS 1.3 with them, which never shows whether it would also accept
TLS 1.1. :func:`legacy_only` narrows those same contexts to TLS 1.0–1.1 for new connections (every mock closes
its TLS connection after one request), then gives them back their versions and ciphers. Under OpenSSL 3,
TLS 1.0/1.1 need security level 0 and an explicit maximum version.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from .pki import SERVER_CIPHERS

LEGACY_MINIMUM = ssl.TLSVersion.TLSv1
LEGACY_MAXIMUM = ssl.TLSVersion.TLSv1_1


def _cipher_policy(context: ssl.SSLContext) -> str:
    """The context's TLS ≤ 1.2 cipher list and security level, as ``set_ciphers`` takes them back."""
    names = ":".join(cipher["name"] for cipher in context.get_ciphers())
    return f"{names}:@SECLEVEL={context.security_level}"


@contextmanager
def legacy_only(contexts: Iterable[ssl.SSLContext]) -> Iterator[None]:
    """Within the block, the server ``contexts`` accept TLS 1.0 and 1.1 and nothing newer."""
    narrowed = [
        (context, context.minimum_version, context.maximum_version, _cipher_policy(context)) for context in contexts
    ]
    for context, *_ in narrowed:
        context.set_ciphers(SERVER_CIPHERS)  # the one policy; its SHA-1 suites are all TLS 1.0/1.1 know
        context.minimum_version, context.maximum_version = LEGACY_MINIMUM, LEGACY_MAXIMUM
    try:
        yield
    finally:
        for context, minimum, maximum, ciphers in narrowed:
            context.minimum_version, context.maximum_version = minimum, maximum
            context.set_ciphers(ciphers)
