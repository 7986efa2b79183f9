"""Simulated MSSanté operator: SMTP/IMAP over TLS, scripted mailboxes, Annuaire Santé directory."""

from .directory import AnnuaireMock, Directory, is_patient, luhn_valid
from .mailboxes import SCRIPTED
from .service import DEFAULT_PASSWORD, MssMock

__all__ = ["DEFAULT_PASSWORD", "SCRIPTED", "AnnuaireMock", "Directory", "MssMock", "is_patient", "luhn_valid"]
