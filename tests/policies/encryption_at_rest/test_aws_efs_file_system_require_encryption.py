"""aws-efs-file-system-require-encryption."""

from __future__ import annotations

from guardrails.encryption_at_rest.aws_efs_file_system_require_encryption import POLICY

from tests.policies.harness import UNKNOWN, analyze

TYPE = "aws:efs/fileSystem:FileSystem"


def test_encrypted_file_system_passes() -> None:
    assert analyze(POLICY, TYPE, {"encrypted": True, "kmsKeyId": UNKNOWN}).passed


def test_unencrypted_file_system_violates() -> None:
    assert analyze(POLICY, TYPE, {"encrypted": False}).has("is not encrypted")


def test_missing_properties_violate_without_crashing() -> None:
    assert analyze(POLICY, TYPE, {}).has("is not encrypted")


def test_cmk_requirement_is_configurable() -> None:
    assert analyze(POLICY, TYPE, {"encrypted": True}).has("has no kmsKeyId")
    assert analyze(POLICY, TYPE, {"encrypted": True}, config={"requireCustomerManagedKey": False}).passed
