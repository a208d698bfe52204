#!/usr/bin/env python3
"""Latency of /api/chat (or /api/upload-url) under concurrent visitors, standard library only.

Each virtual visitor greets, then walks a whole conversation (name, problem, "no", "no",
ticket) in a loop until the duration is over. Prints p50/p95/p99/max of /api/chat and the
request rate. Run it against `sti serve` started with generous rate limits, e.g.

    RATE_LIMIT_CHAT_PER_MIN_SESSION=100000 MAX_TURNS_PER_SESSION=1000000000 RATE_LIMIT_CHAT_PER_MIN_IP=100000 \
    RATE_LIMIT_GREETING_PER_MIN=100000 MAX_TICKETS_PER_HOUR=100000 RATE_LIMIT_UPLOAD_PER_MIN=100000 \
    cargo run --release --bin sti -- serve --data-dir /tmp/sti-load
    python3 scripts/chat-latency.py --base-url http://127.0.0.1:3000 --visitors 8 --seconds 20

With `--endpoint upload-url` each visitor instead asks for signed upload URLs, as many as a
session may hold (10), then greets again: the latency of `POST /api/upload-url`.
"""

import argparse
import http.client
import json
import statistics
import threading
import time
import urllib.parse

TURNS = ["hola, me llamo Ana", "la impresora no imprime, mi mail es ana@example.com", "no", "no", "sí"]


def upload_urls(post, sid):
    """One session's worth of signed-URL requests: (status, ms) of each."""
    for _ in range(10):
        started = time.perf_counter()
        status, _ = post("/api/upload-url", {"contentType": "image/jpeg", "size": 4_800_000}, {"x-session-id": sid})
        yield status, (time.perf_counter() - started) * 1000


def conversation(post, sid):
    for text in TURNS:
        started = time.perf_counter()
        status, _ = post("/api/chat", {"sessionId": sid, "message": text})
        yield status, (time.perf_counter() - started) * 1000


def worker(base, deadline, latencies, errors, lock, calls):
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)

    def post(path, body, headers=None):
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        return response.status, data

    while time.monotonic() < deadline:
        status, data = post("/api/greeting", {})
        if status != 200:
            with lock:
                errors.append(status)
            continue
        sid = json.loads(data)["sessionId"]
        for status, elapsed in calls(post, sid):
            with lock:
                if status in (200, 201):
                    latencies.append(elapsed)
                else:
                    errors.append(status)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:3000")
    parser.add_argument("--visitors", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--endpoint", choices=["chat", "upload-url"], default="chat")
    args = parser.parse_args()
    calls = upload_urls if args.endpoint == "upload-url" else conversation
    latencies, errors, lock = [], [], threading.Lock()
    deadline = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=worker, args=(args.base_url, deadline, latencies, errors, lock, calls))
        for _ in range(args.visitors)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    if not latencies:
        raise SystemExit(f"no successful /api/{args.endpoint} calls; errors: {errors[:10]}")
    q = statistics.quantiles(latencies, n=100)
    print(
        f"/api/{args.endpoint}: {len(latencies)} calls in {wall:.1f} s ({len(latencies) / wall:.0f}/s), "
        f"{args.visitors} concurrent visitors, {len(errors)} errors"
    )
    print(f"  p50 {q[49]:.1f} ms  p95 {q[94]:.1f} ms  p99 {q[98]:.1f} ms  max {max(latencies):.1f} ms")
    if errors:
        raise SystemExit(f"errors: {sorted(set(errors))}")


if __name__ == "__main__":
    main()
