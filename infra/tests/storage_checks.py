"""The storage rules of the template: the uploads and widget buckets, the CloudFront
distribution in front of the widget, and who may do what in the uploads bucket."""

import json

from template_model import dead_letter_queues, effective, ref_name, resources


def check_bucket(t, problems, worker_timeout):
    buckets = resources(t, "AWS::S3::Bucket")
    queues = resources(t, "AWS::SQS::Queue")
    policies = resources(t, "AWS::S3::BucketPolicy")
    for logical, bucket in buckets.items():
        p = bucket.get("Properties", {})
        block = p.get("PublicAccessBlockConfiguration", {})
        for key in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
            if block.get(key) is not True:
                problems.append(f"{logical}: {key} is not true")
        if not p.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration"):
            problems.append(f"{logical}: no default encryption")
        if p.get("VersioningConfiguration", {}).get("Status") != "Enabled":
            problems.append(f"{logical}: versioning is off")
        tls = any(
            ref_name(pol["Properties"].get("Bucket")) == logical
            and any(
                s.get("Effect") == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
                for s in pol["Properties"]["PolicyDocument"]["Statement"]
            )
            for pol in policies.values()
        )
        if not tls:
            problems.append(f"{logical}: no policy denying requests without TLS")
        if logical != uploads_bucket(t):
            continue
        rules = p.get("LifecycleConfiguration", {}).get("Rules", [])
        for prefix in ("uploads/", "sanitized/", "thumbnails/"):
            ok = any(
                r.get("Status") == "Enabled"
                and (r.get("Prefix") == prefix or r.get("Filter", {}).get("Prefix") == prefix)
                and ref_name(r.get("ExpirationInDays")) == "UploadRetentionDays"
                for r in rules
            )
            if not ok:
                problems.append(f"{logical}: no lifecycle expiry of {prefix} after UploadRetentionDays")
        notifications = p.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        if not notifications:
            problems.append(f"{logical}: uploads do not notify the queue")
        for n in notifications:
            filters = n.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            if {"Name": "prefix", "Value": "uploads/"} not in filters:
                problems.append(f"{logical}: the notification is not limited to uploads/")
            if ref_name(n.get("Queue")) not in queues:
                problems.append(f"{logical}: notification queue does not exist")
    env = effective(t, {}).get("Environment", {}).get("Variables", {})
    attempts = int(env.get("WORKER_MAX_ATTEMPTS", "3"))
    dead_letter_targets = dead_letter_queues(t)
    for logical, queue in queues.items():
        if logical in dead_letter_targets:
            continue
        p = queue.get("Properties", {})
        redrive = p.get("RedrivePolicy")
        if not redrive or ref_name(redrive.get("deadLetterTargetArn")) not in queues:
            problems.append(f"{logical}: no dead-letter queue")
        elif int(redrive.get("maxReceiveCount", 0)) <= attempts:
            problems.append(f"{logical}: maxReceiveCount must exceed WORKER_MAX_ATTEMPTS ({attempts})")
        if int(p.get("VisibilityTimeout", 30)) < 6 * worker_timeout:
            problems.append(f"{logical}: visibility timeout below 6 × the worker timeout ({worker_timeout} s)")
        claim = env.get("WORKER_CLAIM", "120s")
        claim_secs = int(claim[:-1]) * {"s": 1, "m": 60}.get(claim[-1], 0) if claim[:-1].isdigit() else 0
        if not 0 < claim_secs < int(p.get("VisibilityTimeout", 30)):
            problems.append(f"{logical}: WORKER_CLAIM ({claim}) must be shorter than the visibility timeout, or a redelivery finds the dead worker's claim")


def uploads_bucket(t):
    """The bucket the functions store uploads in (STI_BUCKET_NAME)."""
    return ref_name(effective(t, {}).get("Environment", {}).get("Variables", {}).get("STI_BUCKET_NAME"))


