#!/usr/bin/env python3
"""The items of a DynamoDB table by kind, with their sizes as DynamoDB bills them (the
lengths of attribute names and values), for docs/cost.md.

    .venv/bin/python scripts/dynamo-item-sizes.py ENDPOINT TABLE

A kind is the item's key shape: the partition key up to its first '#' and the sort key up
to its first '#' (META, M#… transcript lines, R#… stored replies, U#… uploads, …). Needs
boto3 (installed with moto into .venv by ./scripts/test).
"""

import math
import statistics
import sys
from decimal import Decimal

import boto3


def number_size(value):
    """DynamoDB: about one byte per two significant digits, plus one."""
    digits = str(Decimal(value).normalize()).lstrip("-").replace(".", "").lstrip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def value_size(value):
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return number_size(v)
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "BS"):
        return sum(len(x.encode() if isinstance(x, str) else x) for x in v)
    if kind == "NS":
        return sum(number_size(x) for x in v)
    if kind == "L":
        return 3 + sum(1 + value_size(x) for x in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(x) for k, x in v.items())
    raise ValueError(kind)


def item_size(item):
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def kind_of(item):
    def shape(key):
        head = key.split("#")[0]
        return "<number>" if head.isdigit() else head + ("#…" if "#" in key else "")
    return f"{shape(item['pk']['S'])} / {shape(item['sk']['S']) if 'sk' in item else ''}"


def main():
    endpoint, table = sys.argv[1], sys.argv[2]
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    sizes = {}
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            sizes.setdefault(kind_of(item), []).append(item_size(item))
    print(f"| item kind (pk / sk) | items | median size (B) | max size (B) | 1 KB write units each |")
    print("|---|---:|---:|---:|---:|")
    for kind, values in sorted(sizes.items(), key=lambda kv: -len(kv[1])):
        median = statistics.median(values)
        print(f"| {kind} | {len(values)} | {median:,.0f} | {max(values):,} | {math.ceil(median / 1024)} |")


if __name__ == "__main__":
    main()
