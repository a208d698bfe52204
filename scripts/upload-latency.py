#!/usr/bin/env python3
"""Time from a signed-URL PUT's response to the analysis being done, standard library only.

Each run greets, asks `POST /api/upload-url` for the file's size and type, PUTs the file to
the URL with the headers it names (S3's on the AWS backend, `sti serve`'s locally), then
polls `GET /api/upload/{id}` every 20 ms until it is done. Prints each run and the median.
Run it against `sti serve` (its worker on) or `sti serve --backend aws` plus `sti worker`:

    RATE_LIMIT_UPLOAD_PER_MIN=1000 RATE_LIMIT_GREETING_PER_MIN=1000 \\
    cargo run --release --bin sti -- serve --data-dir /tmp/sti-upload
    python3 scripts/upload-latency.py --base-url http://127.0.0.1:3000 --file photo.jpg --runs 5
"""

import argparse
import json
import statistics
import time
import urllib.request

TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif", b"RIFF": "image/webp"}


def call(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.loads(response.read() or b"null")


def one_run(base, data, content_type):
    _, greeting = call("POST", f"{base}/api/greeting", b"{}", {"Content-Type": "application/json"})
    sid = greeting["sessionId"]
    asked = json.dumps({"contentType": content_type, "size": len(data)}).encode()
    started = time.perf_counter()
    status, offer = call("POST", f"{base}/api/upload-url", asked, {"Content-Type": "application/json", "x-session-id": sid})
    offer_ms = (time.perf_counter() - started) * 1000
    assert status == 201, offer
    status, _ = call("PUT", offer["url"], data, offer["headers"])
    assert status == 200, status
    stored = time.perf_counter()
    while True:
        _, view = call("GET", f"{base}{offer['statusUrl']}", headers={"x-session-id": sid})
        if view["status"] not in ("awaiting_upload", "queued"):
            break
        time.sleep(0.02)
    done_ms = (time.perf_counter() - stored) * 1000
    assert view["status"] == "done", view
    return offer_ms, done_ms, view["analysis"]["analysisMs"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:3000")
    parser.add_argument("--file", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = open(args.file, "rb").read()
    content_type = next((t for magic, t in TYPES.items() if data.startswith(magic)), None)
    if content_type is None:
        raise SystemExit(f"{args.file} is not a JPEG, PNG, GIF or WebP image")
    done = []
    for run in range(1, args.runs + 1):
        offer_ms, done_ms, analysis_ms = one_run(args.base_url.rstrip("/"), data, content_type)
        done.append(done_ms)
        print(f"run {run}: upload-url {offer_ms:.1f} ms, PUT response → done {done_ms:.0f} ms (analysis {analysis_ms} ms)")
    print(f"{len(data)} bytes of {content_type}: PUT response → done, median {statistics.median(done):.0f} ms over {len(done)} runs")


if __name__ == "__main__":
    main()