def check_api_edge(t, problems):
    """The API is reached through CloudFront (with AWS WAF) only: the distribution adds the
    origin secret's header, which every function is told to check, caches nothing, and in
    us-east-1 carries a web ACL with per-IP rate limits and AWS managed rules."""
    env = effective(t, {}).get("Environment", {}).get("Variables", {})
    secret = ref_name(env.get("STI_ORIGIN_SECRET_ID"))
    if secret not in resources(t, "AWS::SecretsManager::Secret"):
        problems.append("edge: the functions are not told which secret the origin header must match (STI_ORIGIN_SECRET_ID)")
    api = [
        (k, d["Properties"]["DistributionConfig"]) for k, d in resources(t, "AWS::CloudFront::Distribution").items()
        if any("execute-api" in json.dumps(o.get("DomainName")) for o in d["Properties"]["DistributionConfig"].get("Origins", []))
    ]
    if not api:
        problems.append("edge: no CloudFront distribution in front of the API")
        return
    logical, config = api[0]
    headers = [h for o in config["Origins"] for h in o.get("OriginCustomHeaders", [])]
    if not any(h["HeaderName"].lower() == "x-sti-origin" and secret and secret in json.dumps(h["HeaderValue"]) for h in headers):
        problems.append(f"{logical}: does not add the origin secret's X-STI-Origin header")
    behaviour = config.get("DefaultCacheBehavior", {})
    if behaviour.get("CachePolicyId") != "4135ea2d-6df8-44a3-9df3-4b5a84be39ad":
        problems.append(f"{logical}: API answers must not be cached (managed policy CachingDisabled)")
    if behaviour.get("ViewerProtocolPolicy") != "https-only":
        problems.append(f"{logical}: the API must be HTTPS only")
    if not config.get("WebACLId"):
        problems.append(f"{logical}: no AWS WAF web ACL")
    for acl in resources(t, "AWS::WAFv2::WebACL").values():
        rules = acl["Properties"].get("Rules", [])
        rate = [r for r in rules if "RateBasedStatement" in r["Statement"] and r["Statement"]["RateBasedStatement"].get("AggregateKeyType") == "IP"]
        managed = {r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in rules if "ManagedRuleGroupStatement" in r["Statement"]}
        if len(rate) < 2 or "ScopeDownStatement" not in json.dumps(rate):
            problems.append("edge: the web ACL needs per-IP rate limits, a stricter one for greetings and upload slots")
        for group in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"):
            if group not in managed:
                problems.append(f"edge: the web ACL lacks {group}")


def check_widget(t, problems):
    buckets = set(resources(t, "AWS::S3::Bucket")) - {uploads_bucket(t)}
    distributions = resources(t, "AWS::CloudFront::Distribution")
    if not buckets or not distributions:
        problems.append("widget: no bucket and CloudFront distribution serve it")
        return
    # The widget's distribution reads a bucket; the API's (check_api_edge) reads the API.
    distributions = {
        k: d for k, d in distributions.items()
        if not any("execute-api" in json.dumps(o.get("DomainName")) for o in d["Properties"]["DistributionConfig"].get("Origins", []))
    }
    for logical, dist in distributions.items():
        config = dist["Properties"]["DistributionConfig"]
        for origin in config.get("Origins", []):
            if not origin.get("OriginAccessControlId"):
                problems.append(f"{logical}: origin {origin.get('Id')} is not read through origin access control")
            if ref_name(origin.get("DomainName")) not in buckets:
                problems.append(f"{logical}: origin {origin.get('Id')} is not the widget bucket")
        behaviour = config.get("DefaultCacheBehavior", {})
        if behaviour.get("ViewerProtocolPolicy") not in ("redirect-to-https", "https-only"):
            problems.append(f"{logical}: viewers may use plain HTTP")
        if behaviour.get("Compress") is not True:
            problems.append(f"{logical}: responses are not compressed")
        policies = resources(t, "AWS::CloudFront::ResponseHeadersPolicy")
        policy = policies.get(ref_name(behaviour.get("ResponseHeadersPolicyId")))
        if policy is None:
            problems.append(f"{logical}: no response headers policy of this template")
            continue
        headers = policy["Properties"]["ResponseHeadersPolicyConfig"]
        security = headers.get("SecurityHeadersConfig", {})
        for needed in ("ContentTypeOptions", "StrictTransportSecurity", "ContentSecurityPolicy", "ReferrerPolicy"):
            if needed not in security:
                problems.append(f"{logical}: the response headers lack {needed}")
        custom = {h["Header"].lower(): h["Value"] for h in headers.get("CustomHeadersConfig", {}).get("Items", [])}
        if custom.get("cross-origin-resource-policy") != "cross-origin":
            problems.append(f"{logical}: other origins cannot embed the widget (Cross-Origin-Resource-Policy)")
        if not headers.get("CorsConfig"):
            problems.append(f"{logical}: no CORS for the widget's files")
    for pol in resources(t, "AWS::S3::BucketPolicy").values():
        if ref_name(pol["Properties"].get("Bucket")) not in buckets:
            continue
        for statement in pol["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Effect") != "Allow":
                continue
            principal = statement.get("Principal", {})
            source = statement.get("Condition", {}).get("StringEquals", {}).get("AWS:SourceArn")
            if principal != {"Service": "cloudfront.amazonaws.com"} or not source or statement.get("Action") != "s3:GetObject":
                problems.append("widget bucket: only the distribution may read it (s3:GetObject by CloudFront with its SourceArn)")


