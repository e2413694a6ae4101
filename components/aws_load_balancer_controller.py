"""AWS Load Balancer Controller: a pinned Helm release, its IRSA role, and an IAM policy scoped to this cluster.

The controller turns ``Ingress`` objects of class ``alb`` (the weighted canary split of
:mod:`components.traffic_split`), ``Service`` objects of class ``service.k8s.aws/nlb`` and
``TargetGroupBinding`` resources (the private cloud's Pulumi-owned NLB) into load balancers and
target registrations. The ``TargetGroupBinding`` CRD comes with the chart.

**The IAM policy** is written here, not copied: the permissions the controller documents
(https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/installation/#configure-iam)
narrowed to what this project uses, so a controller credential can touch only this cluster's
load balancers:

* every ARN is in this stack's partition, region and account (the published policy uses ``*``);
* creating a load balancer, target group or security group requires the request tag
  ``elbv2.k8s.aws/cluster`` to *equal this cluster's name* (not merely to be present), and modifying
  or deleting one requires the resource to carry that tag with this value: another cluster's
  controller credentials cannot reach this cluster's load balancers, nor these another's;
* security-group ingress rules may change only on groups in this VPC (``ec2:Vpc``): the controller
  opens the node security group to the load balancer's group;
* target registration: the controller's own target groups (tagged with this cluster), plus the
  target groups the program owns (``TargetGroupBinding``), named by ARN when the model knows them;
* left out because nothing here uses them: Shield and WAF Classic (turned off in the chart values),
  Cognito, IAM server certificates and ACM discovery (every listener names its ACM certificate),
  Outposts (COIP) pools and IPAM. WAFv2 association is granted only when asked for (the public
  model's rate-limit web ACL). A controller with ``manage_load_balancers=False`` only registers
  targets into the program's own load balancer and gets no create/delete rights at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .common import AwsAccount, child_options, helm_release, policy_json
from .config import parse_image
from .eks_cluster import IrsaRole, IrsaRoleArgs
from .gpu_node_pool import SYSTEM_POOL_LABEL

RESOURCE_TYPE = "inference:aws_load_balancer_controller:AwsLoadBalancerController"

CHART = "aws-load-balancer-controller"
CHART_REPOSITORY = "https://aws.github.io/eks-charts"
# Chart 1.17.1 runs controller v2.17.1, the last 2.x release: the canary split names its WAF web ACL with
# `wafv2-acl-name` (controller v2.14 and later). The policy below covers that version's calls.
CHART_VERSION = "1.17.1"
APP_VERSION = "v2.17.1"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
# The tag the controller puts on everything it creates, valued with the cluster name.
CLUSTER_TAG = "elbv2.k8s.aws/cluster"

# Read-only calls: EC2 and ELB Describe* support no resource-level permissions, so "*" is the only form.
DESCRIBE_ACTIONS = (
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
    "ec2:DescribeRouteTables",
    "ec2:GetSecurityGroupsForVpc",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
)
REGISTER_ACTIONS = ("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")
# Changes to a load balancer or target group the controller made (tagged with this cluster).
MODIFY_OWN_ACTIONS = (
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyListenerAttributes",
)
# Listeners and rules carry no cluster tag when they are created: scoped by ARN (this account and region).
LISTENER_ACTIONS = (
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates",
    "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:SetRulePriorities",
)
WAFV2_ACTIONS = (
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "wafv2:AssociateWebACL",
    "wafv2:DisassociateWebACL",
    "elasticloadbalancing:SetWebAcl",
)


@dataclass(frozen=True)
class PolicyScope:
    """Everything the controller policy names: the partition, region, account, cluster and VPC."""

    partition: str
    region: str
    account_id: str
    cluster_name: str
    vpc_id: str
    manage_load_balancers: bool = True
    wafv2: bool = False
    target_group_arns: Sequence[str] = ()

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"


def _statement(actions: Sequence[str], resources: str | Sequence[str], **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": resources if isinstance(resources, str) else list(resources),
    }
    if condition:
        statement["Condition"] = condition
    return statement


def controller_policy(scope: PolicyScope) -> str:
    """The controller's IAM policy, limited to this cluster's load balancers and this VPC."""

    def elb(resource: str) -> str:
        return scope.arn("elasticloadbalancing", resource)

    security_groups = scope.arn("ec2", "security-group/*")
    vpc = scope.arn("ec2", f"vpc/{scope.vpc_id}")
    balancers = [elb("loadbalancer/app/*/*"), elb("loadbalancer/net/*/*")]
    target_groups = elb("targetgroup/*/*")
    listeners = [elb("listener/app/*/*/*"), elb("listener/net/*/*/*")]
    rules = [elb("listener-rule/app/*/*/*/*"), elb("listener-rule/net/*/*/*/*")]
    this_cluster = {f"aws:ResourceTag/{CLUSTER_TAG}": scope.cluster_name}
    tagged_for_cluster = {f"aws:RequestTag/{CLUSTER_TAG}": scope.cluster_name}
    statements = [
        _statement(DESCRIBE_ACTIONS, "*"),
        # The node security group admits the load balancer's group: rules change only on groups of this VPC.
        _statement(
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            security_groups,
            StringEquals={"ec2:Vpc": vpc},
        ),
    ]
    if scope.target_group_arns:
        # Target groups the program owns (TargetGroupBinding): by ARN, they carry no cluster tag.
        statements.append(_statement(REGISTER_ACTIONS, list(scope.target_group_arns)))
        if scope.manage_load_balancers:
            statements.append(_statement(REGISTER_ACTIONS, target_groups, StringEquals=this_cluster))
    else:
        # Without the owned groups' ARNs a TargetGroupBinding may name any target group: this account and
        # region's only.
        statements.append(_statement(REGISTER_ACTIONS, target_groups))
    if scope.manage_load_balancers:
        statements += [
            _statement(
                ["iam:CreateServiceLinkedRole"],
                f"arn:{scope.partition}:iam::{scope.account_id}:role/aws-service-role/"
                "elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing",
                StringEquals={"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"},
            ),
            _statement(["ec2:CreateSecurityGroup"], [vpc, security_groups], StringEquals=tagged_for_cluster),
            _statement(
                ["ec2:CreateTags"],
                security_groups,
                StringEquals={"ec2:CreateAction": "CreateSecurityGroup", **tagged_for_cluster},
            ),
            # Retagging never moves a group to another cluster: the cluster tag is not in the request.
            _statement(
                ["ec2:CreateTags", "ec2:DeleteTags"],
                security_groups,
                StringEquals=this_cluster,
                Null={f"aws:RequestTag/{CLUSTER_TAG}": "true"},
            ),
            _statement(["ec2:DeleteSecurityGroup"], security_groups, StringEquals=this_cluster),
            _statement(
                ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
                [*balancers, target_groups],
                StringEquals=tagged_for_cluster,
            ),
            _statement(
                ["elasticloadbalancing:AddTags"],
                [*balancers, target_groups],
                StringEquals={
                    "elasticloadbalancing:CreateAction": ["CreateLoadBalancer", "CreateTargetGroup"],
                    **tagged_for_cluster,
                },
            ),
            _statement(
                ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
                [*balancers, target_groups],
                StringEquals=this_cluster,
                Null={f"aws:RequestTag/{CLUSTER_TAG}": "true"},
            ),
            _statement(["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], [*listeners, *rules]),
            _statement(MODIFY_OWN_ACTIONS, [*balancers, target_groups, *listeners], StringEquals=this_cluster),
            _statement(LISTENER_ACTIONS, [*balancers, *listeners, *rules]),
        ]
        if scope.wafv2:
            statements += [
                # `wafv2-acl-name` is resolved to an ARN by listing the region's web ACLs (no resource-level form).
                _statement(["wafv2:ListWebACLs"], "*"),
                _statement(WAFV2_ACTIONS, [scope.arn("wafv2", "regional/webacl/*/*"), elb("loadbalancer/app/*/*")]),
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
    manage_load_balancers: bool = True
    """False: the controller only registers pods into target groups the program owns (no create/delete)."""
    target_group_arns: Sequence[pulumi.Input[str]] = ()
    """Target groups the program owns that the controller registers pods into (TargetGroupBinding)."""


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
    manage_load_balancers: bool = True
    """False: the controller only registers pods into target groups the program owns (no create/delete)."""
    target_group_arns: Sequence[pulumi.Input[str]] = ()
    """Target groups the program owns that the controller registers pods into (TargetGroupBinding)."""

    def __post_init__(self) -> None:
        if self.image is not None:
            image_values(self.image)  # raises for an image not pinned by digest
        if self.enable_wafv2 and not self.manage_load_balancers:
            raise ValueError("LoadBalancerControllerArgs: enable_wafv2 needs manage_load_balancers (WAF is on ALBs)")


def controller_values(args: LoadBalancerControllerArgs, role_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Chart values: this cluster, the IRSA role, the system pool, only the integrations we use."""
    values: dict[str, Any] = {
        "clusterName": args.cluster_name,
        "region": args.region,
        "vpcId": args.vpc_id,
        "replicaCount": 2,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT, "annotations": {IRSA_ANNOTATION: role_arn}},
        # Add-ons run on the untainted system pool, never on GPU nodes.
        "nodeSelector": {SYSTEM_POOL_LABEL: "system"},
        "podDisruptionBudget": {"maxUnavailable": 1},
        # The policy grants neither: off, so the controller never calls them.
        "enableShield": False,
        "enableWaf": False,
        "enableWafv2": args.enable_wafv2,
        "defaultTargetType": "ip",
        # Every Service here names its load balancer class; the mutating webhook (failurePolicy Fail) would only
        # add a way for a controller outage to block Service creation.
        "enableServiceMutatorWebhook": False,
    }
    if args.image is not None:
        values["image"] = image_values(args.image)
    if args.env:
        values["env"] = dict(args.env)
    return values


class LoadBalancerController(pulumi.ComponentResource):
    """The controller's IRSA role and scoped policy, and its Helm release. ``opts`` carries both providers."""

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
        account = AwsAccount.lookup(role)
        policy = pulumi.Output.all(
            account.partition, account.account_id, args.cluster_name, args.vpc_id, *args.target_group_arns
        ).apply(
            lambda values: controller_policy(
                PolicyScope(
                    partition=values[0],
                    region=args.region,
                    account_id=values[1],
                    cluster_name=values[2],
                    vpc_id=values[3],
                    manage_load_balancers=args.manage_load_balancers,
                    wafv2=args.enable_wafv2,
                    target_group_arns=values[4:],
                )
            )
        )
        aws.iam.RolePolicy(f"{name}-policy", role=role.role.id, policy=policy, opts=child)
        self.release = helm_release(
            f"{name}-release",
            chart=CHART,
            version=args.chart_version,
            repository=args.repository,
            namespace=NAMESPACE,
            values=controller_values(args, role.arn),
            opts=child,
        )
        self.role_arn = role.arn
        self.register_outputs({"roleArn": self.role_arn, "status": self.release.status})
