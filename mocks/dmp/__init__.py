"""DMP mock: IHE XDS.b repository + registry (ITI-41, ITI-18, ITI-43) on 127.0.0.1."""

from .service import DmpMock
from .soap import ERROR_CODES
from .store import REPOSITORY_ID, StoredEntry

__all__ = ["DmpMock", "ERROR_CODES", "REPOSITORY_ID", "StoredEntry"]
