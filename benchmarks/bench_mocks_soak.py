"""Soak of a simulated service: does one rude client, or a crowd of them, slow or bloat it for the others?

    python benchmarks/bench_mocks_soak.py                    # 200 idle sockets, 20 slow clients, 20 large bodies
    python benchmarks/bench_mocks_soak.py --idle 1000 --seconds 30

Starts the INSi mock over TLS (test PKI, as `run` with tls = true), then, at once: sockets that connect and
never start their handshake, sockets that send the first bytes of a ClientHello and stop, clients that dribble
an HTTP request one byte a second, and clients that post bodies just under and far over the 20 MB cap
(declared or chunked). Meanwhile a well-behaved client (the reference DUI's TLS context) sends INSi
requests in a loop. Prints the latency of its requests (median, 95th centile, worst), how many failed, the
mock's threads, and the mock's resident memory (it runs in a child process, so that the clients' own buffers
are not counted) before, at its peak and after the rude clients left. A benchmark, not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import ssl
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from dui_conformance.mocks.common import TestPki
from dui_conformance.mocks.common.harness import MAX_BODY_BYTES
from dui_conformance.mocks.insi import InsiMock


def rss_mb(pid: int) -> float:
    """Current resident memory of process ``pid`` (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve(pki_dir: str, ready, done) -> None:
    """The child process: the INSi mock over TLS until ``done`` is set; its URL and thread count go to ``ready``."""
    with InsiMock(ssl_context=TestPki(Path(pki_dir), reuse=True).server_context()) as mock:
        ready.put(mock.url)
        done.wait()
        ready.put(threading.active_count())


def idle(host: str, port: int, first_bytes: bytes, out: list[socket.socket]) -> None:
    try:
        sock = socket.create_connection((host, port), timeout=5)
        if first_bytes:
            sock.sendall(first_bytes)
        out.append(sock)
    except OSError:
        pass


def dribble(url: str, ctx: ssl.SSLContext, stop: threading.Event) -> None:
    """An HTTP request one byte a second, over a completed handshake."""
    host, port = url.split("//")[1].split("/")[0].rsplit(":", 1)
    request = b"POST /lps HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
    try:
        with socket.create_connection((host, int(port)), timeout=60) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                for byte in request:
                    if stop.is_set():
                        return
                    tls.sendall(bytes([byte]))
                    time.sleep(1)
    except OSError:
        pass


def large(url: str, pki: TestPki, size: int, chunked: bool) -> None:
    data = (b"x" * (1 << 20) for _ in range(size >> 20)) if chunked else b"x" * size
    try:
        cert = (str(pki.client_cert), str(pki.client_key))
        requests.post(url, data=data, verify=str(pki.root_cert), cert=cert, timeout=60)
    except requests.RequestException:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--idle", type=int, default=200, help="connexions muettes (moitié sans rien, moitié ClientHello)"
    )
    parser.add_argument("--slow", type=int, default=20, help="clients qui envoient un octet par seconde")
    parser.add_argument("--large", type=int, default=20, help="corps volumineux (moitié sous le plafond, moitié 3×)")
    parser.add_argument("--seconds", type=float, default=20.0, help="durée de la mesure")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        pki = TestPki(Path(tmp))
        ready, done = multiprocessing.Queue(), multiprocessing.Event()
        child = multiprocessing.Process(target=serve, args=(tmp, ready, done))
        child.start()
        url = ready.get(timeout=60)
        host, port = url.split("//")[1].split("/")[0].rsplit(":", 1)
        client = requests.Session()
        tls = {"verify": str(pki.root_cert), "cert": (str(pki.client_cert), str(pki.client_key))}
        client.post(url, data=b"<x/>", timeout=10, **tls)
        before = rss_mb(child.pid)

        held: list[socket.socket] = []
        stop = threading.Event()
        rude = [
            threading.Thread(target=idle, args=(host, int(port), b"" if n % 2 else b"\x16\x03\x01", held))
            for n in range(args.idle)
        ]
        rude += [threading.Thread(target=dribble, args=(url, pki.client_context(), stop)) for _ in range(args.slow)]
        rude += [
            threading.Thread(
                target=large, args=(url, pki, MAX_BODY_BYTES - (1 << 20) if n % 2 else 3 * MAX_BODY_BYTES, n % 4 == 1)
            )
            for n in range(args.large)
        ]
        for thread in rude:
            thread.start()

        latencies, failures, peak = [], 0, before
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                client.post(url, data=b"<x/>", timeout=10, **tls)
                latencies.append(time.perf_counter() - start)
            except requests.RequestException:
                failures += 1
            peak = max(peak, rss_mb(child.pid))
            time.sleep(0.05)
        stop.set()
        for sock in held:
            sock.close()
        for thread in rude:
            thread.join(90)
        time.sleep(2)
        after = rss_mb(child.pid)
        done.set()
        threads = ready.get(timeout=30)
        child.join(30)

    latencies.sort()
    print(
        json.dumps(
            {
                "requetes_normales": len(latencies),
                "echecs": failures,
                "latence_ms": {
                    "mediane": round(statistics.median(latencies) * 1000, 1) if latencies else None,
                    "p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1) if latencies else None,
                    "pire": round(latencies[-1] * 1000, 1) if latencies else None,
                },
                "clients_rudes": {"muets": args.idle, "lents": args.slow, "corps_volumineux": args.large},
                "fils_du_simulateur_a_la_fin": threads,
                "memoire_mo": {"avant": round(before), "pic": round(peak), "apres": round(after)},
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
