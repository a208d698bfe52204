"""Unit tests of the pre-traffic hook's verdicts with a fake invoke (the hook also runs
against the real function binaries in tests/tests/cargo_lambda_watch.rs)."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import app  # noqa: E402


def http(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


class HealthyFunctions:
    """Answers like a healthy deployment; `broken` names functions that misbehave."""

    def __init__(self, broken=()):
        self.broken = set(broken)
        self.calls = []

    def __call__(self, function, event):
        self.calls.append((function, event))
        if function in self.broken:
            return http(500, {"error": {"code": "internal"}})
        path = event.get("rawPath", "")
        answers = {
            "health": http(200, {"status": "ok"}),
            "greeting": http(200, {"sessionId": "web-" + "a" * 24, "state": "ask_name"}),
            "session-validate": http(200, {"valid": True}),
            "chat": http(200, {"state": "ask_problem"}),
            "upload-url": http(201, {"method": "PUT", "url": "https://bucket.s3.amazonaws.com/uploads/x?X-Amz-Signature=1"}),
            "upload-image": http(400, {}),
            "upload-status": http(404, {}),
            "whatsapp-ticket": http(400, {}),
            "ticket": http(404, {}),
            "logs": http(401, {}),
            "metrics": http(401, {}),
            "session-data": http(200, {"deleted": True}),
            "image-worker": {"batchItemFailures": []},
            "ticket-notifier": {"batchItemFailures": []},
        }
        if function in ("image-worker", "ticket-notifier"):
            assert "Records" in event
        else:
            assert path.startswith("/api/"), path
        return answers[function]


class PreTrafficHookTest(unittest.TestCase):
    def test_a_healthy_deployment_passes_every_check(self):
        fake = HealthyFunctions()
        results = app.run_checks(fake)
        self.assertEqual(sorted(f for f, _, _ in results), sorted(app.FUNCTIONS))
        self.assertTrue(all(ok for _, ok, _ in results), results)
        self.assertEqual(sorted({f for f, _ in fake.calls}), sorted(app.FUNCTIONS))
        erase = [e for f, e in fake.calls if f == "session-data"][0]
        self.assertEqual(erase["rawPath"], "/api/session/web-" + "a" * 24)

    def test_a_broken_function_fails_the_deployment(self):
        for broken in app.FUNCTIONS:
            results = dict((f, ok) for f, ok, _ in app.run_checks(HealthyFunctions(broken={broken})))
            self.assertFalse(results[broken], broken)

    def test_a_worker_that_reports_failures_fails(self):
        fake = HealthyFunctions()
        original = fake.__call__

        def invoke(function, event):
            if function == "image-worker":
                return {"batchItemFailures": [{"itemIdentifier": "x"}]}
            return original(function, event)

        results = dict((f, ok) for f, ok, _ in app.run_checks(invoke))
        self.assertFalse(results["image-worker"])

    def test_versions_come_from_the_environment(self):
        os.environ["SESSION_VALIDATE_FUNCTION"] = "arn:aws:lambda:us-east-1:1:function:v:7"
        try:
            self.assertEqual(app.target("session-validate"), "arn:aws:lambda:us-east-1:1:function:v:7")
            self.assertEqual(app.target("health"), "health")
        finally:
            del os.environ["SESSION_VALIDATE_FUNCTION"]

    def test_events_carry_the_origin_header_once_known(self):
        self.assertNotIn("x-sti-origin", app.http_event("GET", "/api/health")["headers"])
        app.ORIGIN_HEADERS["x-sti-origin"] = "s3cr3t"
        try:
            self.assertEqual(app.http_event("POST", "/api/chat", {})["headers"]["x-sti-origin"], "s3cr3t")
        finally:
            app.ORIGIN_HEADERS.clear()

    def test_events_look_like_api_gateway_v2(self):
        event = app.http_event("POST", "/api/chat", {"a": 1})
        self.assertEqual(event["version"], "2.0")
        self.assertEqual(event["requestContext"]["http"]["method"], "POST")
        self.assertEqual(json.loads(event["body"]), {"a": 1})
        self.assertEqual(event["headers"]["content-type"], "application/json")
        self.assertEqual(json.loads(app.s3_test_event()["Records"][0]["body"])["Event"], "s3:TestEvent")


if __name__ == "__main__":
    unittest.main()
