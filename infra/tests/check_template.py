"""Mechanical checks of infra/template.yaml against the code and the deployment rules:

- every crate in functions/ has exactly one function resource with its binary name, and
  every function resource is a crate of functions/ (the only exception being the
  CodeDeploy pre-traffic hook);
- the routes of the HTTP API are exactly the routes of the app's router;
- every data table has TTL on `ttl`, point-in-time recovery and encryption;
- every bucket is private, encrypted, versioned and TLS-only; the uploads bucket expires
  every prefix the app writes and notifies the queue of uploads/ only;
- the widget is served by CloudFront from its private bucket through origin access control
  only, HTTPS only, compressed, with security headers, CORS and a cross-origin resource
  policy;
- the queue has a dead-letter queue, a visibility timeout of at least 6 × the worker's
  timeout, and more receives than the worker's own attempts;
- the worker reports batch item failures;
- every function has an alias and a deployment preference with the pre-traffic hook and
  its own errors alarm plus the shared gates, all of which exist;
- no IAM statement grants data access on "*";
- the read-only functions (logs, metrics, ticket) write only the partitions a
  dynamodb:LeadingKeys condition names (counters; the ticket's page: its ticket and the app
  log), and never delete;
- in the uploads bucket, `upload-url` (whose presigned URLs carry its permission) may only
  put objects under uploads/, the worker may delete the originals it processed or refused,
  and browsers may only PUT to it from the widget's origins (CORS);
- every environment variable the Lambda code reads is set, and every variable set is read;
- pages reach a person: the paging topic's key lets CloudWatch and EventBridge publish, prod
  cannot deploy without a pager, failed backups and the outside canary page, and the SLOs
  have multi-window burn-rate alarms.

Run: .venv/bin/python infra/tests/check_template.py (exit 1 and one line per problem).
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from storage_checks import check_api_edge, check_bucket, check_bucket_access, check_widget  # noqa: E402
from template_model import REPO, dead_letter_queues, effective, load, ref_name, resources, statements  # noqa: E402

HOOK_PREFIX = "CodeDeployHook_"
# Variables the Lambda code reads that the template deliberately does not set.
NOT_SET_ON_PURPOSE = {
    "AWS_ACCESS_KEY_ID": "set by the Lambda runtime",
    "AWS_SECRET_ACCESS_KEY": "set by the Lambda runtime",
    "AWS_SESSION_TOKEN": "set by the Lambda runtime",
    "AWS_REGION": "set by the Lambda runtime",
    "AWS_DEFAULT_REGION": "set by the Lambda runtime",
    "AWS_LAMBDA_FUNCTION_NAME": "set by the Lambda runtime",
    "AWS_LAMBDA_FUNCTION_VERSION": "set by the Lambda runtime",
    "AWS_LAMBDA_LOG_LEVEL": "set by the Lambda runtime from LoggingConfig",
    "AWS_ENDPOINT_URL": "emulators only",
    "TICKET_WEBHOOK_SECRET": "comes from the app secret",
    "ORIGIN_SECRET": "on AWS the value comes from the secret STI_ORIGIN_SECRET_ID names",
    "AWS_ENDPOINT_URL_S3": "emulators only",
    "STI_DATA_DIR": "the embedded backend, not in the deploy build",
    "BODY_MIN_RATE": "bodies reach a function whole (API Gateway buffers them): no pace to keep",
    "LOG_TOKEN": "in the secret, never in the environment",
    "OPENAI_API_KEY": "in the secret, never in the environment",
    "WHATSAPP_NUMBER": "in the secret, never in the environment",
}
# Routes only `sti serve` answers: on AWS a signed upload URL points at S3 itself.
LOCAL_ONLY_ROUTES = {("PUT", "/api/upload/{}/content"), ("GET", "/api/files/{}")}
DATA_ACTION_PREFIXES = ("dynamodb:", "s3:", "sqs:", "secretsmanager:", "kms:", "lambda:invoke", "backup:")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def function_crates():
    crates = {}
    for name in sorted(os.listdir(os.path.join(REPO, "functions"))):
        manifest = os.path.join(REPO, "functions", name, "Cargo.toml")
        if os.path.exists(manifest):
            m = re.search(r'^name\s*=\s*"([^"]+)"', read(manifest), re.M)
            crates[name] = m.group(1) if m else None
    return crates


def router_routes():
    """{(METHOD, path): handler module} of every route the app serves, path parameters as
    {}: each module of shared/src/handlers/ owns its routes (`.route("/api/…", get(…))`)."""
    found = {}
    handlers = os.path.join(REPO, "shared", "src", "handlers")
    for file in sorted(os.listdir(handlers)):
        if not file.endswith(".rs") or file == "mod.rs":
            continue
        text = read(os.path.join(handlers, file))
        for path, method in re.findall(r'\.route\(\s*"(/api/[^"]*)",\s*(get|post|delete|put|patch)\(', text):
            found[(method.upper(), re.sub(r"\{[^}]+\}", "{}", path))] = file[: -len(".rs")]
    return found


def env_vars_read():
    """Names the code the Lambda functions run reads from the environment."""
    names = set()
    pattern = re.compile(r'(?:\b(?:r|self)\.(?:raw|parse|positive|size|flag|duration|duration_ms|seconds)|env::var(?:_os)?)\(\s*"([A-Z][A-Z0-9_]+)"')
    roots = [os.path.join(REPO, "shared", "src")] + [
        os.path.join(REPO, "functions", f, "src") for f in os.listdir(os.path.join(REPO, "functions"))
    ]
    for root in roots:
        for directory, _, files in os.walk(root):
            for file in files:
                if file.endswith(".rs") and file not in ("tests.rs", "contract.rs"):
                    names.update(pattern.findall(read(os.path.join(directory, file))))
    return names


def check_functions(t, problems):
    crates = function_crates()
    rust = {}
    for logical, fn in resources(t, "AWS::Serverless::Function").items():
        meta = fn.get("Metadata", {})
        binary = meta.get("BuildProperties", {}).get("Binary")
        if meta.get("BuildMethod") != "rust-cargolambda" or not binary:
            problems.append(f"{logical}: not a rust-cargolambda function with a Binary")
            continue
        rust.setdefault(binary, []).append(logical)
        props = effective(t, fn)
        if props.get("CodeUri") != f"../functions/{binary}":
            problems.append(f"{logical}: CodeUri {props.get('CodeUri')!r} is not ../functions/{binary}")
        if props.get("Runtime") != "provided.al2023" or props.get("Architectures") != ["arm64"]:
            problems.append(f"{logical}: must run on provided.al2023 / arm64")
        if props.get("Handler") != "bootstrap":
            problems.append(f"{logical}: Handler must be bootstrap")
    for name, package in crates.items():
        if package != name:
            problems.append(f"functions/{name}: package name {package!r} differs from its folder")
        if len(rust.get(name, [])) != 1:
            problems.append(f"functions/{name}: {len(rust.get(name, []))} function resources build it (need exactly 1)")
    for binary in rust:
        if binary not in crates:
            problems.append(f"function binary {binary!r} has no crate in functions/")
    for logical, fn in resources(t, "AWS::Lambda::Function").items():
        name = fn.get("Properties", {}).get("FunctionName", {})
        text = name.get("Fn::Sub", "") if isinstance(name, dict) else str(name)
        if not text.startswith(HOOK_PREFIX):
            problems.append(f"{logical}: plain Lambda functions are only allowed for the CodeDeploy hook")
    return rust


def check_routes(t, problems):
    declared = {}
    for logical, fn in resources(t, "AWS::Serverless::Function").items():
        binary = fn.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        for event in fn.get("Properties", {}).get("Events", {}).values():
            if event.get("Type") == "HttpApi":
                p = event["Properties"]
                declared[(p["Method"].upper(), re.sub(r"\{[^}]+\}", "{}", p["Path"]))] = binary
                if ref_name(p.get("ApiId")) != "HttpApi":
                    problems.append(f"{logical}: route {p['Path']} is not on the HttpApi")
    expected = {route: module for route, module in router_routes().items() if route not in LOCAL_ONLY_ROUTES}
    for route in sorted(LOCAL_ONLY_ROUTES & set(declared)):
        problems.append(f"route {route} is local-only (S3 takes those requests on AWS) but has a function")
    for route in sorted(set(expected) - set(declared)):
        problems.append(f"route {route} of the app has no function in the template")
    for route in sorted(set(declared) - set(expected)):
        problems.append(f"route {route} of the template is not served by the app")
    for route in sorted(set(declared) & set(expected)):
        binary, module = declared[route], expected[route]
        if binary is not None and binary.replace("-", "_") != module:
            problems.append(f"route {route} goes to function {binary}, but handlers/{module}.rs serves it")


def check_deployments(t, problems):
    alarms = resources(t, "AWS::CloudWatch::Alarm")
    # The pre-traffic hooks smoke-check every function (the post-traffic one only releases
    # the canary's smart-mode marks).
    pre_traffic = {ref_name((effective(t, fn).get("DeploymentPreference") or {}).get("Hooks", {}).get("PreTraffic"))
                   for fn in resources(t, "AWS::Serverless::Function").values()}
    hooks = {k: v for k, v in resources(t, "AWS::Lambda::Function").items() if k in pre_traffic}
    for logical, fn in resources(t, "AWS::Serverless::Function").items():
        props = effective(t, fn)
        if props.get("AutoPublishAlias") != "live":
            problems.append(f"{logical}: no AutoPublishAlias live")
        pref = props.get("DeploymentPreference") or {}
        if not pref.get("Type"):
            problems.append(f"{logical}: no DeploymentPreference type")
        names = [ref_name(a) for a in pref.get("Alarms", [])]
        if not names:
            problems.append(f"{logical}: the deployment preference has no alarms")
        for name in names:
            if name not in alarms:
                problems.append(f"{logical}: deployment alarm {name} does not exist")
        own = [
            n
            for n in names
            if n in alarms
            and any(ref_name(d.get("Value")) == logical for d in alarms[n]["Properties"].get("Dimensions", []))
        ]
        if not own:
            problems.append(f"{logical}: no alarm on its own errors gates its deployments")
        hook = ref_name((pref.get("Hooks") or {}).get("PreTraffic"))
        if hook not in hooks:
            problems.append(f"{logical}: no pre-traffic hook")
    for logical, hook in hooks.items():
        env = hook.get("Properties", {}).get("Environment", {}).get("Variables", {})
        tested = {ref_name(v).split(".")[0] for v in env.values() if ref_name(v)}
        for fn in resources(t, "AWS::Serverless::Function"):
            if fn not in tested:
                problems.append(f"{logical}: does not smoke-check {fn}")


def check_data(t, problems):
    tables = resources(t, "AWS::DynamoDB::Table")
    if not tables:
        problems.append("no DynamoDB table")
    for logical, table in tables.items():
        p = table.get("Properties", {})
        ttl = p.get("TimeToLiveSpecification", {})
        if not (ttl.get("Enabled") is True and ttl.get("AttributeName") == "ttl"):
            problems.append(f"{logical}: TTL must be enabled on the attribute `ttl` (the one the app writes)")
        if p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is not True:
            problems.append(f"{logical}: point-in-time recovery is off")
        if p.get("SSESpecification", {}).get("SSEEnabled") is not True:
            problems.append(f"{logical}: encryption (SSESpecification) is not set")
        if "DeletionProtectionEnabled" not in p:
            problems.append(f"{logical}: no deletion protection setting")
    selections = resources(t, "AWS::Backup::BackupSelection")
    covered = {ref_name(r) for s in selections.values() for r in s["Properties"]["BackupSelection"].get("Resources", [])}
    for logical in tables:
        if logical not in covered:
            problems.append(f"{logical}: not in an AWS Backup selection")


def check_worker(t, problems):
    timeout = 0
    found = False
    for logical, fn in resources(t, "AWS::Serverless::Function").items():
        for event in fn.get("Properties", {}).get("Events", {}).values():
            if event.get("Type") == "SQS":
                found = True
                timeout = int(effective(t, fn).get("Timeout", 3))
                if "ReportBatchItemFailures" not in event["Properties"].get("FunctionResponseTypes", []):
                    problems.append(f"{logical}: the SQS event source does not report batch item failures")
                tunables = fn["Properties"].get("Environment", {}).get("Variables", {}).get("GLIBC_TUNABLES", "")
                if not all(f"glibc.malloc.{t}=" in tunables for t in ("mmap_threshold", "trim_threshold")):
                    problems.append(f"{logical}: GLIBC_TUNABLES must keep the worker's buffers (mmap and trim thresholds)")
    if not found:
        problems.append("no function consumes the image queue")
    return timeout


def check_iam(t, problems):
    for logical, s in statements(t):
        if s.get("Effect") != "Allow":
            continue
        actions = s.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        res = s.get("Resource", [])
        res = [res] if not isinstance(res, list) else res
        data = [a for a in actions if a.lower().startswith(DATA_ACTION_PREFIXES) or a == "*"]
        if data and any(r == "*" or (isinstance(r, str) and r.endswith(":*:*")) for r in res):
            problems.append(f"{logical}: grants {data} on '*'")


# Functions that only read the table, apart from what their page or endpoint must record.
READ_ONLY_FUNCTIONS = ("LogsFunction", "MetricsFunction", "TicketFunction")
TABLE_WRITES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*")


def check_read_only_functions(t, problems):
    """A read-only function may write the table only where a dynamodb:LeadingKeys condition
    names the partitions, and never delete."""
    for name in READ_ONLY_FUNCTIONS:
        fn = t["Resources"].get(name, {}).get("Properties", {})
        docs = [p for p in fn.get("Policies", []) if isinstance(p, dict) and "Statement" in p]
        for p in fn.get("Policies", []):
            managed = t["Resources"].get(ref_name(p) or "", {})
            if managed.get("Type") == "AWS::IAM::ManagedPolicy":
                docs.append(managed["Properties"].get("PolicyDocument", {}))
        for doc in docs:
            for s in doc.get("Statement", []):
                actions = s.get("Action", [])
                actions = [actions] if isinstance(actions, str) else actions
                writes = [a for a in actions if a in TABLE_WRITES]
                if not writes or s.get("Effect") != "Allow" or "Table" not in json.dumps(s.get("Resource")):
                    continue
                if any(a in ("dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*") for a in writes):
                    problems.append(f"{name}: a read-only function may not delete table items ({writes})")
                keys = [v for cond in s.get("Condition", {}).values() for k, v in cond.items() if k == "dynamodb:LeadingKeys"]
                if not keys:
                    problems.append(f"{name}: writes the table ({writes}) without a dynamodb:LeadingKeys condition")


def check_paging(t, problems):
    """Every page can reach a person: the paging topic's key lets CloudWatch and EventBridge
    publish (the AWS managed key cannot), prod needs a pager, failed backups and the outside
    canary page, and the SLOs burn on two windows."""
    topics = {ref_name(a) for al in resources(t, "AWS::CloudWatch::Alarm").values() for a in al["Properties"].get("AlarmActions", [])}
    for topic in sorted(x for x in topics if x):
        key = t["Resources"].get(topic, {}).get("Properties", {}).get("KmsMasterKeyId")
        if key == "alias/aws/sns":
            problems.append(f"{topic}: encrypted with the AWS managed key: CloudWatch and EventBridge cannot publish to it")
            continue
        policy = json.dumps(t["Resources"].get(ref_name(key) or "", {}).get("Properties", {}).get("KeyPolicy", {}))
        for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
            if key and service not in policy:
                problems.append(f"{topic}: its key does not let {service} publish")
    rule = json.dumps(t.get("Rules", {}))
    if not all(p in rule for p in ("AlarmEmail", "AlarmHttpsEndpoint", "SlackChannelId", "prod")):
        problems.append("Rules: prod may deploy with nobody to page")
    backup_rules = [
        r for r in resources(t, "AWS::Events::Rule").values()
        if "aws.backup" in r["Properties"].get("EventPattern", {}).get("source", [])
        and "FAILED" in r["Properties"]["EventPattern"].get("detail", {}).get("state", [])
        and any(ref_name(x.get("Arn")) in topics for x in r["Properties"].get("Targets", []))
    ]
    if not backup_rules:
        problems.append("paging: no EventBridge rule sends failed AWS Backup jobs to the paging topic")
    canaries = resources(t, "AWS::Synthetics::Canary")
    watched = [
        a for a in resources(t, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "CloudWatchSynthetics" and a["Properties"].get("TreatMissingData") == "breaching"
    ]
    if not canaries or not watched:
        problems.append("paging: no outside canary with an alarm that also fires when it stops running")
    composites = [json.dumps(c["Properties"].get("AlarmRule")) for c in resources(t, "AWS::CloudWatch::CompositeAlarm").values()]
    for short, long in (("AvailabilityBurn5m", "AvailabilityBurn1h"), ("AvailabilityBurn30m", "AvailabilityBurn6h")):
        if not any(short in c and long in c and "AND" in c for c in composites):
            problems.append(f"SLO: no burn-rate alarm on both {long} and {short}")


# The Lambda quota keeps 100 of an account's concurrency unreserved.
UNRESERVED_MINIMUM = 100
DEFAULT_ACCOUNT_CONCURRENCY = 1000


def reserved_share(value):
    """The FunctionConcurrency key a ReservedConcurrentExecutions reserves under
    ReserveConcurrency (following a ChatReservedConcurrency override), or None."""
    if not isinstance(value, dict) or "Fn::If" not in value:
        return None
    condition, when, otherwise = value["Fn::If"]
    if condition == "HasChatReservedConcurrency":
        return reserved_share(otherwise)
    path = when.get("Fn::FindInMap") if isinstance(when, dict) else None
    if condition != "ReserveConcurrency" or not path or path[:2] != ["FunctionConcurrency", "Reserved"]:
        return None
    return path[2] if otherwise == {"Ref": "AWS::NoValue"} else None


def check_reserved_concurrency(t, problems):
    """With ReservedConcurrency=on every function but the image worker (bounded by its
    event source) has its own share, the shares leave the unreserved minimum of a default
    account, and prod turns it on."""
    shares = t.get("Mappings", {}).get("FunctionConcurrency", {}).get("Reserved", {})
    total = sum(int(n) for n in shares.values())
    if total > DEFAULT_ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM:
        problems.append(f"FunctionConcurrency reserves {total}: more than a default account can spare")
    described = t["Parameters"].get("ReservedConcurrency", {}).get("Description", "")
    if f"{total} in all" not in described or f"at least {total + UNRESERVED_MINIMUM}" not in described:
        problems.append(f"ReservedConcurrency's description must state the total ({total}) and the account limit it needs")
    used = set()
    for logical, fn in resources(t, "AWS::Serverless::Function").items():
        props = fn.get("Properties", {})
        bounded = any(
            e.get("Type") == "SQS" and e["Properties"].get("ScalingConfig", {}).get("MaximumConcurrency")
            for e in props.get("Events", {}).values()
        )
        key = reserved_share(props.get("ReservedConcurrentExecutions"))
        if bounded:
            continue
        if key is None or key not in shares:
            problems.append(f"{logical}: no reserved concurrency share under ReserveConcurrency")
        elif key in used:
            problems.append(f"{logical}: shares its reserved concurrency key {key} with another function")
        used.add(key)
    prod = re.search(r"\[prod\.deploy\.parameters\][^\[]*", read(os.path.join(REPO, "samconfig.toml")))
    if not prod or "ReservedConcurrency=on" not in prod.group(0):
        problems.append("samconfig.toml: prod must deploy with ReservedConcurrency=on")


def check_environment(t, problems):
    env = effective(t, {}).get("Environment", {}).get("Variables", {})
    read = env_vars_read()
    for name in sorted(read - set(env) - set(NOT_SET_ON_PURPOSE)):
        problems.append(f"environment: {name} is read by the code but not set in the template")
    for name in sorted(set(env) - read):
        problems.append(f"environment: {name} is set in the template but no Lambda code reads it")
    for name in ("LOG_TOKEN", "OPENAI_API_KEY", "WHATSAPP_NUMBER", "TICKET_WEBHOOK_SECRET", "ORIGIN_SECRET"):
        if name in env:
            problems.append(f"environment: {name} must come from the secret, not the environment")
    secrets = resources(t, "AWS::SecretsManager::Secret")
    if not any(s["Properties"].get("GenerateSecretString", {}).get("GenerateStringKey") == "LOG_TOKEN" for s in secrets.values()):
        problems.append("the secret does not generate LOG_TOKEN")
    if ref_name(env.get("STI_SECRET_ID")) not in secrets:
        problems.append("STI_SECRET_ID does not name the template's secret")


def check_logs(t, problems):
    groups = resources(t, "AWS::Logs::LogGroup")
    for logical, fn in list(resources(t, "AWS::Serverless::Function").items()) + list(resources(t, "AWS::Lambda::Function").items()):
        group = ref_name(fn.get("Properties", {}).get("LoggingConfig", {}).get("LogGroup"))
        if group not in groups or "RetentionInDays" not in groups[group]["Properties"]:
            problems.append(f"{logical}: no log group with retention")


def check_alarms(t, problems):
    alarms = resources(t, "AWS::CloudWatch::Alarm")

    def metric_names(alarm):
        p = alarm["Properties"]
        names = {p.get("MetricName")}
        for m in p.get("Metrics", []):
            names.add(m.get("MetricStat", {}).get("Metric", {}).get("MetricName"))
        return names

    wanted = {
        "5xx rate > 0.5 %": lambda a: "Http5xx" in metric_names(a) and a["Properties"]["Threshold"] == 0.5,
        "/api/chat p95 > 2 s": lambda a: a["Properties"].get("ExtendedStatistic") == "p95" and a["Properties"]["Threshold"] == 2000,
        "OpenAI failures > 5 %": lambda a: "OpenAIFailures" in metric_names(a) and a["Properties"]["Threshold"] == 5,
        "OpenAI latency > 3 s": lambda a: "OpenAILatency" in metric_names(a) and a["Properties"]["Threshold"] == 3000,
        "worker errors": lambda a: any(ref_name(d.get("Value")) == "ImageWorkerFunction" for d in a["Properties"].get("Dimensions", [])),
    }
    for queue in sorted(dead_letter_queues(t)):
        wanted[f"DLQ not empty ({queue})"] = lambda a, q=queue: "ApproximateNumberOfMessagesVisible" in metric_names(a) and any(
            ref_name(d.get("Value")) == q for d in a["Properties"].get("Dimensions", [])
        )
    for what, test in wanted.items():
        if not any(test(a) for a in alarms.values()):
            problems.append(f"alarms: none for {what}")
    # An alarm that only feeds a composite alarm (one window of a burn rate) pages through it.
    composites = " ".join(json.dumps(c["Properties"].get("AlarmRule")) for c in resources(t, "AWS::CloudWatch::CompositeAlarm").values())
    for logical, alarm in alarms.items():
        if not alarm["Properties"].get("AlarmActions") and "${" + logical + "}" not in composites:
            problems.append(f"{logical}: pages nobody (no AlarmActions)")
    for logical, composite in resources(t, "AWS::CloudWatch::CompositeAlarm").items():
        if not composite["Properties"].get("AlarmActions"):
            problems.append(f"{logical}: pages nobody (no AlarmActions)")


def check_bootstrap_agrees(t, problems):
    """`sti aws bootstrap` must create what the template creates (QA runs the stack on moto)."""
    text = read(os.path.join(REPO, "shared", "src", "backends", "aws", "bootstrap.rs"))
    consts = dict(re.findall(r"pub const ([A-Z_]+): u32 = (\d+);", text))
    queues = resources(t, "AWS::SQS::Queue")
    main = [q["Properties"] for q in queues.values() if "RedrivePolicy" in q.get("Properties", {})]
    if not main:
        return
    if int(consts.get("MAX_RECEIVE_COUNT", -1)) != int(main[0]["RedrivePolicy"]["maxReceiveCount"]):
        problems.append("bootstrap: MAX_RECEIVE_COUNT differs from the template's maxReceiveCount")
    if int(consts.get("VISIBILITY_TIMEOUT_SECS", -1)) != int(main[0].get("VisibilityTimeout", 30)):
        problems.append("bootstrap: VISIBILITY_TIMEOUT_SECS differs from the template's VisibilityTimeout")
    sessions = read(os.path.join(REPO, "shared", "src", "backends", "aws", "dynamo", "sessions.rs"))
    for table in resources(t, "AWS::DynamoDB::Table").values():
        p = table["Properties"]
        keys = [k["AttributeName"] for k in p.get("KeySchema", [])]
        ttl = p.get("TimeToLiveSpecification", {}).get("AttributeName")
        for index in p.get("GlobalSecondaryIndexes", []):
            keys += [k["AttributeName"] for k in index["KeySchema"]]
            if f'"{index["IndexName"]}"' not in sessions:
                problems.append(f"bootstrap: the index {index['IndexName']!r} of the template is not the code's")
        for name in keys + [ttl]:
            if f'"{name}"' not in text:
                problems.append(f"bootstrap: the table attribute {name!r} of the template is not created by sti aws bootstrap")


def check_ticket_notifications(t, problems):
    """New tickets reach a function through the table's stream, which retries the ones not
    delivered for a day (partial batch failures) and then keeps them in a dead-letter queue."""
    table = ref_name(effective(t, {}).get("Environment", {}).get("Variables", {}).get("STI_TABLE_NAME"))
    if not t["Resources"].get(table, {}).get("Properties", {}).get("StreamSpecification"):
        problems.append(f"{table}: no stream feeds the ticket notifier")
    streams = [
        e["Properties"]
        for fn in resources(t, "AWS::Serverless::Function").values()
        for e in fn.get("Properties", {}).get("Events", {}).values()
        if e.get("Type") == "DynamoDB"
    ]
    if not streams:
        problems.append("tickets: no function reads the table's stream")
    for s in streams:
        if s.get("FunctionResponseTypes") != ["ReportBatchItemFailures"]:
            problems.append("tickets: the stream's function does not report batch item failures")
        if not s.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"):
            problems.append("tickets: the stream has no on-failure destination")


def check(template):
    problems = []
    check_ticket_notifications(template, problems)
    check_bootstrap_agrees(template, problems)
    check_functions(template, problems)
    check_routes(template, problems)
    check_deployments(template, problems)
    check_data(template, problems)
    timeout = check_worker(template, problems)
    check_bucket(template, problems, timeout)
    check_iam(template, problems)
    check_read_only_functions(template, problems)
    check_paging(template, problems)
    check_bucket_access(template, problems)
    check_widget(template, problems)
    check_api_edge(template, problems)
    check_environment(template, problems)
    check_reserved_concurrency(template, problems)
    check_logs(template, problems)
    check_alarms(template, problems)
    return problems


def main():
    problems = check(load())
    for p in problems:
        print("template:", p)
    print(f"{len(problems)} problem(s) in infra/template.yaml")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
