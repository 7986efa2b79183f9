"""The exchange recorder (exchanges.py): waiting for an exchange times out with None, or wakes on a new one."""

import threading

import pytest

from dui_conformance.exchanges import Exchange, ExchangeRecorder, HttpRequest, now_iso


def _exchange(recorder: ExchangeRecorder, path: str) -> Exchange:
    return Exchange(recorder.next_id(), recorder.service, now_iso(), HttpRequest("POST", path, {}, ""))


@pytest.mark.live
def test_wait_for_times_out_with_none():
    recorder = ExchangeRecorder("t")
    assert recorder.wait_for(lambda e: True, timeout=0.05) is None
    for bad in (-1, float("inf"), float("nan"), None):
        with pytest.raises(ValueError):
            recorder.wait_for(lambda e: True, timeout=bad)


@pytest.mark.live
def test_wait_for_wakes_on_new_exchange_after_mark():
    recorder = ExchangeRecorder("t")
    recorder.add(_exchange(recorder, "/ancien"))
    mark = recorder.mark()
    timer = threading.Timer(0.05, lambda: recorder.add(_exchange(recorder, "/nouveau")))
    timer.start()
    try:
        found = recorder.wait_for(lambda e: True, timeout=10, since=mark)
    finally:
        timer.cancel()
    assert found is not None and found.request.path == "/nouveau"
    assert recorder.wait_for(lambda e: e.request.path == "/ancien", timeout=0).id == "t-0001"
