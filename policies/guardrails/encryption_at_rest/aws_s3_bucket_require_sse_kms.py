"""aws-s3-bucket-require-sse-kms: every bucket has default SSE-KMS encryption (stack policy joining buckets)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from .. import _params
from .._aws import lacks_customer_managed_key
from .._base import Config, Pending, Spec, StackReport, stack_policy
from .._props import as_list, declared, get, is_list
from .._stack import BUCKET_TYPES, join_buckets

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
        if lacks_customer_managed_key(config, default, "kmsMasterKeyId"):
            return "no kmsMasterKeyId (customer-managed key)"
    return None


def _inline_rules(bucket: PolicyResource) -> list[Any] | None:
    """Rules of the deprecated inline serverSideEncryptionConfiguration, or ``None`` if not declared."""
    rule = get(declared(bucket.props, "serverSideEncryptionConfiguration"), "rule")
    if rule is None:
        return None
    return as_list(rule) if is_list(rule) else [rule]


def _check(args: StackValidationArgs, report: StackReport, config: Config) -> None:
    pending = Pending()
    join = join_buckets(
        args.resources, SSE_TYPES, lambda sse: _rule_problem(as_list(get(sse.props, "rules")), config), pending
    )
    for bucket, found in join.decided():
        name = f"bucket '{bucket.name}'"
        if found:
            for problem in found:
                if problem:
                    report(f"{name}: its encryption configuration has {problem}.", bucket.urn)
            continue
        with pending.check():
            rules = _inline_rules(bucket)
            if rules is None:
                # An encryption configuration whose bucket is unknown may belong to this one.
                if not join.unjoined:
                    report(f"{name} has no server-side encryption configuration (SSE-KMS).", bucket.urn)
                continue
            problem = _rule_problem(rules, config)
            if problem:
                report(f"{name}: its inline serverSideEncryptionConfiguration has {problem}.", bucket.urn)
    pending.finish()


POLICY = stack_policy(SPEC, _check)
