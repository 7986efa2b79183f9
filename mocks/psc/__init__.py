"""Pro Santé Connect mock: an OpenID provider with the PSC realm layout, bad tokens on demand. Its
professionals are the library's (``conformance/psc/professionals.py``)."""

from .service import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, REFRESH_DEATHS, PlannedLogin, PscMock
from .tokens import ACR_CLAIMS, ID_TOKEN_DEFECTS, LOGIN_DEFECTS, USERINFO_DEFECTS

__all__ = [
    "ACR_CLAIMS",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "ID_TOKEN_DEFECTS",
    "LOGIN_DEFECTS",
    "PlannedLogin",
    "PscMock",
    "REFRESH_DEATHS",
    "USERINFO_DEFECTS",
]
