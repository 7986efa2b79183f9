"""Memory during a run (results/memory.py): fewer garbage collections while the run goes, as before after."""

import pytest


def test_fewer_collections_while_a_run_goes_then_as_before():
    import gc

    from dui_conformance.results import fewer_collections
    from dui_conformance.results.memory import YOUNGEST

    before = gc.get_threshold()
    with pytest.raises(KeyboardInterrupt), fewer_collections():
        assert gc.get_threshold()[0] == YOUNGEST and gc.get_freeze_count() > 0
        raise KeyboardInterrupt
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
