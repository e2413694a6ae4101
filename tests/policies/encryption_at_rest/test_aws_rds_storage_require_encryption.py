"""aws-rds-storage-require-encryption."""

from __future__ import annotations

import pytest
from guardrails.encryption_at_rest.aws_rds_storage_require_encryption import POLICY

from tests.policies.harness import UNKNOWN, analyze

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"


@pytest.mark.parametrize("type_", [INSTANCE, CLUSTER])
def test_encrypted_storage_passes(type_: str) -> None:
    assert analyze(POLICY, type_, {"storageEncrypted": True, "kmsKeyId": UNKNOWN}).passed


@pytest.mark.parametrize(("type_", "kind"), [(INSTANCE, "RDS instance"), (CLUSTER, "RDS cluster")])
def test_unencrypted_storage_violates(type_: str, kind: str) -> None:
    assert analyze(POLICY, type_, {"storageEncrypted": False}).has(f"{kind} 'res' does not set storageEncrypted")


def test_cmk_requirement_is_configurable() -> None:
    assert analyze(POLICY, INSTANCE, {"storageEncrypted": True}).has("has no kmsKeyId")
    assert analyze(POLICY, INSTANCE, {"storageEncrypted": True}, config={"requireCustomerManagedKey": False}).passed
