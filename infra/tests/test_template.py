"""The template passes every invariant, and each invariant really catches its violation
(each test breaks a copy of the parsed template one way and expects that problem)."""

import copy
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import check_template as ct  # noqa: E402

TEMPLATE = ct.load()


def problems_after(mutate):
    t = copy.deepcopy(TEMPLATE)
    mutate(t)
    return ct.check(t)


def res(t, name):
    return t["Resources"][name]["Properties"]


class TemplateInvariants(unittest.TestCase):
    def assertFlags(self, mutate, fragment):
        found = problems_after(mutate)
        self.assertTrue(any(fragment in p for p in found), f"expected a problem about {fragment!r}, got {found}")

    def test_the_template_passes(self):
        self.assertEqual(ct.check(TEMPLATE), [])

    def test_the_uploads_bucket_lets_the_browser_send_every_signed_header(self):
        def drop_if_none_match(t):
            for rule in res(t, "UploadsBucket")["CorsConfiguration"]["CorsRules"]:
                rule["AllowedHeaders"].remove("if-none-match")

        self.assertFlags(drop_if_none_match, "CORS does not allow the signed header if-none-match")

    def test_every_function_has_its_reserved_concurrency_share(self):
        self.assertFlags(
            lambda t: res(t, "GreetingFunction").pop("ReservedConcurrentExecutions"),
            "GreetingFunction: no reserved concurrency share",
        )
        self.assertFlags(
            lambda t: res(t, "ChatFunction")["ReservedConcurrentExecutions"]["Fn::If"].__setitem__(2, 40),
            "ChatFunction: no reserved concurrency share",
        )
        self.assertFlags(
            lambda t: t["Mappings"]["FunctionConcurrency"]["Reserved"].__setitem__("Chat", 900),
            "more than a default account can spare",
        )
        self.assertFlags(
            lambda t: t["Mappings"]["FunctionConcurrency"]["Reserved"].__setitem__("Chat", 60),
            "must state the total",
        )

    def test_every_crate_has_one_function_and_back(self):
        self.assertFlags(lambda t: t["Resources"].pop("TicketFunction"), "functions/ticket: 0 function resources")
        self.assertFlags(
            lambda t: t["Resources"].__setitem__("ExtraFunction", copy.deepcopy(t["Resources"]["HealthFunction"])),
            "functions/health: 2 function resources",
        )

        def rename(t):
            t["Resources"]["HealthFunction"]["Metadata"]["BuildProperties"]["Binary"] = "healthz"

        self.assertFlags(rename, "'healthz' has no crate")
        self.assertEqual(len(ct.function_crates()), 14)

    def test_routes_match_the_router(self):
        def drop_route(t):
            res(t, "SessionDataFunction")["Events"].pop("DeleteSessionSessionid")

        self.assertFlags(drop_route, "('DELETE', '/api/session/{}') of the app has no function")

        def wrong_method(t):
            res(t, "ChatFunction")["Events"]["PostChat"]["Properties"]["Method"] = "PUT"

        self.assertFlags(wrong_method, "('PUT', '/api/chat') of the template is not served")

        def wrong_function(t):
            chat = res(t, "ChatFunction")["Events"].pop("PostChat")
            res(t, "HealthFunction")["Events"]["PostChat"] = chat

        self.assertFlags(wrong_function, "route ('POST', '/api/chat') goes to function health")

    def test_the_local_upload_target_is_not_deployed(self):
        def deploy_it(t):
            res(t, "UploadStatusFunction")["Events"]["PutContent"] = {
                "Type": "HttpApi",
                "Properties": {"ApiId": {"Ref": "HttpApi"}, "Method": "PUT", "Path": "/api/upload/{uploadId}/content"},
            }

        self.assertFlags(deploy_it, "is local-only")

    def test_direct_uploads_are_fenced(self):
        def let_signer_read(t):
            t["Resources"]["UploadUrlFunction"]["Properties"]["Policies"].append({"Ref": "UploadsProbePolicy"})

        self.assertFlags(let_signer_read, "upload-url: may only put under uploads/")

        def no_put(t):
            t["Resources"]["UploadUrlFunction"]["Properties"]["Policies"].remove({"Ref": "UploadsWritePolicy"})

        self.assertFlags(no_put, "upload-url: its presigned URLs need s3:PutObject")

        def worker_cannot_delete(t):
            statement = res(t, "WorkerBucketPolicy")["PolicyDocument"]["Statement"][0]
            statement["Action"] = ["s3:GetObject"]

        self.assertFlags(worker_cannot_delete, "image-worker: cannot delete the originals")

        def status_cannot_list(t):
            res(t, "UploadsProbePolicy")["PolicyDocument"]["Statement"].pop(1)

        self.assertFlags(status_cannot_list, "upload-status: without s3:ListBucket")

        def cors_any_method(t):
            res(t, "UploadsBucket")["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"] = ["GET", "PUT"]

        self.assertFlags(cors_any_method, "CORS must allow PUT only")

        def cors_any_origin(t):
            res(t, "UploadsBucket")["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"] = ["*"]

        self.assertFlags(cors_any_origin, "AllowedOrigins parameter")

        self.assertFlags(lambda t: res(t, "UploadsBucket").pop("CorsConfiguration"), "no CORS rule")

    def test_a_claim_outlives_no_redelivery(self):
        def long_claim(t):
            t["Globals"]["Function"]["Environment"]["Variables"]["WORKER_CLAIM"] = "10m"

        self.assertFlags(long_claim, "WORKER_CLAIM (10m) must be shorter than the visibility timeout")

    def test_the_widget_is_served_privately_over_https(self):
        def public_origin(t):
            origin = res(t, "WidgetDistribution")["DistributionConfig"]["Origins"][0]
            origin.pop("OriginAccessControlId")

        self.assertFlags(public_origin, "not read through origin access control")

        def plain_http(t):
            res(t, "WidgetDistribution")["DistributionConfig"]["DefaultCacheBehavior"]["ViewerProtocolPolicy"] = "allow-all"

        self.assertFlags(plain_http, "viewers may use plain HTTP")

        def no_corp(t):
            res(t, "WidgetHeadersPolicy")["ResponseHeadersPolicyConfig"]["CustomHeadersConfig"]["Items"] = []

        self.assertFlags(no_corp, "Cross-Origin-Resource-Policy")

        def anyone_reads(t):
            statement = res(t, "WidgetBucketPolicy")["PolicyDocument"]["Statement"][1]
            statement["Principal"] = "*"

        self.assertFlags(anyone_reads, "only the distribution may read it")

        def public_bucket(t):
            res(t, "WidgetBucket")["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] = False

        self.assertFlags(public_bucket, "WidgetBucket: RestrictPublicBuckets is not true")

    def test_tables_need_ttl_pitr_and_encryption(self):
        self.assertFlags(lambda t: res(t, "Table").pop("TimeToLiveSpecification"), "TTL must be enabled")
        self.assertFlags(
            lambda t: res(t, "Table")["TimeToLiveSpecification"].__setitem__("AttributeName", "expires"), "TTL must be enabled"
        )
        self.assertFlags(lambda t: res(t, "Table").pop("PointInTimeRecoverySpecification"), "point-in-time recovery")
        self.assertFlags(lambda t: res(t, "Table").pop("SSESpecification"), "encryption")
        self.assertFlags(lambda t: t["Resources"].pop("BackupSelection"), "not in an AWS Backup selection")

    def test_the_bucket_is_private_encrypted_and_expiring(self):
        self.assertFlags(
            lambda t: res(t, "UploadsBucket")["PublicAccessBlockConfiguration"].__setitem__("BlockPublicPolicy", False),
            "BlockPublicPolicy is not true",
        )
        self.assertFlags(lambda t: res(t, "UploadsBucket").pop("BucketEncryption"), "no default encryption")
        self.assertFlags(
            lambda t: res(t, "UploadsBucket")["LifecycleConfiguration"]["Rules"].pop(2), "no lifecycle expiry of thumbnails/"
        )
        self.assertFlags(lambda t: t["Resources"].pop("UploadsBucketPolicy"), "without TLS")

        def whole_bucket(t):
            res(t, "UploadsBucket")["NotificationConfiguration"]["QueueConfigurations"][0].pop("Filter")

        self.assertFlags(whole_bucket, "not limited to uploads/")

    def test_the_queue_has_a_dlq_and_enough_visibility(self):
        self.assertFlags(lambda t: res(t, "ImageQueue").pop("RedrivePolicy"), "no dead-letter queue")
        self.assertFlags(lambda t: res(t, "ImageQueue").__setitem__("VisibilityTimeout", 60), "visibility timeout below")
        self.assertFlags(
            lambda t: res(t, "ImageQueue")["RedrivePolicy"].__setitem__("maxReceiveCount", 3), "maxReceiveCount must exceed"
        )

    def test_bootstrap_creates_what_the_template_creates(self):
        self.assertFlags(
            lambda t: res(t, "ImageQueue")["RedrivePolicy"].__setitem__("maxReceiveCount", 7), "MAX_RECEIVE_COUNT differs"
        )
        self.assertFlags(lambda t: res(t, "ImageQueue").__setitem__("VisibilityTimeout", 300), "VISIBILITY_TIMEOUT_SECS differs")
        self.assertFlags(
            lambda t: res(t, "Table")["TimeToLiveSpecification"].__setitem__("AttributeName", "expiresAt"),
            "'expiresAt' of the template is not created",
        )

    def test_new_tickets_reach_the_notifier_and_what_fails_reaches_a_queue_that_pages(self):
        notifier = res(TEMPLATE, "TicketNotifierFunction")
        stream = notifier["Events"]["NewTickets"]["Properties"]
        self.assertEqual(stream["Stream"], {"Fn::GetAtt": ["Table", "StreamArn"]})
        self.assertEqual(stream["FunctionResponseTypes"], ["ReportBatchItemFailures"])
        self.assertEqual(stream["MaximumRecordAgeInSeconds"], 86400, "retried for the webhook's day")
        self.assertIn('"INSERT"', stream["FilterCriteria"]["Filters"][0]["Pattern"])
        self.assertEqual(stream["DestinationConfig"]["OnFailure"]["Destination"], {"Fn::GetAtt": ["TicketNotifierDeadLetterQueue", "Arn"]})
        table = res(TEMPLATE, "Table")
        self.assertEqual(table["StreamSpecification"]["StreamViewType"], "KEYS_ONLY")
        env = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
        self.assertEqual(env["TICKETS_TOPIC_ARN"], {"Ref": "TicketsTopic"})
        self.assertEqual(env["TICKET_WEBHOOK_URL"], {"Ref": "TicketWebhookUrl"})
        self.assertIn("TICKET_WEBHOOK_SECRET", json.dumps(res(TEMPLATE, "AppSecret")))
        for subscription, parameter in [("TicketsEmailSubscription", "TicketsEmail"), ("TicketsHttpsSubscription", "TicketsHttpsEndpoint")]:
            self.assertEqual(res(TEMPLATE, subscription)["TopicArn"], {"Ref": "TicketsTopic"})
            self.assertEqual(res(TEMPLATE, subscription)["Endpoint"], {"Ref": parameter})
        self.assertFlags(lambda t: res(t, "Table").pop("StreamSpecification"), "Table: no stream feeds the ticket notifier")
        schedule = notifier["Events"]["AbandonedCases"]
        self.assertEqual((schedule["Type"], schedule["Properties"]["Schedule"]), ("Schedule", "rate(5 minutes)"))
        self.assertEqual(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["CASE_ABANDONED_AFTER"], "30m")
        index = table["GlobalSecondaryIndexes"][0]
        self.assertEqual(index["IndexName"], "IdleCases")
        self.assertIn({"Effect": "Allow", "Action": "dynamodb:Query", "Resource": {"Fn::Sub": "${Table.Arn}/index/IdleCases"}},
                      [s for p in notifier["Policies"] if isinstance(p, dict) for s in p.get("Statement", [])])
        self.assertFlags(
            lambda t: res(t, "Table")["GlobalSecondaryIndexes"][0].__setitem__("IndexName", "Idle"),
            "the index 'Idle' of the template is not the code's",
        )
        self.assertFlags(
            lambda t: res(t, "Table")["GlobalSecondaryIndexes"][0]["KeySchema"][1].__setitem__("AttributeName", "since"),
            "'since' of the template is not created",
        )
        self.assertFlags(
            lambda t: res(t, "TicketNotifierFunction")["Events"]["NewTickets"]["Properties"].pop("DestinationConfig"),
            "no on-failure destination",
        )

    def test_the_worker_reports_batch_item_failures(self):
        def plain(t):
            res(t, "ImageWorkerFunction")["Events"]["Uploads"]["Properties"].pop("FunctionResponseTypes")

        self.assertFlags(plain, "does not report batch item failures")

    def test_the_worker_keeps_its_buffers_between_photos(self):
        self.assertFlags(
            lambda t: res(t, "ImageWorkerFunction")["Environment"]["Variables"].pop("GLIBC_TUNABLES"),
            "GLIBC_TUNABLES must keep the worker's buffers",
        )

    def test_every_function_deploys_through_an_alias_with_alarms_and_the_hook(self):
        self.assertFlags(lambda t: t["Globals"]["Function"].pop("AutoPublishAlias"), "no AutoPublishAlias live")
        self.assertFlags(lambda t: res(t, "ChatFunction").pop("DeploymentPreference"), "ChatFunction: no alarm on its own errors")
        self.assertFlags(lambda t: t["Globals"]["Function"]["DeploymentPreference"].pop("Hooks"), "no pre-traffic hook")
        self.assertFlags(lambda t: t["Resources"].pop("ChatLatencyP95Alarm"), "deployment alarm ChatLatencyP95Alarm does not exist")
        self.assertFlags(
            lambda t: res(t, "PreTrafficHook")["Environment"]["Variables"].pop("CHAT_FUNCTION"), "does not smoke-check ChatFunction"
        )

    def test_no_data_access_on_star(self):
        def star(t):
            res(t, "TableReadWritePolicy")["PolicyDocument"]["Statement"][0]["Resource"] = "*"

        self.assertFlags(star, "TableReadWritePolicy: grants")

        def inline_star(t):
            res(t, "ChatFunction")["Policies"].append(
                {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
            )

        self.assertFlags(inline_star, "ChatFunction: grants ['s3:GetObject']")

    def test_read_only_functions_write_only_counters_and_what_they_record(self):
        for name in ("LogsFunction", "MetricsFunction", "TicketFunction"):
            self.assertNotIn({"Ref": "TableReadWritePolicy"}, res(TEMPLATE, name)["Policies"], name)
        counters = res(TEMPLATE, "CountersWritePolicy")["PolicyDocument"]["Statement"][0]
        self.assertEqual(counters["Action"], "dynamodb:UpdateItem")
        self.assertEqual(counters["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"], ["COUNTERS", "DAILY"])
        ticket = res(TEMPLATE, "TicketWritePolicy")["PolicyDocument"]["Statement"][0]
        self.assertEqual(ticket["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], ["T#*", "LOG#*", "COUNTERS", "DAILY"])
        self.assertFlags(
            lambda t: res(t, "MetricsFunction")["Policies"].append({"Ref": "TableReadWritePolicy"}),
            "MetricsFunction: writes the table",
        )
        self.assertFlags(
            lambda t: res(t, "CountersWritePolicy")["PolicyDocument"]["Statement"][0].pop("Condition"),
            "LogsFunction: writes the table",
        )
        self.assertFlags(
            lambda t: res(t, "TicketWritePolicy")["PolicyDocument"]["Statement"][0]["Action"].append("dynamodb:DeleteItem"),
            "TicketFunction: a read-only function may not delete",
        )

    def test_pages_reach_a_person(self):
        self.assertEqual(res(TEMPLATE, "AlarmTopic")["KmsMasterKeyId"], {"Ref": "AlarmTopicKey"})
        self.assertFlags(lambda t: res(t, "AlarmTopic").__setitem__("KmsMasterKeyId", "alias/aws/sns"), "CloudWatch and EventBridge cannot publish")
        self.assertFlags(lambda t: res(t, "AlarmTopicKey")["KeyPolicy"]["Statement"].pop(2), "does not let events.amazonaws.com publish")
        self.assertFlags(lambda t: t.pop("Rules"), "prod may deploy with nobody to page")
        self.assertFlags(lambda t: t["Resources"].pop("BackupFailedRule"), "failed AWS Backup jobs")
        self.assertFlags(lambda t: res(t, "ApiCanaryAlarm").__setitem__("TreatMissingData", "notBreaching"), "no outside canary")
        self.assertFlags(lambda t: t["Resources"].pop("AvailabilitySloFastBurn"), "AvailabilityBurn1h and AvailabilityBurn5m")
        self.assertFlags(lambda t: res(t, "AvailabilitySloSlowBurn").pop("AlarmActions"), "AvailabilitySloSlowBurn: pages nobody")
        for parameter, condition in [("AlarmEmail", "HasAlarmEmail"), ("AlarmHttpsEndpoint", "HasAlarmHttpsEndpoint")]:
            self.assertIn(parameter, TEMPLATE["Parameters"])
            subscription = [r for r in TEMPLATE["Resources"].values() if r.get("Condition") == condition]
            self.assertEqual(subscription[0]["Properties"]["TopicArn"], {"Ref": "AlarmTopic"})
        slack = TEMPLATE["Resources"]["SlackPages"]
        self.assertEqual((slack["Type"], slack["Condition"]), ("AWS::Chatbot::SlackChannelConfiguration", "HasSlackPages"))
        self.assertEqual(slack["Properties"]["SnsTopicArns"], [{"Ref": "AlarmTopic"}])
        canary = res(TEMPLATE, "ApiCanary")
        self.assertEqual(canary["Schedule"]["Expression"], "rate(5 minutes)")
        for step in ("/api/health", "/api/greeting", "/api/chat", "/api/session/"):
            self.assertIn(step, canary["Code"]["Script"])
        with open(os.path.join(ct.REPO, "samconfig.toml"), encoding="utf-8") as f:
            self.assertNotIn("@example.", f.read(), "no placeholder pager address: the deployer gives a real one")

    def test_a_relative_latency_gate_rolls_back_beside_the_absolute_one(self):
        gates = TEMPLATE["Globals"]["Function"]["DeploymentPreference"]["Alarms"]
        self.assertIn({"Ref": "ChatLatencyAnomalyAlarm"}, gates)
        self.assertIn({"Ref": "ChatLatencyP95Alarm"}, gates)
        anomaly = res(TEMPLATE, "ChatLatencyAnomalyAlarm")
        self.assertEqual(anomaly["ComparisonOperator"], "GreaterThanUpperThreshold")
        self.assertIn("ANOMALY_DETECTION_BAND(p95", json.dumps(anomaly["Metrics"]))
        self.assertFlags(lambda t: t["Resources"].pop("ChatLatencyAnomalyAlarm"), "deployment alarm ChatLatencyAnomalyAlarm does not exist")

    def test_smart_mode_waits_for_the_canary_to_take_all_the_traffic(self):
        hooks = TEMPLATE["Globals"]["Function"]["DeploymentPreference"]["Hooks"]
        self.assertEqual(hooks, {"PreTraffic": {"Ref": "PreTrafficHook"}, "PostTraffic": {"Ref": "PostTrafficHook"}})
        post = res(TEMPLATE, "PostTrafficHook")
        self.assertEqual(post["Handler"], "canary.post_traffic")
        self.assertTrue(post["FunctionName"]["Fn::Sub"].startswith("CodeDeployHook_"), "SAM's CodeDeploy role invokes CodeDeployHook_* only")
        for hook in ("PreTrafficHook", "PostTrafficHook"):
            env = res(TEMPLATE, hook)["Environment"]["Variables"]
            self.assertEqual(env["TABLE_NAME"], {"Ref": "Table"})
            self.assertEqual(env["CHAT_FUNCTION"], {"Ref": "ChatFunction.Version"})
            role = res(TEMPLATE, hook.replace("Hook", "HookRole"))
            statements = role["Policies"][0]["PolicyDocument"]["Statement"]
            writes = [s for s in statements if s["Action"] == "dynamodb:UpdateItem"]
            self.assertEqual(writes[0]["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"], ["COUNTERS"], hook)

    def test_the_api_is_reached_through_cloudfront_and_waf_only(self):
        self.assertFlags(lambda t: res(t, "ApiDistribution")["DistributionConfig"]["Origins"][0].pop("OriginCustomHeaders"), "X-STI-Origin")
        self.assertFlags(lambda t: t["Globals"]["Function"]["Environment"]["Variables"].pop("STI_ORIGIN_SECRET_ID"), "STI_ORIGIN_SECRET_ID")
        self.assertFlags(lambda t: res(t, "ApiDistribution")["DistributionConfig"].pop("WebACLId"), "no AWS WAF web ACL")
        self.assertFlags(lambda t: res(t, "ApiWebAcl")["Rules"].pop(0), "a stricter one for greetings")
        self.assertFlags(lambda t: res(t, "ApiWebAcl")["Rules"].pop(), "AWSManagedRulesCommonRuleSet")
        common = res(TEMPLATE, "ApiWebAcl")["Rules"][-1]["Statement"]["ManagedRuleGroupStatement"]
        self.assertEqual(common["RuleActionOverrides"][0]["Name"], "SizeRestrictions_BODY", "screenshots are bigger than 8 KB")
        self.assertEqual(TEMPLATE["Resources"]["ApiWebAcl"]["Condition"], "CreateApiWebAcl")
        self.assertEqual(TEMPLATE["Outputs"]["ApiUrl"]["Value"], {"Fn::Sub": "https://${ApiDistribution.DomainName}"})
        self.assertEqual(res(TEMPLATE, "ApiCanary")["RunConfig"]["EnvironmentVariables"]["BASE_URL"], {"Fn::Sub": "https://${ApiDistribution.DomainName}"})
        routes = res(TEMPLATE, "HttpApi")["RouteSettings"]
        self.assertLess(routes["POST /api/greeting"]["ThrottlingRateLimit"], 100)
        for name, fn in TEMPLATE["Resources"].items():
            if fn["Type"] == "AWS::Serverless::Function":
                self.assertIn({"Ref": "OriginSecretReadPolicy"}, fn["Properties"]["Policies"], name)

    def test_environment_matches_the_code(self):
        self.assertFlags(
            lambda t: t["Globals"]["Function"]["Environment"]["Variables"].pop("STI_TABLE_NAME"),
            "STI_TABLE_NAME is read by the code but not set",
        )
        self.assertFlags(
            lambda t: t["Globals"]["Function"]["Environment"]["Variables"].__setitem__("STI_TABEL_NAME", "x"),
            "STI_TABEL_NAME is set in the template but no Lambda code reads it",
        )
        self.assertFlags(
            lambda t: t["Globals"]["Function"]["Environment"]["Variables"].__setitem__("LOG_TOKEN", "x"),
            "LOG_TOKEN must come from the secret",
        )
        self.assertIn("OPENAI_CB_COOLDOWN_SECS", ct.env_vars_read())

    def test_alarms_of_the_seeds_exist_and_page(self):
        self.assertFlags(lambda t: t["Resources"].pop("DeadLetterQueueAlarm"), "none for DLQ not empty")
        self.assertFlags(lambda t: t["Resources"].pop("TicketNotifierDeadLetterAlarm"), "none for DLQ not empty (TicketNotifierDeadLetterQueue)")
        self.assertFlags(lambda t: t["Resources"].pop("OpenAILatencyAlarm"), "none for OpenAI latency > 3 s")
        self.assertFlags(lambda t: res(t, "OpenAILatencyAlarm").pop("AlarmActions"), "pages nobody")

    def test_log_groups_have_retention(self):
        self.assertFlags(lambda t: res(t, "ChatLogGroup").pop("RetentionInDays"), "ChatFunction: no log group with retention")


def emitted_emf_metrics():
    """Metric names the app writes as EMF (the first element of each value tuple)."""
    import re

    names = set()
    for root in ("shared/src",):
        for directory, _, files in os.walk(os.path.join(ct.REPO, root)):
            for file in files:
                if file.endswith(".rs"):
                    text = ct.read(os.path.join(directory, file))
                    names.update(re.findall(r'\("([A-Z][A-Za-z0-9]+)",\s*[^"]+?,\s*"(?:Count|Milliseconds)"\)', text))
                    names.update(re.findall(r'emf_dimensioned_line\(\s*"([A-Z][A-Za-z0-9]+)"', text))
    return names


SEED_PANELS = ["chat latency p95", "5xx", "OpenAI latency", "failures", "queue", "worker", "duration", "memory", "concurrency", "throttles", "solved rate", "tickets per day", "satisfaction"]


class Observability(unittest.TestCase):
    def stichat_metrics_in(self, text):
        import re

        return set(re.findall(r'"STIChat",\s*"([A-Za-z0-9]+)"', text))

    def test_alarms_and_dashboards_read_metrics_the_app_emits(self):
        emitted = emitted_emf_metrics()
        self.assertLessEqual({"Requests", "Http5xx", "Latency", "OpenAIRequests", "OpenAIFailures", "OpenAILatency"}, emitted)
        used = set()
        for alarm in ct.resources(TEMPLATE, "AWS::CloudWatch::Alarm").values():
            p = alarm["Properties"]
            if p.get("Namespace") == "STIChat":
                used.add(p["MetricName"])
            for m in p.get("Metrics", []):
                metric = m.get("MetricStat", {}).get("Metric", {})
                if metric.get("Namespace") == "STIChat":
                    used.add(metric["MetricName"])
        body = TEMPLATE["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][0]
        used |= self.stichat_metrics_in(body)
        grafana = ct.read(os.path.join(ct.REPO, "infra/observability/grafana-dashboard.json"))
        import json

        for panel in json.loads(grafana)["panels"]:
            for target in panel["targets"]:
                if target.get("namespace") == "STIChat":
                    used.add(target["metricName"])
        self.assertEqual(used - emitted, set(), "metrics read but never emitted")

    def test_the_cloudwatch_dashboard_is_valid_json_with_the_seed_panels(self):
        import json
        import re

        body = TEMPLATE["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][0]
        widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
        titles = " ".join(w["properties"]["title"] for w in widgets)
        for panel in SEED_PANELS:
            self.assertIn(panel.lower(), titles.lower())

    def test_the_grafana_dashboard_has_the_same_panels(self):
        import json

        dash = json.loads(ct.read(os.path.join(ct.REPO, "infra/observability/grafana-dashboard.json")))
        titles = " ".join(p["title"] for p in dash["panels"])
        for panel in SEED_PANELS:
            self.assertIn(panel.lower(), titles.lower())
        self.assertTrue(all(p["datasource"]["type"] == "cloudwatch" for p in dash["panels"]))

    def test_prometheus_rules_use_exposed_metrics(self):
        import re

        import yaml

        with open(os.path.join(ct.REPO, "infra/observability/prometheus-rules.yaml"), encoding="utf-8") as f:
            rules = yaml.safe_load(f)
        exposed = set()
        for source in ("shared/src/handlers/metrics.rs", "shared/src/counters.rs"):
            exposed |= set(re.findall(r"\b(sti_[a-z0-9_]+)", ct.read(os.path.join(ct.REPO, source))))
        alerts = [r for g in rules["groups"] for r in g["rules"]]
        self.assertGreaterEqual(len(alerts), 5)
        for rule in alerts:
            for name in re.findall(r"\b(sti_[a-z0-9_]+)", rule["expr"]):
                self.assertIn(name, exposed, f"{rule['alert']} reads {name}, which /api/metrics does not expose")
            self.assertIn("summary", rule["annotations"])


class SamConfig(unittest.TestCase):
    def test_every_stage_deploys_its_own_stack_with_valid_parameters(self):
        import shlex
        import tomllib

        with open(os.path.join(ct.REPO, "samconfig.toml"), "rb") as f:
            config = tomllib.load(f)
        parameters = set(TEMPLATE["Parameters"])
        stacks = set()
        for stage in ("dev", "staging", "prod"):
            env = config[stage]
            self.assertEqual(env["global"]["parameters"]["template_file"], "infra/template.yaml")
            self.assertTrue(env["build"]["parameters"]["beta_features"], "rust-cargolambda needs beta features")
            deploy = env["deploy"]["parameters"]
            self.assertTrue(deploy["resolve_s3"])
            self.assertIn("CAPABILITY_IAM", deploy["capabilities"])
            stacks.add(deploy["stack_name"])
            overrides = dict(kv.split("=", 1) for kv in shlex.split(deploy["parameter_overrides"]))
            self.assertEqual(overrides["Stage"], stage)
            self.assertLessEqual(set(overrides), parameters, f"{stage}: unknown parameters")
            allowed = TEMPLATE["Parameters"]["Stage"]["AllowedValues"]
            self.assertIn(stage, allowed)
        self.assertEqual(len(stacks), 3, "each stage has its own stack")


if __name__ == "__main__":
    unittest.main()
