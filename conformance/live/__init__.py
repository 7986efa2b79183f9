"""Live mode: the DUI test adapter client and checks over exchanges recorded by the mocks."""
