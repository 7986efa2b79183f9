"""CDA R2 checks (CI-SIS header, bodies, document models, terminology), layered like TestContenuCDA."""
