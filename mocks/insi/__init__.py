"""INSi téléservice mock (CNAM identity lookup), driven by fictitious personas."""

from .personas import Persona, load_personas
from .service import InsiMock

__all__ = ["InsiMock", "Persona", "load_personas"]
