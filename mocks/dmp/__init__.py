"""DMP mock: IHE XDS.b repository + registry (ITI-41, ITI-18, ITI-43) and DMP existence test (TD0.2) on 127.0.0.1."""

from .service import ABSENT, DMP_STATES, PRESENT, REFUSED, DmpMock
from .soap import ERROR_CODES
from .store import REPOSITORY_ID, StoredEntry

__all__ = ["ABSENT", "DMP_STATES", "PRESENT", "REFUSED", "DmpMock", "ERROR_CODES", "REPOSITORY_ID", "StoredEntry"]
