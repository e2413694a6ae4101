"""aws-cloudwatch-log-group-require-kms-encryption."""

from __future__ import annotations

from guardrails.encryption_at_rest.aws_cloudwatch_log_group_require_kms_encryption import POLICY

from tests.policies.harness import UNKNOWN, analyze

TYPE = "aws:cloudwatch/logGroup:LogGroup"


def test_log_group_with_computed_key_passes_at_preview() -> None:
    assert analyze(POLICY, TYPE, {"name": "/aws/eks/c/cluster", "kmsKeyId": UNKNOWN, "retentionInDays": 365}).passed


def test_log_group_without_key_violates() -> None:
    result = analyze(POLICY, TYPE, {"name": "/aws/eks/c/cluster", "retentionInDays": 365})
    assert result.has("log group 'res' has no kmsKeyId")
    assert result.violations[0].level == "mandatory"


def test_empty_key_violates() -> None:
    assert analyze(POLICY, TYPE, {"kmsKeyId": ""}).has("has no kmsKeyId")
