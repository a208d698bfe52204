#!/usr/bin/env python3
"""How long /api/chat takes when the OpenAI-compatible provider accepts requests and never
answers: starts `sti serve` with smart mode against a hanging server on loopback, takes
N new sessions to their first steps, prints the latency of those turns.

    cargo build --release --bin sti
    python3 scripts/smart-fallback-latency.py --sti $CARGO_TARGET_DIR/release/sti --timeout-ms 1500

The first OPENAI_CB_MIN_CALLS turns wait for the timeout; then the circuit opens and the
rest answer from the knowledge base at once. Every reply must say "degraded": true.
"""

import argparse
import http.server
import json
import os
import socketserver
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request


class Hang(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        time.sleep(60)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sti", required=True, help="path of the sti binary")
    parser.add_argument("--timeout-ms", default="1500", help="OPENAI_TIMEOUT")
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()

    hang = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Hang)
    hang.daemon_threads = True
    threading.Thread(target=hang.serve_forever, daemon=True).start()
    env = dict(
        os.environ,
        SMART_MODE="true",
        OPENAI_BASE_URL=f"http://127.0.0.1:{hang.server_address[1]}/v1",
        OPENAI_API_KEY="not-a-real-key",
        OPENAI_TIMEOUT=args.timeout_ms,
        RATE_LIMIT_GREETING_PER_MIN="100000",
        RATE_LIMIT_CHAT_PER_MIN_IP="100000",
        RUST_LOG="error",
    )
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen(
            [args.sti, "serve", "--addr", "127.0.0.1:0", "--data-dir", data], env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            base = next(line.split()[3] for line in server.stdout if line.startswith("sti: listening on "))

            def post(path, body):
                request = urllib.request.Request(
                    base + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.load(response)

            waited = []
            for _ in range(args.turns):
                sid = post("/api/greeting", {})["sessionId"]
                post("/api/chat", {"sessionId": sid, "message": "me llamo Ana"})
                started = time.monotonic()
                reply = post("/api/chat", {"sessionId": sid, "message": "la impresora no imprime"})
                waited.append((time.monotonic() - started) * 1000)
                if reply.get("degraded") is not True:
                    raise SystemExit(f"expected a degraded reply, got {reply}")
        finally:
            server.terminate()
            server.wait()
    waited.sort()
    slow = [t for t in waited if t > 50]
    print(
        f"OPENAI_TIMEOUT={args.timeout_ms} ms, {len(waited)} turns: p50 {statistics.median(waited):.0f} ms, "
        f"max {waited[-1]:.0f} ms; {len(slow)} waited for the provider, the rest fell back at once (circuit open)"
    )


if __name__ == "__main__":
    main()
