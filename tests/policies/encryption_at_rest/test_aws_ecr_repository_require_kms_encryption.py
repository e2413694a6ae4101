"""aws-ecr-repository-require-kms-encryption."""

from __future__ import annotations

from guardrails.encryption_at_rest.aws_ecr_repository_require_kms_encryption import POLICY

from tests.policies.harness import UNKNOWN, analyze

TYPE = "aws:ecr/repository:Repository"
COMPLIANT = {
    "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": UNKNOWN}],
    "imageTagMutability": "IMMUTABLE",
}


def test_kms_repository_passes() -> None:
    assert analyze(POLICY, TYPE, COMPLIANT).passed


def test_aes256_violates() -> None:
    props = {"encryptionConfigurations": [{"encryptionType": "AES256"}]}
    assert analyze(POLICY, TYPE, props).has("uses encryptionType 'AES256', not KMS")


def test_missing_configuration_violates() -> None:
    assert analyze(POLICY, TYPE, {}).has("has no encryptionConfigurations")


def test_kms_without_key_depends_on_profile() -> None:
    props = {"encryptionConfigurations": [{"encryptionType": "KMS"}]}
    assert analyze(POLICY, TYPE, props).has("has no kmsKey")
    assert analyze(POLICY, TYPE, props, config={"requireCustomerManagedKey": False}).passed
