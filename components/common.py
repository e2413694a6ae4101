"""Small helpers every block shares: child resource options and the AWS account context."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


def child_options(
    parent: pulumi.Resource, opts: pulumi.ResourceOptions | None, *extra: pulumi.ResourceOptions
) -> pulumi.ResourceOptions:
    """Options for a block's child: the block's own options, parented to the block, plus ``extra``."""
    merged = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=parent))
    for more in extra:
        merged = pulumi.ResourceOptions.merge(merged, more)
    return merged


def retained(protect: bool) -> pulumi.ResourceOptions:
    """Options for a resource that holds data: in prod-like stacks a mistaken destroy must lose nothing."""
    return pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)


def policy_json(document: Mapping[str, Any]) -> str:
    """An IAM/KMS/S3 policy document as the compact JSON AWS stores."""
    return json.dumps(document, separators=(",", ":"), sort_keys=False)


@dataclass(frozen=True)
class AwsAccount:
    """Partition, account and DNS suffix of the provider a block runs under (GovCloud, China differ)."""

    partition: pulumi.Output[str]
    account_id: pulumi.Output[str]
    dns_suffix: pulumi.Output[str]

    @classmethod
    def lookup(cls, parent: pulumi.Resource) -> AwsAccount:
        # Invoked with parent=the block so an explicit provider (e.g. FIPS endpoints) is inherited.
        opts = pulumi.InvokeOutputOptions(parent=parent)
        partition = aws.get_partition_output(opts=opts)
        identity = aws.get_caller_identity_output(opts=opts)
        return cls(
            partition=partition.partition,
            account_id=identity.account_id,
            dns_suffix=partition.dns_suffix,
        )

    def root_arn(self) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":iam::", self.account_id, ":root")

    def role_arn(self, name: pulumi.Input[str]) -> pulumi.Output[str]:
        """ARN of the role ``name`` (path ``/``), known before the role exists."""
        return pulumi.Output.concat("arn:", self.partition, ":iam::", self.account_id, ":role/", name)

    def managed_policy_arn(self, name: str) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":iam::aws:policy/", name)
