"""Loopback mocks for tests/mocks: each started per test and always stopped at teardown."""

from __future__ import annotations

import pytest

from dui_conformance.mocks.dui.insi_client import InsiClient
from dui_conformance.mocks.insi import InsiMock


@pytest.fixture
def insi():
    mock = InsiMock()
    mock.start()
    yield mock
    mock.stop()


@pytest.fixture
def insi_client(insi) -> InsiClient:
    return InsiClient(insi.url, lps_name="DUI-TEST", lps_version="2.1", timeout=5)
