"""Pro Santé Connect mock: an OpenID provider with the PSC realm layout, bad tokens on demand. Its
professionals are the library's (``conformance/psc/professionals.py``)."""

from .service import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, PlannedLogin, PscMock
from .tokens import ID_TOKEN_DEFECTS, LOGIN_DEFECTS, USERINFO_DEFECTS

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "ID_TOKEN_DEFECTS",
    "LOGIN_DEFECTS",
    "PlannedLogin",
    "PscMock",
    "USERINFO_DEFECTS",
]
