#!/usr/bin/env python3
"""Latency of /api/chat under concurrent conversations, standard library only.

Each virtual visitor greets, then walks a whole conversation (name, problem, "no", "no",
ticket) in a loop until the duration is over. Prints p50/p95/p99/max of /api/chat and the
request rate. Run it against `sti serve` started with generous rate limits, e.g.

    RATE_LIMIT_CHAT_PER_MIN_SESSION=100000 RATE_LIMIT_CHAT_PER_MIN_IP=100000 \
    RATE_LIMIT_GREETING_PER_MIN=100000 MAX_TICKETS_PER_HOUR=100000 \
    cargo run --release --bin sti -- serve --data-dir /tmp/sti-load
    python3 scripts/chat-latency.py --base-url http://127.0.0.1:3000 --visitors 8 --seconds 20
"""

import argparse
import http.client
import json
import statistics
import threading
import time
import urllib.parse

TURNS = ["hola, me llamo Ana", "la impresora no imprime, mi mail es ana@example.com", "no", "no", "sí"]


def worker(base, deadline, latencies, errors, lock):
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)

    def post(path, body):
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
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
        for text in TURNS:
            started = time.perf_counter()
            status, _ = post("/api/chat", {"sessionId": sid, "message": text})
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors.append(status)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:3000")
    parser.add_argument("--visitors", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    latencies, errors, lock = [], [], threading.Lock()
    deadline = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=worker, args=(args.base_url, deadline, latencies, errors, lock))
        for _ in range(args.visitors)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    if not latencies:
        raise SystemExit(f"no successful /api/chat calls; errors: {errors[:10]}")
    q = statistics.quantiles(latencies, n=100)
    print(
        f"/api/chat: {len(latencies)} calls in {wall:.1f} s ({len(latencies) / wall:.0f}/s), "
        f"{args.visitors} concurrent visitors, {len(errors)} errors"
    )
    print(f"  p50 {q[49]:.1f} ms  p95 {q[94]:.1f} ms  p99 {q[98]:.1f} ms  max {max(latencies):.1f} ms")
    if errors:
        raise SystemExit(f"errors: {sorted(set(errors))}")


if __name__ == "__main__":
    main()
