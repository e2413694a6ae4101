"""aws-s3-bucket-require-tls-policy (stack policy; the policy document is often computed)."""

from __future__ import annotations

import json

from guardrails.encryption_in_transit.aws_s3_bucket_require_tls_policy import POLICY

from tests.policies.harness import UNKNOWN, Res, analyze_stack

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
DENY_INSECURE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def _stack(document: object) -> list[Res]:
    return [
        Res(BUCKET, "artifacts", {"bucket": "artifacts"}),
        Res(BUCKET_POLICY, "artifacts-policy", {"bucket": UNKNOWN, "policy": document}, {"bucket": ["artifacts"]}),
    ]


def test_known_deny_insecure_policy_passes() -> None:
    assert analyze_stack(POLICY, _stack(json.dumps(DENY_INSECURE))).passed


def test_policy_as_object_passes() -> None:
    assert analyze_stack(POLICY, _stack(DENY_INSECURE)).passed


def test_bucket_without_policy_violates_at_preview() -> None:
    result = analyze_stack(POLICY, [Res(BUCKET, "logs", {"bucket": "logs"})])
    assert result.has("bucket 'logs' has no bucket policy denying non-TLS requests")
    assert result.violations[0].level == "mandatory"


def test_policy_without_secure_transport_deny_violates() -> None:
    allow_only = {
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/r"}, "Action": "s3:GetObject"}]
    }
    assert analyze_stack(POLICY, _stack(json.dumps(allow_only))).has("has no Deny statement on aws:SecureTransport")


def test_computed_policy_is_undecided_at_preview_and_decided_when_known() -> None:
    preview = analyze_stack(POLICY, _stack(UNKNOWN))
    assert not preview.violations
    assert [d.level for d in preview.undecided] == ["advisory"]
    update = analyze_stack(POLICY, _stack(json.dumps({"Statement": []})))
    assert [d.level for d in update.violations] == ["mandatory"]


def test_undecided_policy_does_not_hide_a_bucket_without_policy() -> None:
    resources = [*_stack(UNKNOWN), Res(BUCKET, "logs", {"bucket": "logs"})]
    result = analyze_stack(POLICY, resources)
    assert result.has("bucket 'logs' has no bucket policy")
    assert len(result.undecided) == 1


def test_malformed_policy_text_violates_without_crashing() -> None:
    assert analyze_stack(POLICY, _stack("{not json")).has("has no Deny statement")
