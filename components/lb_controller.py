"""AWS Load Balancer Controller: a pinned Helm release with its own IRSA role.

The controller turns ``Service`` objects of class ``service.k8s.aws/nlb``,
``Ingress`` objects of class ``alb`` and ``TargetGroupBinding`` resources into
load balancers and target registrations. Without it a ``TargetGroupBinding``
cannot even be created (its CRD comes with the chart).

The IAM policy is the controller project's published policy
(``docs/install/iam_policy.json``, v2.7), with the partition filled in so the
same block works in GovCloud. WAF and Shield integrations are off unless asked
for: they call APIs a VPC without an internet path has no endpoint for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .common import AwsAccount, child_options, policy_json
from .config import parse_image
from .eks_cluster import IrsaRole, IrsaRoleArgs
from .gpu_node_pool import SYSTEM_POOL_LABEL

RESOURCE_TYPE = "inference:lb_controller:LoadBalancerController"

CHART = "aws-load-balancer-controller"
CHART_REPOSITORY = "https://aws.github.io/eks-charts"
# Chart 1.7.2 runs controller v2.7.2, the version the IAM policy below was published for.
CHART_VERSION = "1.7.2"
APP_VERSION = "v2.7.2"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
CLUSTER_TAG = "aws:RequestTag/elbv2.k8s.aws/cluster"
RESOURCE_CLUSTER_TAG = "aws:ResourceTag/elbv2.k8s.aws/cluster"

_DESCRIBE = [
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:GetCoipPoolUsage",
    "ec2:DescribeCoipPools",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
]
_INTEGRATIONS = [
    "cognito-idp:DescribeUserPoolClient",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "iam:ListServerCertificates",
    "iam:GetServerCertificate",
    "waf-regional:GetWebACL",
    "waf-regional:GetWebACLForResource",
    "waf-regional:AssociateWebACL",
    "waf-regional:DisassociateWebACL",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "wafv2:AssociateWebACL",
    "wafv2:DisassociateWebACL",
    "shield:GetSubscriptionState",
    "shield:DescribeProtection",
    "shield:CreateProtection",
    "shield:DeleteProtection",
]


def controller_policy(partition: str) -> str:
    """The controller's IAM policy for ``partition`` (``aws``, ``aws-us-gov``)."""
    elb = f"arn:{partition}:elasticloadbalancing:*:*"
    security_groups = f"arn:{partition}:ec2:*:*:security-group/*"
    balancers = [f"{elb}:targetgroup/*/*", f"{elb}:loadbalancer/net/*/*", f"{elb}:loadbalancer/app/*/*"]
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": ["iam:CreateServiceLinkedRole"],
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        },
        {"Effect": "Allow", "Action": _DESCRIBE, "Resource": "*"},
        {"Effect": "Allow", "Action": _INTEGRATIONS, "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": "*",
        },
        {"Effect": "Allow", "Action": ["ec2:CreateSecurityGroup"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateTags"],
            "Resource": security_groups,
            "Condition": {
                "StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"},
                "Null": {CLUSTER_TAG: "false"},
            },
        },
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
            "Resource": security_groups,
            "Condition": {"Null": {CLUSTER_TAG: "true", RESOURCE_CLUSTER_TAG: "false"}},
        },
        {
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            "Resource": "*",
            "Condition": {"Null": {RESOURCE_CLUSTER_TAG: "false"}},
        },
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "Resource": "*",
            "Condition": {"Null": {CLUSTER_TAG: "false"}},
        },
        {
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": balancers,
            "Condition": {"Null": {CLUSTER_TAG: "true", RESOURCE_CLUSTER_TAG: "false"}},
        },
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [
                f"{elb}:listener/net/*/*/*",
                f"{elb}:listener/app/*/*/*",
                f"{elb}:listener-rule/net/*/*/*",
                f"{elb}:listener-rule/app/*/*/*",
            ],
        },
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags"],
            "Resource": balancers,
            "Condition": {
                "StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                "Null": {CLUSTER_TAG: "false"},
            },
        },
        {
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
            ],
            "Resource": "*",
            "Condition": {"Null": {RESOURCE_CLUSTER_TAG: "false"}},
        },
        {
            # Without a tag condition: target groups the program owns (TargetGroupBinding) are not tagged
            # by the controller.
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": f"{elb}:targetgroup/*/*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:SetWebAcl",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
            ],
            "Resource": "*",
        },
    ]
    return policy_json({"Version": "2012-10-17", "Statement": statements})


def image_values(image: str) -> dict[str, Any]:
    """Chart values for an image pinned by digest (the chart renders ``<repository>:<tag>``)."""
    name, tag, digest = parse_image(image)
    if digest is None:
        raise ValueError(f"LoadBalancerControllerArgs.image must be pinned by digest, got {image!r}")
    return {"repository": name, "tag": f"{tag or APP_VERSION}@{digest}"}


@dataclass(frozen=True)
class LoadBalancerControllerSettings:
    """What a model chooses about the controller; the cluster facts come from the cluster."""

    image: str | None = None
    """Controller image pinned by digest (e.g. mirrored into the region's ECR); None: the chart's default."""
    enable_wafv2: bool = False
    """Let Ingress annotations attach WAFv2 web ACLs (needs a path to the WAFv2 API)."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Controller environment, e.g. ``AWS_USE_FIPS_ENDPOINT``."""


@dataclass(frozen=True)
class LoadBalancerControllerArgs:
    cluster_name: pulumi.Input[str]
    region: str
    vpc_id: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    tags: Mapping[str, str]
    image: str | None = None
    """Controller image pinned by digest (e.g. mirrored into the region's ECR); None: the chart's default."""
    chart_version: str = CHART_VERSION
    repository: str = CHART_REPOSITORY
    enable_wafv2: bool = False
    """Let Ingress annotations attach WAFv2 web ACLs (needs a path to the WAFv2 API)."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Controller environment, e.g. ``AWS_USE_FIPS_ENDPOINT``."""


class LoadBalancerController(pulumi.ComponentResource):
    """The controller's IRSA role and Helm release. ``opts`` carries both the AWS and Kubernetes providers."""

    release: k8s.helm.v3.Release
    """The Helm release (it also installs the ``TargetGroupBinding`` CRD)."""
    role_arn: pulumi.Output[str]
    """The controller's IAM role."""

    def __init__(self, name: str, args: LoadBalancerControllerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        child = child_options(self, opts)
        role = IrsaRole(
            f"{name}-role",
            IrsaRoleArgs(
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                tags=args.tags,
            ),
            child,
        )
        # Looked up under the role, which has the AWS provider the block was given.
        partition = AwsAccount.lookup(role).partition
        aws.iam.RolePolicy(f"{name}-policy", role=role.role.id, policy=partition.apply(controller_policy), opts=child)
        values: dict[str, Any] = {
            "clusterName": args.cluster_name,
            "region": args.region,
            "vpcId": args.vpc_id,
            "replicaCount": 2,
            "serviceAccount": {
                "create": True,
                "name": SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role.arn},
            },
            # Add-ons run on the untainted system pool, never on GPU nodes.
            "nodeSelector": {SYSTEM_POOL_LABEL: "system"},
            "enableShield": False,
            "enableWaf": False,
            "enableWafv2": args.enable_wafv2,
            "defaultTargetType": "ip",
        }
        if args.image is not None:
            values["image"] = image_values(args.image)
        if args.env:
            values["env"] = dict(args.env)
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.repository),
            namespace=NAMESPACE,
            values=values,
            atomic=True,
            cleanup_on_fail=True,
            opts=child,
        )
        self.role_arn = role.arn
        self.register_outputs({"roleArn": self.role_arn, "status": self.release.status})
