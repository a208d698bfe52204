#!/usr/bin/env python3
"""The backup and restore drill, end to end, printing a log (docs/evidence/ keeps one).

1. Embedded store: `sti serve` takes conversations (tickets, an image); `sti backup` runs
   while visitors keep writing; `sti restore` into an empty data dir; a new `sti serve`
   on it answers for the same sessions, tickets and image.
2. AWS backend on moto: the stack bootstrapped, a conversation through `sti serve --backend
   aws`, then `sti aws restore-drill` (point-in-time restore into a new table, checked).

    python3 scripts/drill-backup-restore.py --sti ~/.cache/sti-target/release/sti \\
        --moto .venv/bin/moto_server > docs/evidence/backup-restore-drill.log
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

FAST = {"RATE_LIMIT_CHAT_PER_MIN_SESSION": "100000", "MAX_TURNS_PER_SESSION": "1000000000", "RATE_LIMIT_CHAT_PER_MIN_IP": "100000", "RATE_LIMIT_GREETING_PER_MIN": "100000"}


def log(line):
    print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)


def call(base, method, path, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def serve(sti, data_dir, env, extra=()):
    child = subprocess.Popen([sti, "serve", "--addr", "127.0.0.1:0", "--data-dir", data_dir, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in child.stdout:
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            return child, m.group(1)
    raise SystemExit("sti serve did not start")


def run(cmd, env=None):
    log("$ " + " ".join(cmd))
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    for line in (out.stdout + out.stderr).splitlines():
        log("  " + line)
    if out.returncode != 0:
        raise SystemExit(f"failed with exit code {out.returncode}")
    return out.stdout


def conversation(base, name):
    sid = call(base, "POST", "/api/greeting", {})["sessionId"]
    call(base, "POST", "/api/chat", {"sessionId": sid, "message": f"me llamo {name}"})
    call(base, "POST", "/api/chat", {"sessionId": sid, "message": "la compu está muy lenta"})
    reply = call(base, "POST", "/api/chat", {"sessionId": sid, "action": "button", "value": "tech"})
    if not reply.get("ticket"):
        reply = call(base, "POST", "/api/chat", {"sessionId": sid, "action": "button", "value": "ticket"})
    return sid, reply["ticket"]


def upload_image(base, sid):
    """The demo screenshot through a signed upload URL, waited for until done."""
    png = open(os.path.join(os.path.dirname(__file__), "..", "shared", "src", "services", "demo.png"), "rb").read()
    offer = call(base, "POST", "/api/upload-url", {"contentType": "image/png", "size": len(png)}, {"x-session-id": sid})
    urllib.request.urlopen(urllib.request.Request(offer["url"], data=png, method="PUT", headers=offer["headers"]), timeout=30).read()
    for _ in range(200):
        if call(base, "GET", offer["statusUrl"], headers={"x-session-id": sid})["status"] == "done":
            return offer["uploadId"]
        time.sleep(0.05)
    raise SystemExit("the image was not analysed")


def local_drill(sti):
    log("== embedded store: backup while serving, restore into a fresh data dir")
    work = tempfile.mkdtemp(prefix="sti-drill-")
    env = {**os.environ, "STI_ENV": "development", "RUST_LOG": "warn", **FAST}
    env.pop("STI_BACKEND", None)
    child, base = serve(sti, os.path.join(work, "live"), env)
    try:
        sessions = [conversation(base, name) for name in ("Ana", "Juan", "María")]
        for sid, ticket in sessions:
            log(f"session {sid} ticket {ticket['ticketId']}")
        upload_id = upload_image(base, sessions[0][0])
        log(f"image {upload_id} of session {sessions[0][0]} analysed")
        before = {sid: call(base, "GET", f"/api/session/{sid}/export") for sid, _ in sessions}
        busy = call(base, "POST", "/api/greeting", {})["sessionId"]
        stop = threading.Event()
        sent = []

        def writer():
            while not stop.is_set():
                call(base, "POST", "/api/chat", {"sessionId": busy, "message": f"mensaje {len(sent)}"})
                sent.append(1)

        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(0.3)
        backup = os.path.join(work, "sti-backup.db")
        run([sti, "backup", "--data-dir", os.path.join(work, "live"), "--out", backup])
        time.sleep(0.3)
        stop.set()
        thread.join()
        log(f"a visitor wrote {len(sent)} messages while the backup ran; backup file {os.path.getsize(backup)} bytes")
    finally:
        child.terminate()
        child.wait()
    restored = os.path.join(work, "restored")
    run([sti, "restore", "--from", backup, "--data-dir", restored])
    child, base = serve(sti, restored, env)
    try:
        for sid, ticket in sessions:
            after = call(base, "GET", f"/api/session/{sid}/export")
            same = after["transcript"] == before[sid]["transcript"] and after["tickets"][0]["ticketId"] == ticket["ticketId"]
            log(f"session {sid}: transcript {len(after['transcript'])} lines, ticket {after['tickets'][0]['ticketId']}: {'same as before' if same else 'DIFFERENT'}")
            if not same:
                raise SystemExit("the restore lost data")
        image = call(base, "GET", f"/api/upload/{upload_id}", headers={"x-session-id": sessions[0][0]})
        log(f"image {upload_id}: {image['status']}, {image['analysis']['width']}x{image['analysis']['height']}")
        lines = call(base, "GET", f"/api/session/{busy}/export")["transcript"]
        log(f"busy session restored with {len(lines)} lines ({'whole turns' if len(lines) % 2 == 0 else 'HALF A TURN'})")
        reply = call(base, "POST", "/api/chat", {"sessionId": busy, "message": "sigo acá"})
        log(f"the restored server answers the busy session: state {reply['state']}")
    finally:
        child.terminate()
        child.wait()
        shutil.rmtree(work, ignore_errors=True)
    log("embedded store drill: PASS")


def aws_drill(sti, moto):
    log("== AWS backend on moto: point-in-time restore into a new table")
    port = "5099"
    server = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", port], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    work = tempfile.mkdtemp(prefix="sti-drill-aws-")
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        env = {**os.environ, "STI_BACKEND": "aws", "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
               "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "STI_TABLE_NAME": "sti-chat-drill-data",
               "STI_BUCKET_NAME": "sti-chat-drill-uploads", "STI_QUEUE_NAME": "sti-chat-drill-images", "STI_SECRET_ID": "sti-chat-drill/app",
               "RUST_LOG": "warn", **FAST}
        run([sti, "aws", "bootstrap", "--endpoint-url", endpoint], env)
        child, base = serve(sti, work, env, ["--no-worker"])
        try:
            sid, ticket = conversation(base, "Ana")
            log(f"session {sid} ticket {ticket['ticketId']} in sti-chat-drill-data")
        finally:
            child.terminate()
            child.wait()
        run([sti, "aws", "restore-drill", "--endpoint-url", endpoint, "--target-table", "sti-chat-drill-data-restored", "--session", sid], env)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)
    log("AWS restore drill: PASS (moto copies every item and ignores the restore time; on AWS the restore takes minutes)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sti", required=True)
    parser.add_argument("--moto", help="moto_server, for the AWS part")
    args = parser.parse_args()
    log(f"drill started; sti {subprocess.run([args.sti, '--version'], capture_output=True, text=True).stdout.strip()}")
    local_drill(args.sti)
    if args.moto:
        aws_drill(args.sti, args.moto)
    return 0


if __name__ == "__main__":
    sys.exit(main())
