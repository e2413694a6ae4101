"""EKS control plane with secure defaults, its OIDC provider, a Kubernetes provider, and IRSA roles."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .common import AwsAccount, child_options, policy_json, retained

RESOURCE_TYPE = "inference:eks_cluster:EksCluster"
IRSA_RESOURCE_TYPE = "inference:eks_cluster:IrsaRole"

# Every control-plane log type: `audit` and `authenticator` are the audit trail.
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


def cluster_log_group_name(cluster_name: str) -> str:
    """The log group EKS writes control-plane logs to (created first so it is encrypted and retained)."""
    return f"/aws/eks/{cluster_name}/cluster"


def kubeconfig(cluster_name: str, endpoint: str, certificate_authority: str, region: str) -> str:
    """A kubeconfig (JSON) that authenticates with ``aws eks get-token``: short-lived, nothing stored."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
            "interactiveMode": "Never",
        }
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority},
                }
            ],
            "users": [{"name": cluster_name, "user": user}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
        }
    )


@dataclass(frozen=True)
class EksClusterArgs:
    cluster_name: str
    """Pinned name: the control-plane log group is named after it and must exist first."""
    kubernetes_version: str
    region: str
    subnet_ids: Sequence[pulumi.Input[str]]
    secrets_key_arn: pulumi.Input[str]
    """KMS key for envelope encryption of Kubernetes secrets."""
    logs_key_arn: pulumi.Input[str]
    """KMS key for the control-plane log group."""
    tags: Mapping[str, str]
    log_retention_days: int = 365
    endpoint_public_access: bool = False
    public_access_cidrs: Sequence[str] = ()
    admin_role_arns: Sequence[str] = ()
    """IAM roles given cluster-admin through access entries."""
    protect: bool = True
    """Protect and retain the audit-log group, with EKS deletion protection; on unless the caller opts out."""
    log_types: Sequence[str] = CONTROL_PLANE_LOG_TYPES
    enforce_network_policies: bool = True
    """Run the VPC CNI as a managed add-on with its network-policy agent; without it EKS ignores NetworkPolicies."""
    extra_security_group_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise ValueError("EksClusterArgs: endpoint_public_access needs a non-empty public_access_cidrs allow-list")


