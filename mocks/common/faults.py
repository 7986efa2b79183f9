"""Runtime fault injection shared by every mock: delay, dropped connection, HTTP error.

Lets a scenario check how the DUI behaves when a national service is slow or down, which
the real qualification platforms cannot produce on demand.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass

MAX_DELAY_SECONDS = 60.0


@dataclass(frozen=True)
class FaultPlan:
    """What to do to the next request(s). ``count`` None means every request."""

    delay: float = 0.0
    drop: bool = False
    status: int | None = None
    count: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.delay or self.drop or self.status) and self.count != 0


class Faults:
    """Current fault plan of one mock; thread-safe; delays are cancelled when the mock stops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plan = FaultPlan()
        self._cancel = threading.Event()

    def set(
        self, delay: float = 0.0, drop: bool = False, status: int | None = None, count: int | None = None
    ) -> FaultPlan:
        """Replace the plan (all arguments at default = no fault). Raises ValueError (French)."""
        if (
            isinstance(delay, bool)
            or not isinstance(delay, (int, float))
            or not math.isfinite(delay)
            or not 0 <= delay <= MAX_DELAY_SECONDS
        ):
            raise ValueError(f"« delay » doit être un nombre de secondes entre 0 et {MAX_DELAY_SECONDS:g}.")
        if not isinstance(drop, bool):
            raise ValueError("« drop » doit valoir true ou false.")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599):
            raise ValueError("« status » doit être un code d'erreur HTTP entre 400 et 599.")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
            raise ValueError("« count » doit être un entier positif ou nul (absent = toutes les requêtes).")
        plan = FaultPlan(float(delay), drop, status, count)
        with self._lock:
            self._plan = plan
        return plan

    def set_from_json(self, data: object) -> FaultPlan:
        if not isinstance(data, dict) or set(data) - {"delay", "drop", "status", "count"}:
            raise ValueError("Attendu : un objet JSON avec au plus delay, drop, status, count.")
        return self.set(**data)

    def reset(self) -> None:
        self.set()

    def snapshot(self) -> dict:
        with self._lock:
            return asdict(self._plan)

    def take(self) -> FaultPlan | None:
        """The plan to apply to the request now arriving (decrements ``count``), or None."""
        with self._lock:
            plan = self._plan
            if not plan.active:
                return None
            if plan.count is not None:
                self._plan = FaultPlan(plan.delay, plan.drop, plan.status, plan.count - 1)
            return plan

    def sleep(self, seconds: float) -> None:
        """Bounded wait, cut short when the mock stops."""
        self._cancel.wait(min(seconds, MAX_DELAY_SECONDS))

    def cancel(self) -> None:
        self._cancel.set()