def s3_grants(t, function):
    """(action, resource) of every s3 permission a serverless function's policies give."""
    grants = []
    for policy in function.get("Properties", {}).get("Policies", []):
        doc = None
        if ref_name(policy) in t.get("Resources", {}):
            doc = t["Resources"][ref_name(policy)].get("Properties", {}).get("PolicyDocument", {})
        elif isinstance(policy, dict) and "Statement" in policy:
            doc = policy
        for statement in (doc or {}).get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            res = statement.get("Resource", [])
            res = res if isinstance(res, list) else [res]
            for action in actions:
                if action.lower().startswith("s3:") or action == "*":
                    for r in res:
                        text = r.get("Fn::Sub", "") if isinstance(r, dict) else str(r)
                        grants.append((action, text))
    return grants


def check_bucket_access(t, problems):
    functions = {
        fn.get("Metadata", {}).get("BuildProperties", {}).get("Binary"): fn
        for fn in resources(t, "AWS::Serverless::Function").values()
    }
    signer = functions.get("upload-url")
    if signer is None:
        problems.append("no upload-url function")
    else:
        grants = s3_grants(t, signer)
        if ("s3:PutObject", "${UploadsBucket.Arn}/uploads/*") not in grants:
            problems.append("upload-url: its presigned URLs need s3:PutObject on uploads/*")
        for action, resource in grants:
            if action != "s3:PutObject" or not resource.endswith("/uploads/*"):
                problems.append(f"upload-url: may only put under uploads/, but has {action} on {resource}")
    status = functions.get("upload-status")
    if status is not None:
        grants = s3_grants(t, status)
        if not any(action == "s3:ListBucket" for action, _ in grants):
            problems.append(
                "upload-status: without s3:ListBucket, HeadObject on an original not yet arrived is a 403, "
                "not a 404 (the status endpoint would answer 503 while an upload awaits its bytes)"
            )
    ticket = functions.get("ticket")
    if ticket is not None:
        for action, resource in s3_grants(t, ticket):
            if action == "s3:GetObject" and "/uploads/" in resource:
                problems.append("ticket: may presign originals (s3:GetObject on uploads/*): only the worker's copies")
        if ("s3:GetObject", "${UploadsBucket.Arn}/sanitized/*") not in s3_grants(t, ticket):
            problems.append("ticket: its image links need s3:GetObject on sanitized/* and thumbnails/*")
    worker = functions.get("image-worker")
    if worker is not None and ("s3:DeleteObject", "${UploadsBucket.Arn}/uploads/*") not in s3_grants(t, worker):
        problems.append("image-worker: cannot delete the originals it processed or refused (s3:DeleteObject on uploads/*)")
    for logical, bucket in resources(t, "AWS::S3::Bucket").items():
        if logical != uploads_bucket(t):
            continue
        rules = bucket.get("Properties", {}).get("CorsConfiguration", {}).get("CorsRules", [])
        if not rules:
            problems.append(f"{logical}: no CORS rule for the widget's direct uploads")
        for rule in rules:
            if rule.get("AllowedMethods") != ["PUT"]:
                problems.append(f"{logical}: CORS must allow PUT only, not {rule.get('AllowedMethods')}")
            origins = rule.get("AllowedOrigins")
            if not (isinstance(origins, dict) and "AllowedOrigins" in json.dumps(origins)):
                problems.append(f"{logical}: CORS origins must come from the AllowedOrigins parameter")
            if "*" in rule.get("AllowedHeaders", []):
                problems.append(f"{logical}: CORS must name the signed headers, not '*'")
            # The browser sends every header the presigned PUT signed (S3Signer::sign).
            for signed in ("content-type", "if-none-match", "x-amz-server-side-encryption"):
                if signed not in rule.get("AllowedHeaders", []):
                    problems.append(f"{logical}: CORS does not allow the signed header {signed}")
