"""How offline documents are evaluated: the plan in-process (:mod:`.plan`), on one or more local
processes or on a Dask cluster (:mod:`.executors`). Each document is a pure function of
(document, settings); executors only decide where that function runs."""


class ExecutorError(ValueError):
    """The --executor value is not understood or its engine is not installed."""
