"""The template as data: loading it, finding its resources, and reading what they say
(Globals merged into functions, references, IAM statements)."""

import os

from cfnlint.decode import decode

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEMPLATE = os.path.join(REPO, "infra", "template.yaml")


def load(path=TEMPLATE):
    template, matches = decode(path)
    if matches:
        raise SystemExit("cannot parse %s: %s" % (path, matches))
    return template


def resources(template, kind):
    return {k: v for k, v in template.get("Resources", {}).items() if v.get("Type") == kind}


def effective(template, function):
    """A serverless function's properties with the Globals merged in (maps merge, lists append)."""
    merged = dict(template.get("Globals", {}).get("Function", {}))
    for key, value in function.get("Properties", {}).items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict):
            combined = dict(base)
            for k, v in value.items():
                if isinstance(combined.get(k), list) and isinstance(v, list):
                    combined[k] = combined[k] + v
                elif isinstance(combined.get(k), dict) and isinstance(v, dict):
                    combined[k] = {**combined[k], **v}
                else:
                    combined[k] = v
            merged[key] = combined
        else:
            merged[key] = value
    return merged


def ref_name(value):
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            return att[0] if isinstance(att, list) else att.split(".")[0]
    return None


def statements(t):
    """(where, statement) of every IAM statement in the template."""
    for logical, res in t.get("Resources", {}).items():
        props = res.get("Properties", {})
        kind = res.get("Type")
        docs = []
        if kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            docs.append(props.get("PolicyDocument", {}))
        if kind == "AWS::IAM::Role":
            docs.extend(p.get("PolicyDocument", {}) for p in props.get("Policies", []))
        if kind == "AWS::Serverless::Function":
            docs.extend(p for p in props.get("Policies", []) if isinstance(p, dict) and "Statement" in p)
        for doc in docs:
            for s in doc.get("Statement", []):
                yield logical, s


def dead_letter_queues(t):
    """Queues that hold what failed for good: SQS redrive targets, functions' on-failure
    destinations and EventBridge targets' dead-letter queues."""
    found = set()
    for q in resources(t, "AWS::SQS::Queue").values():
        redrive = q.get("Properties", {}).get("RedrivePolicy")
        if redrive:
            found.add(ref_name(redrive.get("deadLetterTargetArn")))
    for fn in resources(t, "AWS::Serverless::Function").values():
        for event in fn.get("Properties", {}).get("Events", {}).values():
            destination = event.get("Properties", {}).get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            if destination:
                found.add(ref_name(destination))
    for rule in resources(t, "AWS::Events::Rule").values():
        for target in rule.get("Properties", {}).get("Targets", []):
            arn = target.get("DeadLetterConfig", {}).get("Arn")
            if arn:
                found.add(ref_name(arn))
    return found
