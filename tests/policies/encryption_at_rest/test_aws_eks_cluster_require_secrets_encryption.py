"""aws-eks-cluster-require-secrets-encryption."""

from __future__ import annotations

import pytest
from guardrails.encryption_at_rest.aws_eks_cluster_require_secrets_encryption import POLICY

from tests.policies.harness import DELETE, UNKNOWN, analyze, patched

TYPE = "aws:eks/cluster:Cluster"
# At preview the key ARN is an output of the KMS key created in the same update.
COMPLIANT = {
    "roleArn": UNKNOWN,
    "vpcConfig": {"subnetIds": [UNKNOWN], "endpointPrivateAccess": True, "endpointPublicAccess": False},
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": UNKNOWN}},
}


def test_compliant_cluster_passes_at_preview() -> None:
    assert analyze(POLICY, TYPE, COMPLIANT).passed


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("encryptionConfig", DELETE, "has no encryptionConfig"),
        ("encryptionConfig.resources", [], "does not include 'secrets'"),
        ("encryptionConfig.provider.keyArn", DELETE, "keyArn is not set"),
        ("encryptionConfig.provider.keyArn", "", "keyArn is not set"),
    ],
)
def test_each_gap_violates(path: str, value: object, fragment: str) -> None:
    result = analyze(POLICY, TYPE, patched(COMPLIANT, path, value))
    assert result.has(fragment), result.messages
    assert all(d.level == "mandatory" for d in result.violations)


def test_wrong_shaped_encryption_config_does_not_crash() -> None:
    assert analyze(POLICY, TYPE, patched(COMPLIANT, "encryptionConfig", "secrets")).has("does not include 'secrets'")


def test_known_key_arn_passes() -> None:
    props = patched(COMPLIANT, "encryptionConfig.provider.keyArn", "arn:aws:kms:us-east-2:111122223333:key/abc")
    assert analyze(POLICY, TYPE, props).passed
