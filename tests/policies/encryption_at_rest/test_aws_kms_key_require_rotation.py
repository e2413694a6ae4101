"""aws-kms-key-require-rotation."""

from __future__ import annotations

from guardrails.encryption_at_rest.aws_kms_key_require_rotation import POLICY

from tests.policies.harness import analyze

TYPE = "aws:kms/key:Key"
COMPLIANT = {"description": "inference data", "enableKeyRotation": True, "deletionWindowInDays": 30}


def test_rotating_key_passes() -> None:
    assert analyze(POLICY, TYPE, COMPLIANT).passed


def test_rotation_off_violates() -> None:
    result = analyze(POLICY, TYPE, {**COMPLIANT, "enableKeyRotation": False})
    assert result.has("does not set enableKeyRotation: true")


def test_missing_rotation_setting_violates() -> None:
    assert analyze(POLICY, TYPE, {}).has("does not set enableKeyRotation: true")


def test_rotation_period_limit_is_configurable() -> None:
    props = {**COMPLIANT, "rotationPeriodInDays": 730}
    assert analyze(POLICY, TYPE, props).has("rotates every 730 days, more than maxRotationPeriodDays 365")
    assert analyze(POLICY, TYPE, props, config={"maxRotationPeriodDays": 730}).passed


def test_asymmetric_keys_are_not_applicable() -> None:
    result = analyze(POLICY, TYPE, {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"})
    assert not result.diagnostics
    assert result.not_applicable[0][0] == "aws-kms-key-require-rotation"
