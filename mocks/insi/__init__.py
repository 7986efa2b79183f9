"""INSi téléservice mock (CNAM identity lookup), driven by the fictitious personas of
``conformance/ins/insi_personas.toml`` (the library's: its checks know the answer each one gets)."""

from .service import InsiMock

__all__ = ["InsiMock"]
