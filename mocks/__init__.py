"""National-service stand-ins on 127.0.0.1 and the reference DUI; installed as ``dui_conformance.mocks``."""
