"""INSi téléservice mock (CNAM identity lookup), driven by fictitious personas."""

from .deviations import DEVIATIONS
from .personas import Persona, load_personas
from .service import InsiMock

__all__ = ["DEVIATIONS", "InsiMock", "Persona", "load_personas"]
