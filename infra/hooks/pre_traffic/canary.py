"""Smart mode waits for a new version to take all the traffic, as the seeds' canary asks.

The pre-traffic hook marks the new version of each function that calls the model
(`smart.canaryVersion.<function name>` = its number, in the table's counters); the function
reads the mark (with the operator's switch) and does without the model while it is that
version. Each deployment's post-traffic hook clears a mark once the function's `live` alias
points at that version alone — a function whose version did not change is never marked.
"""

import os

SMART_FUNCTIONS = ("chat", "image-worker")
FLAG_PREFIX = "smart.canaryVersion."
ALIAS = "live"


def deployed(name):
    """(function name, version number) of the version the template deploys, from its ARN
    `arn:aws:lambda:<region>:<account>:function:<name>:<version>`; None if not numbered."""
    arn = os.environ.get(name.upper().replace("-", "_") + "_FUNCTION", "")
    parts = arn.split(":")
    if len(parts) != 8 or not parts[7].isdigit():
        return None
    return parts[6], int(parts[7])


def alias_version(lambda_client, function):
    """The version `live` points at alone, or None while it splits traffic (or is missing)."""
    try:
        alias = lambda_client.get_alias(FunctionName=function, Name=ALIAS)
    except lambda_client.exceptions.ResourceNotFoundException:
        return None
    if alias.get("RoutingConfig", {}).get("AdditionalVersionWeights"):
        return None
    version = alias.get("FunctionVersion", "")
    return int(version) if version.isdigit() else None


def key(function):
    return {"pk": {"S": "COUNTERS"}, "sk": {"S": FLAG_PREFIX + function}}


def hold(dynamodb, lambda_client, table):
    """Marks each new version of a model-calling function; returns the (function, version) marked."""
    marked = []
    for name in SMART_FUNCTIONS:
        found = deployed(name)
        if found is None or alias_version(lambda_client, found[0]) == found[1]:
            continue
        function, version = found
        dynamodb.update_item(
            TableName=table,
            Key=key(function),
            UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": {"N": str(version)}},
        )
        marked.append(found)
    return marked


def release(dynamodb, lambda_client, table):
    """Clears the mark of each version that now takes all of its function's traffic (and
    only that version's mark: a later deployment's stays); returns the (function, version)
    released."""
    released = []
    for name in SMART_FUNCTIONS:
        found = deployed(name)
        if found is None or alias_version(lambda_client, found[0]) != found[1]:
            continue
        function, version = found
        try:
            dynamodb.update_item(
                TableName=table,
                Key=key(function),
                UpdateExpression="SET v = :off",
                ConditionExpression="v = :mine",
                ExpressionAttributeValues={":off": {"N": "0"}, ":mine": {"N": str(version)}},
            )
            released.append(found)
        except dynamodb.exceptions.ConditionalCheckFailedException:
            pass
    return released


def post_traffic(event, _context):
    """CodeDeploy post-traffic hook: releases the marks, reports Succeeded (nothing here can
    make the new version worse than it proved during the canary)."""
    import boto3

    released = release(boto3.client("dynamodb"), boto3.client("lambda"), os.environ["TABLE_NAME"])
    print({"smart_mode_back_on_for": released})
    boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status="Succeeded",
    )
    return "Succeeded"
