"""Audit archive: log groups -> Firehose (KMS) -> an Object Lock bucket with every S3 guard on."""

from __future__ import annotations

import json

import pulumi
import pytest
from component_harness import TAGS, plan_block

from components.audit_archive import AuditArchive, AuditArchiveArgs, AuditLogSource, audit_bucket_name
from preflight.engine import PlanResult, RecordedResource

BUCKET = "aws:s3/bucket:Bucket"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
KEY = "aws:kms/key:Key"
STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SOURCES = [
    AuditLogSource("eks-control-plane", "/aws/eks/prod/cluster"),
    AuditLogSource("vpc-flow-logs", "/vpc/flow-logs"),
]


def _args(**overrides: object) -> AuditArchiveArgs:
    settings: dict = {
        "region": "us-east-1",
        "sources": SOURCES,
        "retention_days": 2192,
        "tags": TAGS,
        "bucket_name": "prod-audit-111122223333",
    }
    settings.update(overrides)
    return AuditArchiveArgs(**settings)


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return plan_block(lambda: AuditArchive("audit", _args()))


@pytest.fixture(scope="module")
def unprotected() -> PlanResult:
    return plan_block(lambda: AuditArchive("audit", _args(protect=False, lock_mode="GOVERNANCE", retention_days=90)))


def _named(plan: PlanResult, token: str, suffix: str) -> RecordedResource:
    (found,) = [res for res in plan.by_type(token) if res.name.endswith(suffix)]
    return found


def test_bucket_is_created_with_object_lock(plan: PlanResult) -> None:
    bucket = plan.one(BUCKET).inputs
    assert bucket["objectLockEnabled"] is True
    assert bucket["forceDestroy"] is False
    assert bucket["bucket"] == "prod-audit-111122223333"


def test_default_retention_is_compliance_mode_for_the_configured_days(plan: PlanResult) -> None:
    lock = plan.one(LOCK).inputs
    assert lock["objectLockEnabled"] == "Enabled"
    assert lock["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 2192}


def test_governance_mode_and_days_follow_the_args(unprotected: PlanResult) -> None:
    assert unprotected.one(LOCK).inputs["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 90}


def test_bucket_is_versioned(plan: PlanResult) -> None:
    versioning = plan.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}


def test_objects_are_encrypted_with_the_archive_key(plan: PlanResult) -> None:
    (rule,) = plan.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs[
        "rules"
    ]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    key = plan.one(KEY)
    assert key.urn in plan.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).property_dependencies.get("rules", [])


def test_public_access_is_blocked(plan: PlanResult) -> None:
    block = plan.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert [block[flag] for flag in flags] == [True] * 4


def test_bucket_policy_is_known_at_preview_and_denies_plain_http(plan: PlanResult) -> None:
    policy = json.loads(plan.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == ["arn:aws:s3:::prod-audit-111122223333", "arn:aws:s3:::prod-audit-111122223333/*"]


def test_objects_expire_only_after_their_lock(plan: PlanResult) -> None:
    (rule,) = plan.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rule["expiration"]["days"] == 2193
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 1


def test_key_rotates(plan: PlanResult) -> None:
    key = plan.one(KEY).inputs
    assert key["enableKeyRotation"] is True
    assert key["rotationPeriodInDays"] == 365


@pytest.mark.parametrize(("token", "suffix"), [(KEY, "-key"), (BUCKET, "-bucket"), (LOCK, "-object-lock")])
def test_key_bucket_and_lock_are_protected_and_retained(plan: PlanResult, token: str, suffix: str) -> None:
    resource = _named(plan, token, suffix)
    assert (resource.protect, resource.retain_on_delete) == (True, True)


def test_nothing_is_protected_outside_prod(unprotected: PlanResult) -> None:
    assert not any(res.protect or res.retain_on_delete for res in unprotected.resources)


@pytest.mark.parametrize("source", ["eks-control-plane", "vpc-flow-logs"])
def test_each_source_has_a_kms_encrypted_stream_into_its_own_prefix(plan: PlanResult, source: str) -> None:
    stream = _named(plan, STREAM, f"-{source}").inputs
    assert stream["destination"] == "extended_s3"
    assert stream["serverSideEncryption"]["enabled"] is True
    assert stream["serverSideEncryption"]["keyType"] == "CUSTOMER_MANAGED_CMK"
    s3 = stream["extendedS3Configuration"]
    assert s3["prefix"] == f"{source}/!{{timestamp:yyyy/MM/dd}}/"
    assert s3["errorOutputPrefix"].startswith(f"errors/{source}/")
    assert s3["compressionFormat"] == "UNCOMPRESSED"


@pytest.mark.parametrize(("source", "group"), [(s.name, s.log_group_name) for s in SOURCES])
def test_each_log_group_is_subscribed_in_full(plan: PlanResult, source: str, group: str) -> None:
    subscription = _named(plan, FILTER, f"-{source}-subscription")
    assert subscription.inputs["logGroup"] == group
    assert subscription.inputs["filterPattern"] == ""
    stream = _named(plan, STREAM, f"-{source}")
    assert subscription.property_dependencies["destinationArn"] == [stream.urn]
    # CloudWatch Logs checks its permission when the filter is created.
    assert _named(plan, ROLE_POLICY, "-logs-policy").urn in subscription.dependencies


def test_subscriptions_wait_for_whatever_creates_the_log_groups() -> None:
    def program() -> None:
        cluster = pulumi.CustomResource("test:index:Cluster", "cluster", {})
        AuditArchive("audit", _args(log_groups_created_by=[cluster]))

    plan = plan_block(program)
    cluster = plan.one("test:index:Cluster")
    subscriptions = plan.by_type(FILTER)
    assert subscriptions, "no subscription filter in the plan"
    for subscription in subscriptions:
        assert cluster.urn in subscription.dependencies


def test_firehose_role_is_assumable_by_firehose_for_this_account_only(plan: PlanResult) -> None:
    trust = json.loads(_named(plan, ROLE, "-firehose-role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "111122223333"}}


def test_logs_role_is_assumable_by_this_accounts_log_groups_only(plan: PlanResult) -> None:
    trust = json.loads(_named(plan, ROLE, "-logs-role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "logs.amazonaws.com"}
    assert statement["Condition"] == {"ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:111122223333:*"}}


def test_streams_wait_for_their_writer_policy(plan: PlanResult) -> None:
    writer = _named(plan, ROLE_POLICY, "-firehose-policy")
    streams = plan.by_type(STREAM)
    assert streams, "no delivery stream in the plan"
    for stream in streams:
        assert writer.urn in stream.dependencies


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sources": []}, "at least one"),
        ({"sources": [SOURCES[0], SOURCES[0]]}, "unique"),
        ({"retention_days": 0}, "retention_days"),
        ({"retention_days": 36501}, "retention_days"),
        ({"lock_mode": "LEGAL_HOLD"}, "lock_mode"),
        ({"buffer_seconds": 30}, "buffer_seconds"),
    ],
)
def test_bad_args_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _args(**overrides)


def test_a_source_name_must_be_a_prefix_slug() -> None:
    with pytest.raises(ValueError, match="slug"):
        AuditLogSource("EKS Audit", "/aws/eks/x/cluster")


def test_bucket_name_is_the_stack_and_the_account() -> None:
    plan = plan_block(lambda: pulumi.export("name", audit_bucket_name("Inference-Platform_Prod", "111122223333")))
    assert plan.outputs["name"] == "inference-platform-prod-audit-111122223333"
