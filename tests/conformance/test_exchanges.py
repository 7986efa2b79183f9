"""The exchange recorder (exchanges.py): waiting for an exchange times out with None, or wakes on a new one."""

import json
import threading

import pytest

from dui_conformance import exchanges as exchanges_module
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


def test_past_the_memory_budget_the_oldest_exchanges_wait_on_disk_and_read_back_whole(monkeypatch):
    monkeypatch.setattr(exchanges_module, "MEMORY_BUDGET", 1000)
    recorder = ExchangeRecorder("t")
    for n in range(5):
        exchange = Exchange(
            recorder.next_id(), "t", now_iso(), HttpRequest.received("POST", f"/{n}", {}, b"\xff" * 400)
        )
        exchange.data["n"] = n
        recorder.add(exchange)
    assert recorder._resident <= 1000 + 800  # the newest stays in memory whatever its size
    read = recorder.exchanges()
    assert [e.data["n"] for e in read] == [0, 1, 2, 3, 4]
    assert all(e.request.content() == b"\xff" * 400 for e in read)
    assert recorder.wait_for(lambda e: e.data["n"] == 1, timeout=0).request.path == "/1"
    assert [e.id for e in recorder.exchanges(since=1, limit=2)] == ["t-0002", "t-0003"]


def test_the_served_log_is_paged():
    recorder = ExchangeRecorder("t")
    for n in range(3):
        recorder.add(_exchange(recorder, f"/{n}"))
    first = json.loads(recorder.to_json(0, 2))
    assert [e["id"] for e in first["exchanges"]] == ["t-0001", "t-0002"] and first["next"] == 2
    last = json.loads(recorder.to_json(first["next"], 2))
    assert [e["id"] for e in last["exchanges"]] == ["t-0003"] and last["next"] is None
