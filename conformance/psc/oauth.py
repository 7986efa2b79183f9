"""Reading a recorded OAuth 2.0 / OpenID Connect exchange with Pro Santé Connect: the request's parameters,
the client's credentials, the provider's answer.

The checks of :mod:`.exchanges` judge from these readings; the PSC mock uses the same ones to answer, so that
the provider and the judge never disagree on what a DUI sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from ..exchanges import Exchange, HttpRequest, HttpResponse

FORM = "application/x-www-form-urlencoded"


def header(message: HttpRequest | HttpResponse, name: str) -> str:
    """The value of header ``name`` (any case), empty when absent."""
    return next((v for k, v in message.headers.items() if k.lower() == name.lower()), "")


def _first(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Name -> first value, as werkzeug's ``MultiDict.get`` reads a repeated parameter."""
    out: dict[str, str] = {}
    for name, value in pairs:
        out.setdefault(name, value)
    return out


def form_params(request: HttpRequest) -> dict[str, str]:
    """The parameters of an ``application/x-www-form-urlencoded`` body (none for any other body)."""
    if header(request, "Content-Type").split(";")[0].strip().lower() != FORM:
        return {}
    return _first(parse_qsl(request.body, keep_blank_values=True))


def request_params(request: HttpRequest) -> dict[str, str]:
    """Query parameters, then (except for GET) form parameters: what the provider reads for authorize and logout."""
    pairs = parse_qsl(urlsplit(request.path).query, keep_blank_values=True)
    form = list(form_params(request).items()) if request.method != "GET" else []
    return _first(pairs + form)


def bearer_token(request: HttpRequest) -> str:
    """The access token of a userinfo request: ``Authorization: Bearer``, else the ``access_token`` form parameter."""
    value = header(request, "Authorization")
    return value[7:].strip() if value.lower().startswith("bearer ") else form_params(request).get("access_token", "")


def oauth_error(response: HttpResponse | None) -> tuple[str, str] | None:
    """(error, error_description) of an OAuth error answer, None for any other answer."""
    if response is None or response.status < 400:
        return None
    try:
        body = json.loads(response.body)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    return body["error"], str(body.get("error_description") or "")


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636 §4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class UnreadableCredentials(ValueError):
    """The client's credentials cannot be read (French message)."""


@dataclass(frozen=True)
class ClientCredentials:
    """How a client authenticates at the token or introspection endpoint (RFC 6749 §2.3, RFC 8705 §2)."""

    method: str  # client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth or none
    client_id: str
    secret: str | None = None


def client_credentials(exchange: Exchange) -> ClientCredentials:
    """The credentials of a token or introspection request; :class:`UnreadableCredentials` for a garbled
    ``Authorization: Basic`` header. The client certificate counts only when nothing else is presented."""
    form, authorization = form_params(exchange.request), header(exchange.request, "Authorization")
    if form.get("client_assertion"):
        return ClientCredentials("private_key_jwt", form.get("client_id", ""))
    if authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise UnreadableCredentials("En-tête Authorization Basic illisible.") from None
        client_id, _, secret = decoded.partition(":")
        return ClientCredentials("client_secret_basic", client_id, secret)
    if form.get("client_secret"):
        return ClientCredentials("client_secret_post", form.get("client_id", ""), form["client_secret"])
    if exchange.transport.get("client_subject"):
        return ClientCredentials("tls_client_auth", form.get("client_id", ""))
    return ClientCredentials("none", form.get("client_id", ""))
