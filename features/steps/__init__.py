"""Step definitions: fetch the input, call a check from ``conformance``, judge the findings."""
