"""The reference DUI: the test adapter implemented correctly, with switchable defects."""

from .app import ReferenceDui
from .defects import DEFECTS

__all__ = ["DEFECTS", "ReferenceDui"]
