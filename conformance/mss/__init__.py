"""MSSanté offline checks: MIME messages (documents in IHE_XDM.ZIP, MSSanté headers) and MDN.

Importing the package registers the ``mime`` input kind (an RFC 5322 message, known by its
headers) and its container view, so that each CDA inside its XDM runs the CDA and INS scenarios.
"""

from .. import inputs
from .mdn import check_mdn
from .message import MssRules, check_message, check_message_data, is_dsn, is_mdn, mss_members
from .mime import MimeMessage, MimeProblem, looks_like_message, parse_message
from .vague2 import check_vague2_data

MIME_KIND = "mime"

inputs.register_kind(MIME_KIND, "message MIME (MSSanté)", looks_like_message, before=inputs.HL7V2)
inputs.register_container(MIME_KIND, mss_members)

__all__ = [
    "MIME_KIND",
    "MimeMessage",
    "MimeProblem",
    "MssRules",
    "check_mdn",
    "check_message",
    "check_message_data",
    "check_vague2_data",
    "is_dsn",
    "is_mdn",
    "looks_like_message",
    "mss_members",
    "parse_message",
]
