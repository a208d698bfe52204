"""CodeDeploy pre-traffic hook: smoke-checks the new version of every function before
the `live` alias sends it any traffic, and reports Succeeded or Failed to CodeDeploy (a
failure stops the deployment and leaves the old version serving).

The new versions are invoked directly (not through the API, which still points at the
old ones) with API Gateway HTTP API v2 events. The checks leave nothing behind: the one
session they create is erased at the end, and every other call is refused before it
would store anything.

Locally, the same checks run against `cargo lambda watch`'s invoke API:

    python infra/hooks/pre_traffic/app.py --endpoint-url http://127.0.0.1:9000
"""

import base64
import json
import os
import sys
import time
import uuid

SOURCE_IP = "198.51.100.250"  # TEST-NET-2: keeps the checks in their own rate-limit buckets

# What CloudFront adds to every request (`X-STI-Origin`); the functions refuse requests
# without it, so the direct invocations carry it too. Filled by the handler on AWS.
ORIGIN_HEADERS = {}

FUNCTIONS = [
    "health",
    "greeting",
    "session-validate",
    "chat",
    "upload-url",
    "upload-image",
    "upload-status",
    "whatsapp-ticket",
    "ticket",
    "logs",
    "metrics",
    "session-data",
    "image-worker",
    "ticket-notifier",
]


def function_env_var(name):
    """`session-validate` → `SESSION_VALIDATE_FUNCTION` (the template sets it to the version ARN)."""
    return name.upper().replace("-", "_") + "_FUNCTION"


def target(name):
    return os.environ.get(function_env_var(name), name)


def http_event(method, path, body=None, headers=None, query=""):
    now = time.time()
    all_headers = {
        "accept": "application/json",
        "host": "pre-traffic.invalid",
        "user-agent": "sti-pre-traffic-hook",
        "x-forwarded-for": SOURCE_IP,
        "x-forwarded-proto": "https",
    }
    all_headers.update(ORIGIN_HEADERS)
    all_headers.update(headers or {})
    event = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "pre-traffic",
            "domainName": "pre-traffic.invalid",
            "domainPrefix": "pre-traffic",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": SOURCE_IP,
                "userAgent": "sti-pre-traffic-hook",
            },
            "requestId": "pre-traffic-" + uuid.uuid4().hex[:12],
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = json.dumps(body)
        event["headers"]["content-type"] = "application/json"
    return event


def s3_test_event():
    """What S3 sends when a notification is configured: the worker must ignore it."""
    body = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "Bucket": "pre-traffic",
        "RequestId": "PRETRAFFIC",
        "HostId": "pre-traffic",
    }
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "pre-traffic",
                "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:pre-traffic",
                "awsRegion": "us-east-1",
            }
        ]
    }


class CheckFailed(Exception):
    pass


def call(invoke, function, event):
    """Invokes `function`; returns (status, parsed JSON body or text) of an HTTP answer, or
    the raw payload of the worker."""
    payload = invoke(target(function), event)
    if "statusCode" not in payload:
        return None, payload
    body = payload.get("body") or ""
    if payload.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    try:
        body = json.loads(body) if body else None
    except ValueError:
        pass
    return payload["statusCode"], body


def expect(condition, what):
    if not condition:
        raise CheckFailed(what)


