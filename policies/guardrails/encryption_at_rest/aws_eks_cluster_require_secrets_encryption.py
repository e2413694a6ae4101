"""aws-eks-cluster-require-secrets-encryption: Kubernetes secrets are envelope-encrypted with a KMS key."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import get, present, str_list

SPEC = Spec(
    name="aws-eks-cluster-require-secrets-encryption",
    area="encryption_at_rest",
    description="EKS clusters encrypt Kubernetes secrets with a customer-managed KMS key.",
    severity=Severity.HIGH,
    remediation=(
        "Set encryption_config={'resources': ['secrets'], 'provider': {'key_arn': <KMS key ARN>}} on the "
        "aws.eks.Cluster (components/eks_cluster.py does this by default)."
    ),
    hipaa=("164.312(a)(2)(iv)",),
    nist=("SC-28", "SC-28(1)", "SC-12"),
    resource_types=("aws:eks/cluster:Cluster",),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    encryption = get(args.props, "encryptionConfig")
    if encryption is None:
        report(f"EKS cluster '{args.name}' has no encryptionConfig: secrets are stored unencrypted by a CMK.")
        return
    if "secrets" not in str_list(get(encryption, "resources")):
        report(f"EKS cluster '{args.name}' encryptionConfig.resources does not include 'secrets'.")
    # The key ARN is normally an output of a key created in the same update: its presence is enough.
    if not present(get(encryption, "provider"), "keyArn"):
        report(f"EKS cluster '{args.name}' encryptionConfig.provider.keyArn is not set.")


POLICY = resource_policy(SPEC, _check)