class EksCluster(pulumi.ComponentResource):
    """EKS cluster: private endpoint, KMS-encrypted secrets, all control-plane logs, API access entries."""

    cluster: aws.eks.Cluster
    """The EKS cluster resource."""
    cluster_name: pulumi.Output[str]
    """Name of the cluster."""
    endpoint: pulumi.Output[str]
    """API server endpoint (private unless endpoint_public_access)."""
    certificate_authority: pulumi.Output[str]
    """Base64 cluster CA certificate."""
    cluster_security_group_id: pulumi.Output[str]
    """Security group EKS created for the control plane and managed nodes."""
    oidc_provider_arn: pulumi.Output[str]
    """IAM OIDC provider for IRSA."""
    oidc_issuer: pulumi.Output[str]
    """Issuer host and path (no scheme), as IRSA trust conditions need it."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig (secret) using `aws eks get-token`."""
    provider: k8s.Provider
    """Kubernetes provider for this cluster."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        tags = dict(args.tags)
        account = AwsAccount.lookup(self)

        role = self._cluster_role(name, args, account, tags, opts)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=cluster_log_group_name(args.cluster_name),
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            tags=tags,
            opts=child_options(self, opts, retained(args.protect)),
        )
        self.cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.subnet_ids),
                security_group_ids=list(args.extra_security_group_ids) or None,
                endpoint_private_access=True,
                endpoint_public_access=args.endpoint_public_access,
                # Without an explicit list EKS opens a public endpoint to 0.0.0.0/0.
                public_access_cidrs=list(args.public_access_cidrs) if args.endpoint_public_access else None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                # The identity running `pulumi up` must reach the API to install the device plugin and service.
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.secrets_key_arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(args.log_types),
            deletion_protection=args.protect,
            tags=tags,
            opts=child_options(self, opts, pulumi.ResourceOptions(depends_on=[log_group, role])),
        )
        self.cluster_name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.certificate_authority = self.cluster.certificate_authority.apply(lambda ca: ca.data or "")
        self.cluster_security_group_id = self.cluster.vpc_config.apply(lambda vpc: vpc.cluster_security_group_id or "")

        self._access_entries(name, args, account, opts)
        if args.enforce_network_policies:
            aws.eks.Addon(
                f"{name}-vpc-cni",
                cluster_name=self.cluster.name,
                addon_name="vpc-cni",
                configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
                # Take over the self-managed CNI EKS bootstraps, keeping one source of truth.
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                tags=tags,
                opts=child_options(self, opts),
            )
        issuer_url = self.cluster.identities.apply(lambda ids: (ids[0].oidcs or [])[0].issuer or "")
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer_url,
            client_id_lists=["sts.amazonaws.com"],
            tags=tags,
            opts=child_options(self, opts),
        )
        self.oidc_provider_arn = oidc.arn
        self.oidc_issuer = oidc.url.apply(lambda url: url.removeprefix("https://"))

        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.cluster.name, self.endpoint, self.certificate_authority).apply(
                lambda values: kubeconfig(values[0], values[1], values[2], args.region)
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            # Fail instead of silently deleting state if the cluster is unreachable.
            delete_unreachable=False,
            opts=child_options(self, opts),
        )
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "oidcProviderArn": self.oidc_provider_arn,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _cluster_role(
        self,
        name: str,
        args: EksClusterArgs,
        account: AwsAccount,
        tags: dict[str, str],
        opts: pulumi.ResourceOptions | None,
    ) -> aws.iam.Role:
        trust = policy_json(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "eks.amazonaws.com"},
                        "Action": ["sts:AssumeRole", "sts:TagSession"],
                    }
                ],
            }
        )
        role = aws.iam.Role(f"{name}-role", assume_role_policy=trust, tags=tags, opts=child_options(self, opts))
        aws.iam.RolePolicyAttachment(
            f"{name}-role-cluster-policy",
            role=role.name,
            policy_arn=account.managed_policy_arn("AmazonEKSClusterPolicy"),
            opts=child_options(self, opts),
        )
        # The key policy delegates to IAM; the cluster role gets exactly what envelope encryption needs.
        aws.iam.RolePolicy(
            f"{name}-role-secrets-key",
            role=role.id,
            policy=pulumi.Output.from_input(args.secrets_key_arn).apply(
                lambda arn: policy_json(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                                "Resource": arn,
                            }
                        ],
                    }
                )
            ),
            opts=child_options(self, opts),
        )
        return role

    def _access_entries(
        self, name: str, args: EksClusterArgs, account: AwsAccount, opts: pulumi.ResourceOptions | None
    ) -> None:
        policy_arn = pulumi.Output.concat(
            "arn:", account.partition, ":eks::aws:cluster-access-policy/", CLUSTER_ADMIN_POLICY
        )
        for index, role_arn in enumerate(args.admin_role_arns):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{index}",
                cluster_name=self.cluster.name,
                principal_arn=role_arn,
                type="STANDARD",
                tags=dict(args.tags),
                opts=child_options(self, opts),
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{index}-policy",
                cluster_name=self.cluster.name,
                principal_arn=role_arn,
                policy_arn=policy_arn,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=child_options(self, opts, pulumi.ResourceOptions(depends_on=[entry])),
            )


@dataclass(frozen=True)
class IrsaRoleArgs:
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    """Issuer without scheme, e.g. ``oidc.eks.us-east-1.amazonaws.com/id/ABC``."""
    namespace: str
    service_account: str
    tags: Mapping[str, str]
    role_name: str | None = None
    """A fixed name (else auto-named): lets policies name the role before it exists."""


class IrsaRole(pulumi.ComponentResource):
    """An IAM role only one Kubernetes service account can assume (IAM Roles for Service Accounts)."""

    role: aws.iam.Role
    """The IAM role."""
    arn: pulumi.Output[str]
    """ARN to annotate the service account with."""
    role_name: pulumi.Output[str]
    """Role name, for attaching policies."""

    def __init__(self, name: str, args: IrsaRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(IRSA_RESOURCE_TYPE, name, None, opts)
        subject = f"system:serviceaccount:{args.namespace}:{args.service_account}"
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
            lambda values: policy_json(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Federated": values[0]},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {
                                "StringEquals": {f"{values[1]}:sub": subject, f"{values[1]}:aud": "sts.amazonaws.com"}
                            },
                        }
                    ],
                }
            )
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            assume_role_policy=trust,
            tags=dict(args.tags),
            opts=child_options(self, opts),
        )
        self.arn = self.role.arn
        self.role_name = self.role.name
        self.register_outputs({"arn": self.arn})
