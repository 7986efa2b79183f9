"""Gherkin plan (French) and thin step definitions; installed as ``dui_conformance.features``."""
