"""aws-s3-bucket-require-sse-kms: every bucket has default SSE-KMS encryption (stack policy joining buckets)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from .. import _params
from .._base import Config, Pending, Spec, StackReport, stack_policy
from .._props import as_list, declared, get, is_list, present
from .._stack import BUCKET_TYPES, bucket_targets, of_types

SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")

SPEC = Spec(
    name="aws-s3-bucket-require-sse-kms",
    area="encryption_at_rest",
    description="Every S3 bucket has default server-side encryption with KMS (SSE-KMS), with a CMK where required.",
    severity=Severity.HIGH,
    remediation=(
        "Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with "
        "apply_server_side_encryption_by_default={'sse_algorithm': 'aws:kms', 'kms_master_key_id': <KMS key ARN>}."
    ),
    hipaa=("164.312(a)(2)(iv)",),
    nist=("SC-28", "SC-28(1)", "SC-12", "SC-13"),
    config={"requireCustomerManagedKey": _params.REQUIRE_CMK},
    resource_types=(*BUCKET_TYPES, *SSE_TYPES),
)


def _rule_problem(rules: list[Any], config: Config) -> str | None:
    """Why a list of SSE rules is not SSE-KMS, or ``None``."""
    if not rules:
        return "no default encryption rule"
    for rule in rules:
        default = get(rule, "applyServerSideEncryptionByDefault")
        algorithm = get(default, "sseAlgorithm")
        if algorithm not in KMS_ALGORITHMS:
            return f"sseAlgorithm is {algorithm!r}, not one of {list(KMS_ALGORITHMS)}"
        if config["requireCustomerManagedKey"] and not present(default, "kmsMasterKeyId"):
            return "no kmsMasterKeyId (customer-managed key)"
    return None


def _inline_rules(bucket: PolicyResource) -> list[Any] | None:
    """Rules of the deprecated inline serverSideEncryptionConfiguration, or ``None`` if not declared."""
    rule = get(declared(bucket.props, "serverSideEncryptionConfiguration"), "rule")
    if rule is None:
        return None
    return as_list(rule) if is_list(rule) else [rule]


def _check(args: StackValidationArgs, report: StackReport, config: Config) -> None:
    buckets = of_types(args.resources, BUCKET_TYPES)
    verdicts: dict[str, list[str | None]] = {bucket.urn: [] for bucket in buckets}
    undecided: set[str] = set()
    unjoined = False  # an encryption configuration whose bucket is unknown may belong to any bucket
    pending = Pending()
    for resource in of_types(args.resources, SSE_TYPES):
        try:
            targets = bucket_targets(resource, "bucket", buckets)
        except UnknownValueError as exc:
            pending.record(exc)
            unjoined = True
            continue
        try:
            problem = _rule_problem(as_list(get(resource.props, "rules")), config)
        except UnknownValueError as exc:
            pending.record(exc)
            undecided.update(bucket.urn for bucket in targets)
            continue
        for bucket in targets:
            verdicts[bucket.urn].append(problem)
    for bucket in buckets:
        name = f"bucket '{bucket.name}'"
        found = verdicts[bucket.urn]
        if bucket.urn in undecided:
            continue
        if found:
            for problem in found:
                if problem:
                    report(f"{name}: its encryption configuration has {problem}.", bucket.urn)
            continue
        with pending.check():
            rules = _inline_rules(bucket)
            if rules is None:
                if not unjoined:
                    report(f"{name} has no server-side encryption configuration (SSE-KMS).", bucket.urn)
                continue
            problem = _rule_problem(rules, config)
            if problem:
                report(f"{name}: its inline serverSideEncryptionConfiguration has {problem}.", bucket.urn)
    pending.finish()


POLICY = stack_policy(SPEC, _check)
