"""Artifact bucket: SSE-KMS with a bucket key, versioning, no public access, TLS only, one reader."""

from __future__ import annotations

import json

import pytest
from component_harness import KEY_ARN, TAGS, plan_block

from components.artifact_bucket import ArtifactBucket, ArtifactBucketArgs
from preflight.engine import PlanResult, is_unknown

READER = "arn:aws:iam::111122223333:role/inference-reader"


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    def build() -> None:
        ArtifactBucket(
            "models",
            ArtifactBucketArgs(
                kms_key_arn=KEY_ARN,
                tags=TAGS,
                bucket_name="demo-models-111122223333",
                reader_role_arns=[READER],
                reader_role_names=["inference-reader"],
            ),  # protect left at its default
        )
        ArtifactBucket("scratch", ArtifactBucketArgs(kms_key_arn=KEY_ARN, tags=TAGS, protect=False))

    return plan_block(build)


def _one(plan: PlanResult, token: str, component: str = "models") -> dict:
    return next(res for res in plan.by_type(token) if res.name.startswith(f"{component}-")).inputs


def _policy(plan: PlanResult) -> dict[str, dict]:
    document = json.loads(_one(plan, "aws:s3/bucketPolicy:BucketPolicy")["policy"])
    return {statement["Sid"]: statement for statement in document["Statement"]}


def test_default_encryption_is_sse_kms_with_bucket_key(plan: PlanResult) -> None:
    rule = _one(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[
        "rules"
    ][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}
    assert rule["bucketKeyEnabled"] is True


def test_versioning_is_enabled(plan: PlanResult) -> None:
    assert _one(plan, "aws:s3/bucketVersioning:BucketVersioning")["versioningConfiguration"] == {"status": "Enabled"}


def test_all_four_public_access_blocks_are_on(plan: PlanResult) -> None:
    block = _one(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for setting in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block[setting] is True, setting


def test_policy_denies_requests_without_tls(plan: PlanResult) -> None:
    deny = _policy(plan)["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == ["arn:aws:s3:::demo-models-111122223333", "arn:aws:s3:::demo-models-111122223333/*"]


def test_only_the_reader_role_is_granted_read(plan: PlanResult) -> None:
    allow = _policy(plan)["AllowModelReaders"]
    assert allow["Principal"] == {"AWS": [READER]}
    assert sorted(allow["Action"]) == ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]
    assert set(_policy(plan)) == {"DenyInsecureTransport", "AllowModelReaders"}


def test_reader_role_may_decrypt_only_through_s3(plan: PlanResult) -> None:
    policy = _one(plan, "aws:iam/rolePolicy:RolePolicy")
    assert policy["role"] == "inference-reader"
    kms = json.loads(policy["policy"])["Statement"][1]
    assert kms["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert kms["Condition"] == {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}


def test_acls_are_disabled(plan: PlanResult) -> None:
    ownership = _one(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_bucket_is_protected_and_retained_unless_opted_out(plan: PlanResult) -> None:
    flags = {res.name: (res.protect, res.retain_on_delete) for res in plan.by_type("aws:s3/bucket:Bucket")}
    assert flags == {"models-bucket": (True, True), "scratch-bucket": (False, False)}


def test_auto_named_bucket_policy_is_unknown_until_the_bucket_exists(plan: PlanResult) -> None:
    assert is_unknown(_one(plan, "aws:s3/bucketPolicy:BucketPolicy", "scratch")["policy"])
