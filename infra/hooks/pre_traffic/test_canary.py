"""The canary's smart-mode marks with fake DynamoDB and Lambda clients."""

import os
import sys
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(__file__))
import canary  # noqa: E402

ARNS = {
    "CHAT_FUNCTION": "arn:aws:lambda:us-east-1:123456789012:function:stack-Chat:8",
    "IMAGE_WORKER_FUNCTION": "arn:aws:lambda:us-east-1:123456789012:function:stack-Worker:3",
}


class ConditionalCheckFailedException(Exception):
    pass


class ResourceNotFoundException(Exception):
    pass


class Table:
    """update_item on a dict of counters, with the one condition the hooks use."""

    exceptions = mock.Mock(ConditionalCheckFailedException=ConditionalCheckFailedException)

    def __init__(self, values=None):
        self.values = dict(values or {})

    def update_item(self, TableName, Key, UpdateExpression, ExpressionAttributeValues, ConditionExpression=None):
        assert TableName == "the-table" and Key["pk"] == {"S": "COUNTERS"}
        name = Key["sk"]["S"]
        if ConditionExpression == "v = :mine" and self.values.get(name) != int(ExpressionAttributeValues[":mine"]["N"]):
            raise ConditionalCheckFailedException()
        new = ExpressionAttributeValues[":v" if ":v" in ExpressionAttributeValues else ":off"]["N"]
        self.values[name] = int(new)


class Aliases:
    exceptions = mock.Mock(ResourceNotFoundException=ResourceNotFoundException)

    def __init__(self, live):
        self.live = live

    def get_alias(self, FunctionName, Name):
        assert Name == "live"
        version, weights = self.live[FunctionName]
        alias = {"FunctionVersion": str(version)}
        if weights:
            alias["RoutingConfig"] = {"AdditionalVersionWeights": weights}
        return alias


@mock.patch.dict(os.environ, ARNS)
class CanaryMarksTest(unittest.TestCase):
    def test_a_new_version_is_marked_before_traffic_and_released_once_it_takes_all(self):
        table = Table()
        before = Aliases({"stack-Chat": (7, None), "stack-Worker": (3, None)})
        marked = canary.hold(table, before, "the-table")
        self.assertEqual(marked, [("stack-Chat", 8)], "the worker's version did not change: not marked")
        self.assertEqual(table.values, {"smart.canaryVersion.stack-Chat": 8})

        shifting = Aliases({"stack-Chat": (7, {"8": 0.1}), "stack-Worker": (3, None)})
        self.assertEqual(canary.release(table, shifting, "the-table"), [], "still a canary: stays off")
        self.assertEqual(table.values["smart.canaryVersion.stack-Chat"], 8)

        done = Aliases({"stack-Chat": (8, None), "stack-Worker": (3, None)})
        self.assertEqual(canary.release(table, done, "the-table"), [("stack-Chat", 8)])
        self.assertEqual(table.values["smart.canaryVersion.stack-Chat"], 0)

    def test_a_later_deployments_mark_is_left_alone(self):
        table = Table({"smart.canaryVersion.stack-Chat": 9})
        done = Aliases({"stack-Chat": (8, None), "stack-Worker": (3, None)})
        self.assertEqual(canary.release(table, done, "the-table"), [])
        self.assertEqual(table.values["smart.canaryVersion.stack-Chat"], 9)

    def test_unnumbered_versions_are_never_marked(self):
        with mock.patch.dict(os.environ, {"CHAT_FUNCTION": "arn:aws:lambda:us-east-1:1:function:stack-Chat:$LATEST"}):
            self.assertIsNone(canary.deployed("chat"))
        self.assertEqual(canary.deployed("image-worker"), ("stack-Worker", 3))


if __name__ == "__main__":
    unittest.main()
