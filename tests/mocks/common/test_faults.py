"""Fault injection (mocks/common/faults.py): bad fault settings are refused."""

import pytest

from dui_conformance.mocks.common import (
    Faults,
)

pytestmark = pytest.mark.live


def test_faults_validation():
    faults = Faults()
    for bad in ({"delay": -1}, {"delay": 61}, {"status": 302}, {"status": True}, {"drop": "oui"}, {"count": 1.5}):
        with pytest.raises(ValueError):
            faults.set(**bad)
    assert faults.take() is None
    faults.set(drop=True, count=0)
    assert faults.take() is None
