"""A message as the MSSanté operator received it (SMTP DATA), judged by the offline MSSanté checks.

The operator mock records each submission (envelope, headers, the message's bytes); the checks here
run :func:`~dui_conformance.mss.check_message_data` on the recorded bytes, so a DUI's message is
judged live exactly as the same message saved to a file would be offline.
"""

from __future__ import annotations

from dataclasses import replace

from ..decides import decides
from ..exchanges import Exchange
from ..model import Finding, Location, Outcome, failed
from .message import check_message_data, is_mdn
from .mime import MimeProblem, parse_message


def is_submission(exchange: Exchange) -> bool:
    """An exchange of the operator that carries a message (SMTP DATA), not a refusal or an IMAP login."""
    return exchange.request.method == "SMTP" and exchange.request.path == "DATA"


def is_acknowledgement(exchange: Exchange) -> bool:
    """A submitted MDN: it answers a message, so it is no message sent that should ask for an acknowledgement
    (an MDN must not request one, RFC 8098 §2.1: MSS-08 fails one that does)."""
    if not is_submission(exchange):
        return False
    try:
        return is_mdn(parse_message(exchange.request.content()))
    except MimeProblem:
        return False


def message_findings(exchange: Exchange) -> list[Finding]:
    """Every offline MSSanté check on the submitted message, each finding pointing at the exchange."""
    if not is_submission(exchange):
        return []
    findings = check_message_data(exchange.request.content(), exchange.id)
    return [replace(f, location=replace(f.location, exchange=exchange.id)) for f in findings]


@decides("MSS-01", "MSS-02", "MSS-03", "MSS-04", "MSS-05", "MSS-06", "MSS-07", "MSS-08", "MSS-09", "MSS-10")
def check_submission(exchange: Exchange) -> list[Finding]:
    """A submitted message against the MSSanté rules: a failure « MSS-xx : … » at the exchange for each rule
    it breaks (the XDM and CDA rules inside it too), the other findings as the offline checks give them."""
    where = Location(exchange=exchange.id)
    return [
        failed(f.requirement, f"{f.requirement} : {f.message}", where, f.requirement)
        if f.outcome is Outcome.FAIL
        else f
        for f in message_findings(exchange)
    ]
