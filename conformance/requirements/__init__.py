"""The requirement catalogue (data files) and the coverage of scenarios over it."""

from .catalogue import PROFILES, Catalogue, Requirement, load_catalogue

__all__ = ["PROFILES", "Catalogue", "Requirement", "load_catalogue"]
