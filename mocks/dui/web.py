"""The adapter's HTTP plumbing, shared by the reference DUI's components: reading a request's JSON body
and its fields, and the answers (JSON, RFC 9457 problem details) of the contract (live/openapi.yaml)."""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response


class BadRequest(ValueError):
    """Adapter input outside the contract (French message): a 400 « Saisie invalide »."""


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/problem+json")


def unknown_resident(rid: str) -> Response:
    return problem(404, "Résident inconnu", f"Aucun résident « {rid} » dans le DUI.")


def json_response(body: Any, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype=mimetype)


def json_body(request: Request) -> dict:
    try:
        body = json.loads(request.get_data() or b"null")
    except ValueError:
        raise BadRequest("Corps JSON illisible.") from None
    if not isinstance(body, dict):
        raise BadRequest("Le corps doit être un objet JSON.")
    return body


def text_field(body: dict, name: str, pattern: re.Pattern | None = None) -> str:
    """A required text field (at most 100 characters, matching ``pattern`` when given)."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 100 or (pattern and not pattern.match(value)):
        raise BadRequest(f"Champ « {name} » absent ou invalide.")
    return value


def optional_text_field(body: dict, name: str, pattern: re.Pattern | None = None) -> str | None:
    """:func:`text_field`, or None when the field is absent or null."""
    return None if body.get(name) is None else text_field(body, name, pattern)
