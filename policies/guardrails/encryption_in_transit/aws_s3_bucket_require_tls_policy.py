"""aws-s3-bucket-require-tls-policy: every bucket's policy denies requests without TLS (stack policy)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from .._base import Config, Pending, Spec, StackReport, stack_policy
from .._props import as_list, as_mapping, get, is_list, is_mapping
from .._stack import BUCKET_TYPES, bucket_targets, of_types

POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"

SPEC = Spec(
    name="aws-s3-bucket-require-tls-policy",
    area="encryption_in_transit",
    description="Every S3 bucket has a bucket policy that denies any request made without TLS (aws:SecureTransport).",
    severity=Severity.HIGH,
    remediation=(
        "Attach an aws.s3.BucketPolicy with a statement {Effect: Deny, Principal: '*', Action: 's3:*', "
        "Resource: [bucket ARN, bucket ARN/*], Condition: {Bool: {'aws:SecureTransport': 'false'}}}."
    ),
    hipaa=("164.312(e)(1)",),
    nist=("SC-8", "SC-8(1)"),
    resource_types=(*BUCKET_TYPES, POLICY_TYPE),
    needs_computed_values=True,
    computed_values_note=(
        "The policy document usually embeds the bucket ARN, so it is unknown until the bucket exists; "
        "buckets without any policy are still decided at preview."
    ),
)


def _document(value: Any) -> Mapping[str, Any]:
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return as_mapping(value)


def _statements(document: Mapping[str, Any]) -> list[Any]:
    statements = get(document, "Statement")
    return as_list(statements) if is_list(statements) else [statements] if is_mapping(statements) else []


def _denies_insecure_transport(value: Any) -> bool:
    for statement in _statements(_document(value)):
        if get(statement, "Effect") != "Deny":
            continue
        condition = as_mapping(get(statement, "Condition"))
        secure = get(condition, "Bool", "aws:SecureTransport")
        if str(secure).lower() == "false" or (is_list(secure) and "false" in [str(v).lower() for v in secure]):
            return True
    return False


def _check(args: StackValidationArgs, report: StackReport, _config: Config) -> None:
    buckets = of_types(args.resources, BUCKET_TYPES)
    covered: dict[str, bool] = {}
    unjoined = False
    pending = Pending()
    for resource in of_types(args.resources, (POLICY_TYPE,)):
        try:
            targets: list[PolicyResource] = bucket_targets(resource, "bucket", buckets)
        except UnknownValueError as exc:
            pending.record(exc)
            unjoined = True
            continue
        try:
            denies = _denies_insecure_transport(get(resource.props, "policy"))
        except UnknownValueError as exc:
            pending.record(exc)  # a policy document built from ARNs: decided at `pulumi up`
            for bucket in targets:
                covered.setdefault(bucket.urn, True)
            continue
        for bucket in targets:
            covered[bucket.urn] = covered.get(bucket.urn, False) or denies
    for bucket in buckets:
        with pending.check():
            verdict = covered.get(bucket.urn)
            if verdict is None:
                # The deprecated inline policy: unknown at preview leaves the bucket undecided.
                inline = get(bucket.props, "policy")
                if inline is not None and _denies_insecure_transport(inline):
                    continue
                if not unjoined:
                    report(f"bucket '{bucket.name}' has no bucket policy denying non-TLS requests.", bucket.urn)
            elif verdict is False:
                report(
                    f"bucket '{bucket.name}': its bucket policy has no Deny statement on aws:SecureTransport = false.",
                    bucket.urn,
                )
    pending.finish()


POLICY = stack_policy(SPEC, _check)
