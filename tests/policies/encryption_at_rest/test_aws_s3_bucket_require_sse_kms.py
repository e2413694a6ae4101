"""aws-s3-bucket-require-sse-kms (stack policy joining buckets to their encryption configuration)."""

from __future__ import annotations

from guardrails.encryption_at_rest.aws_s3_bucket_require_sse_kms import POLICY

from tests.policies.harness import DELETE, UNKNOWN, Res, analyze_stack, patched

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
RULES = [
    {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN},
        "bucketKeyEnabled": True,
    }
]


def _stack(rules: list | None = None, *, linked: bool = True, sse_bucket: str = UNKNOWN) -> list[Res]:
    bucket = Res(BUCKET, "artifacts", {"bucket": UNKNOWN, "serverSideEncryptionConfiguration": UNKNOWN})
    sse = Res(
        SSE,
        "artifacts-sse",
        {"bucket": sse_bucket, "rules": RULES if rules is None else rules},
        property_deps={"bucket": ["artifacts"]} if linked else {},
    )
    return [bucket, sse]


def test_bucket_with_linked_sse_kms_passes_at_preview() -> None:
    assert analyze_stack(POLICY, _stack()).passed


def test_bucket_without_encryption_configuration_violates() -> None:
    result = analyze_stack(POLICY, [Res(BUCKET, "logs", {"bucket": "logs"})])
    assert result.has("bucket 'logs' has no server-side encryption configuration")
    assert result.violations[0].urn.endswith("::logs")
    assert result.violations[0].level == "mandatory"


def test_sse_s3_algorithm_violates() -> None:
    rules = [patched(RULES[0], "applyServerSideEncryptionByDefault.sseAlgorithm", "AES256")]
    assert analyze_stack(POLICY, _stack(rules)).has("sseAlgorithm is 'AES256'")


def test_missing_kms_key_violates_unless_profile_accepts_aws_managed_key() -> None:
    rules = [patched(RULES[0], "applyServerSideEncryptionByDefault.kmsMasterKeyId", DELETE)]
    assert analyze_stack(POLICY, _stack(rules)).has("no kmsMasterKeyId")
    assert analyze_stack(POLICY, _stack(rules), config={"requireCustomerManagedKey": False}).passed


def test_configuration_joined_by_literal_bucket_name() -> None:
    resources = _stack(linked=False, sse_bucket="named-bucket")
    resources[0].props = {"bucket": "named-bucket"}
    assert analyze_stack(POLICY, resources).passed


def test_unjoinable_configuration_leaves_the_check_undecided() -> None:
    result = analyze_stack(POLICY, _stack(linked=False))
    assert not result.violations
    assert len(result.undecided) == 1


def test_inline_configuration_is_accepted() -> None:
    inline = {
        "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:aws:kms:k"}}
    }
    resources = [Res(BUCKET, "legacy", {"bucket": "legacy", "serverSideEncryptionConfiguration": inline})]
    assert analyze_stack(POLICY, resources).passed


def test_empty_rules_violate_without_crashing() -> None:
    assert analyze_stack(POLICY, _stack([])).has("no default encryption rule")


def test_provider_computed_inline_block_counts_as_not_declared() -> None:
    # Planned outputs at preview: the bucket's optional inline block is one unknown when the program left it out.
    result = analyze_stack(
        POLICY, [Res(BUCKET, "logs", {"bucket": "logs", "serverSideEncryptionConfiguration": UNKNOWN})]
    )
    assert result.has("bucket 'logs' has no server-side encryption configuration")
    assert not result.undecided
