"""Customer-managed KMS keys, one per purpose, with rotation and a key policy per purpose."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from .common import AccountFacts, AwsAccount, child_options, policy_json, retained

RESOURCE_TYPE = "inference:keys:EncryptionKeys"

# Everything a key is allowed to do for the service that uses it (no administration).
_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


class KeyPurpose(StrEnum):
    EKS_SECRETS = "eks-secrets"
    EBS = "ebs"
    S3 = "s3"
    LOGS = "logs"
    ECR = "ecr"


@dataclass(frozen=True)
class _PolicyContext:
    partition: str
    account_id: str
    region: str
    dns_suffix: str


def _logs_statements(ctx: _PolicyContext) -> list[dict[str, Any]]:
    # CloudWatch Logs encrypts with its own service principal, which no IAM policy can grant;
    # the encryption-context condition limits it to this account's log groups.
    return [
        {
            "Sid": "AllowCloudWatchLogs",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{ctx.region}.{ctx.dns_suffix}"},
            "Action": _USE_ACTIONS,
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{ctx.partition}:logs:{ctx.region}:{ctx.account_id}:log-group:*"
                    )
                }
            },
        }
    ]


def _ebs_statements(ctx: _PolicyContext) -> list[dict[str, Any]]:
    # Managed node groups launch through EC2 Auto Scaling, whose service-linked role must use the key
    # for encrypted volumes. The role is named in a condition rather than as the principal: a key
    # policy naming a principal that does not exist yet (a fresh account) is rejected by KMS.
    autoscaling_role = (
        f"arn:{ctx.partition}:iam::{ctx.account_id}:role/aws-service-role/"
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    condition = {"StringEquals": {"aws:PrincipalArn": autoscaling_role, "kms:CallerAccount": ctx.account_id}}
    return [
        {
            "Sid": "AllowAutoScalingUse",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": _USE_ACTIONS,
            "Resource": "*",
            "Condition": condition,
        },
        {
            "Sid": "AllowAutoScalingGrants",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {**condition, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]


def _via_service(service: str) -> Callable[[_PolicyContext], list[dict[str, Any]]]:
    """Principals of this account may use the key only through ``service`` (and need IAM permission too)."""

    def statements(ctx: _PolicyContext) -> list[dict[str, Any]]:
        return [
            {
                "Sid": f"AllowUseThrough{service.upper()}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{ctx.partition}:iam::{ctx.account_id}:root"},
                "Action": [*_USE_ACTIONS, "kms:CreateGrant"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"{service}.{ctx.region}.{ctx.dns_suffix}",
                        "kms:CallerAccount": ctx.account_id,
                    }
                },
            }
        ]

    return statements


# Lookup table: which service uses each key and how its key policy lets it in.
_SERVICE_STATEMENTS: Mapping[KeyPurpose, Callable[[_PolicyContext], list[dict[str, Any]]]] = {
    KeyPurpose.EKS_SECRETS: _via_service("eks"),
    KeyPurpose.EBS: _ebs_statements,
    KeyPurpose.S3: _via_service("s3"),
    KeyPurpose.LOGS: _logs_statements,
    KeyPurpose.ECR: _via_service("ecr"),
}

_DESCRIPTIONS: Mapping[KeyPurpose, str] = {
    KeyPurpose.EKS_SECRETS: "EKS envelope encryption of Kubernetes secrets",
    KeyPurpose.EBS: "EBS volumes of cluster nodes",
    KeyPurpose.S3: "S3 model-artifact objects",
    KeyPurpose.LOGS: "CloudWatch log groups (control-plane audit, VPC flow logs)",
    KeyPurpose.ECR: "ECR model-image repositories",
}


def root_administration(partition: str, account_id: str) -> dict[str, Any]:
    """The key-policy statement every key starts with: the account administers it and delegates its use to IAM."""
    return {
        "Sid": "EnableRootAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def key_policy(purpose: KeyPurpose, *, partition: str, account_id: str, region: str, dns_suffix: str) -> str:
    """The key policy for ``purpose``: account root administers (and delegates to IAM), the service uses."""
    ctx = _PolicyContext(partition=partition, account_id=account_id, region=region, dns_suffix=dns_suffix)
    root = root_administration(partition, account_id)
    return policy_json({"Version": "2012-10-17", "Statement": [root, *_SERVICE_STATEMENTS[purpose](ctx)]})


def customer_managed_key(
    name: str,
    *,
    description: str,
    policy: pulumi.Input[str],
    alias_prefix: str,
    tags: Mapping[str, str],
    protect: bool,
    opts: pulumi.ResourceOptions,
    rotation_period_in_days: int = 365,
    deletion_window_in_days: int = 30,
) -> aws.kms.Key:
    """A rotating symmetric key ``name`` and its alias ``<name>-alias`` (``alias/<alias_prefix>-<random>``).

    ``opts``: the calling block's child options. ``protect``: protect and retain the key (data encrypted
    with a deleted key is lost).
    """
    key = aws.kms.Key(
        name,
        description=description,
        key_usage="ENCRYPT_DECRYPT",
        customer_master_key_spec="SYMMETRIC_DEFAULT",
        enable_key_rotation=True,
        rotation_period_in_days=rotation_period_in_days,
        deletion_window_in_days=deletion_window_in_days,
        policy=policy,
        tags=dict(tags),
        opts=pulumi.ResourceOptions.merge(opts, retained(protect)),
    )
    aws.kms.Alias(f"{name}-alias", name_prefix=f"alias/{alias_prefix}-", target_key_id=key.key_id, opts=opts)
    return key


def _policy_for(purpose: KeyPurpose, region: str, account: AccountFacts) -> str:
    return key_policy(
        purpose,
        partition=account.partition,
        account_id=account.account_id,
        region=region,
        dns_suffix=account.dns_suffix,
    )


@dataclass(frozen=True)
class EncryptionKeysArgs:
    region: str
    """Region of the keys (the CloudWatch Logs service principal is regional)."""
    tags: Mapping[str, str]
    purposes: Sequence[KeyPurpose] = tuple(KeyPurpose)
    protect: bool = True
    """Protect and retain the keys (on unless the caller opts out): data encrypted with a deleted key is lost."""
    deletion_window_in_days: int = 30
    rotation_period_in_days: int = 365
    alias_prefix: str | None = None
    """Alias names are ``alias/<prefix>-<purpose>-<random>``; defaults to the component name."""
    descriptions: Mapping[KeyPurpose, str] = field(default_factory=lambda: dict(_DESCRIPTIONS))


class EncryptionKeys(pulumi.ComponentResource):
    """One customer-managed, rotating KMS key (and alias) per purpose."""

    keys: dict[KeyPurpose, aws.kms.Key]
    """The keys by purpose."""
    arns: dict[KeyPurpose, pulumi.Output[str]]
    """Key ARNs by purpose."""

    def __init__(self, name: str, args: EncryptionKeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        account = AwsAccount.lookup(self)
        prefix = args.alias_prefix or name
        self.keys = {}
        self.arns = {}
        for purpose in args.purposes:
            policy = account.render(functools.partial(_policy_for, purpose, args.region))
            key = customer_managed_key(
                f"{name}-{purpose}",
                description=f"{args.descriptions.get(purpose, purpose)} ({name})",
                policy=policy,
                alias_prefix=f"{prefix}-{purpose}",
                tags=args.tags,
                protect=args.protect,
                opts=child_options(self, opts),
                rotation_period_in_days=args.rotation_period_in_days,
                deletion_window_in_days=args.deletion_window_in_days,
            )
            self.keys[purpose] = key
            self.arns[purpose] = key.arn
        self.register_outputs({"keyArns": {str(purpose): arn for purpose, arn in self.arns.items()}})

    def arn(self, purpose: KeyPurpose) -> pulumi.Output[str]:
        """ARN of the key for ``purpose``; a clear error if this instance was built without it."""
        try:
            return self.arns[purpose]
        except KeyError:
            raise ValueError(
                f"EncryptionKeys has no '{purpose}' key; built with purposes {[str(p) for p in self.arns]}"
            ) from None
