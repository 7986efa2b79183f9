"""Collects every French feature of the plan; the harness plugin decides what runs on what."""

from pytest_bdd import scenarios

scenarios(".")
