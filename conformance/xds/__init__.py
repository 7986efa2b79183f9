"""IHE XDS.b metadata derived from a CDA, and ITI-41 submission checks."""