def run_checks(invoke):
    """Runs every check; returns a list of (function, ok, detail)."""
    results = []
    session = {}

    def check(function, fn):
        started = time.monotonic()
        try:
            detail = fn() or "ok"
            results.append((function, True, f"{detail} ({(time.monotonic() - started) * 1000:.0f} ms)"))
        except Exception as e:  # noqa: BLE001 — any failure of a check fails the deployment
            results.append((function, False, f"{type(e).__name__}: {e}"))

    def health():
        status, body = call(invoke, "health", http_event("GET", "/api/health"))
        expect(status == 200, f"GET /api/health answered {status}: {body}")
        expect(body.get("status") in ("ok", "degraded"), f"unexpected health body {body}")
        return f"status {body['status']}"

    def greeting():
        status, body = call(invoke, "greeting", http_event("POST", "/api/greeting", {}))
        expect(status == 200, f"POST /api/greeting answered {status}: {body}")
        expect(body.get("state") == "ask_name" and body.get("sessionId"), f"unexpected greeting {body}")
        session["id"] = body["sessionId"]

    def validate():
        expect("id" in session, "no session (greeting failed)")
        status, body = call(invoke, "session-validate", http_event("POST", "/api/session/validate", {"sessionId": session["id"]}))
        expect(status == 200 and body.get("valid") is True, f"validate answered {status}: {body}")

    def chat():
        expect("id" in session, "no session (greeting failed)")
        event = http_event("POST", "/api/chat", {"sessionId": session["id"], "message": "me llamo Smoke"})
        status, body = call(invoke, "chat", event)
        expect(status == 200 and body.get("state") == "ask_problem", f"chat answered {status}: {body}")

    def upload_url():
        expect("id" in session, "no session (greeting failed)")
        request = {"contentType": "image/png", "size": 1024}
        event = http_event("POST", "/api/upload-url", request, headers={"x-session-id": session["id"]})
        status, body = call(invoke, "upload-url", event)
        expect(status == 201, f"POST /api/upload-url answered {status}: {body}")
        expect(body.get("method") == "PUT" and str(body.get("url", "")).startswith("https://"), f"unexpected offer {body}")
        # Nothing is ever put there; erasing the check's session removes the record.
        return "signed a PUT"

    def refuses(function, event, statuses):
        def run():
            status, body = call(invoke, function, event)
            expect(status in statuses, f"expected {statuses}, got {status}: {body}")
            return f"refused as expected ({status})"

        return run

    def worker():
        _, payload = call(invoke, "image-worker", s3_test_event())
        expect(payload == {"batchItemFailures": []}, f"the worker answered {payload}")

    def notifier():
        # An empty stream batch: the new version starts, reads its settings and answers.
        _, payload = call(invoke, "ticket-notifier", {"Records": []})
        expect(payload == {"batchItemFailures": []}, f"the ticket notifier answered {payload}")

    def erase():
        expect("id" in session, "no session (greeting failed)")
        sid = session["id"]
        status, body = call(invoke, "session-data", http_event("DELETE", f"/api/session/{sid}", headers={"x-session-id": sid}))
        expect(status in (200, 204), f"erasing the check's session answered {status}: {body}")

    missing = "/api/upload/upl-" + "0" * 24
    check("health", health)
    check("greeting", greeting)
    check("session-validate", validate)
    check("chat", chat)
    check("upload-url", upload_url)
    check("upload-image", refuses("upload-image", http_event("POST", "/api/upload-image"), (400, 415)))
    check("upload-status", refuses("upload-status", http_event("GET", missing), (400, 404)))
    check("whatsapp-ticket", refuses("whatsapp-ticket", http_event("POST", "/api/whatsapp-ticket", {}), (400,)))
    check("ticket", refuses("ticket", http_event("GET", "/api/ticket/STI-00000000-AAAAAA", query="t=x"), (400, 404)))
    check("logs", refuses("logs", http_event("GET", "/api/logs"), (401, 503)))
    check("metrics", refuses("metrics", http_event("GET", "/api/metrics"), (401, 503)))
    check("image-worker", worker)
    check("ticket-notifier", notifier)
    check("session-data", erase)
    return results


def boto3_invoke(client):
    def invoke(function, event):
        response = client.invoke(FunctionName=function, Payload=json.dumps(event).encode())
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            raise CheckFailed(f"{function} failed: {payload[:500]!r}")
        return json.loads(payload)

    return invoke


def handler(event, _context):
    import boto3

    import canary

    secret_id = os.environ.get("ORIGIN_SECRET_ID")
    if secret_id:
        value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
        ORIGIN_HEADERS["x-sti-origin"] = value
    # Before any traffic: the new version of a model-calling function starts without the model.
    marked = canary.hold(boto3.client("dynamodb"), boto3.client("lambda"), os.environ["TABLE_NAME"])
    print(json.dumps({"smart_mode_off_while_canary": marked}))
    results = run_checks(boto3_invoke(boto3.client("lambda")))
    for function, ok, detail in results:
        print(json.dumps({"check": function, "ok": ok, "detail": detail}))
    status = "Succeeded" if all(ok for _, ok, _ in results) else "Failed"
    boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    return status


def main(argv):
    import argparse

    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", required=True, help="Lambda invoke API, e.g. cargo lambda watch's")
    args = parser.parse_args(argv)
    client = boto3.client(
        "lambda",
        endpoint_url=args.endpoint_url,
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    results = run_checks(boto3_invoke(client))
    for function, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'}  {function:<17} {detail}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
