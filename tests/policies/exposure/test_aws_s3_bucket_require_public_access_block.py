"""aws-s3-bucket-require-public-access-block (stack policy)."""

from __future__ import annotations

from guardrails.exposure.aws_s3_bucket_require_public_access_block import POLICY

from tests.policies.harness import UNKNOWN, Res, analyze_stack

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
ALL_TRUE = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True}


def _stack(settings: dict) -> list[Res]:
    return [
        Res(BUCKET, "artifacts", {"bucket": UNKNOWN}),
        Res(PAB, "artifacts-pab", {"bucket": UNKNOWN, **settings}, {"bucket": ["artifacts"]}),
    ]


def test_bucket_with_full_block_passes_at_preview() -> None:
    assert analyze_stack(POLICY, _stack(ALL_TRUE)).passed


def test_bucket_without_block_violates() -> None:
    result = analyze_stack(POLICY, [Res(BUCKET, "logs", {"bucket": "logs"})])
    assert result.has("bucket 'logs' has no public access block")
    assert result.violations[0].urn.endswith("::logs")


def test_partial_block_violates() -> None:
    result = analyze_stack(POLICY, _stack({**ALL_TRUE, "restrictPublicBuckets": False}))
    assert result.has("does not set ['restrictPublicBuckets'] to true")


def test_account_wide_block_covers_every_bucket() -> None:
    resources = [Res(BUCKET, "logs", {"bucket": "logs"}), Res(ACCOUNT, "account", dict(ALL_TRUE))]
    assert analyze_stack(POLICY, resources).passed


def test_unknown_setting_is_undecided_not_reported_as_missing() -> None:
    result = analyze_stack(POLICY, _stack({**ALL_TRUE, "blockPublicAcls": UNKNOWN}))
    assert not result.violations
    assert len(result.undecided) == 1
