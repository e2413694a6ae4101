"""aws-resource-require-tags."""

from __future__ import annotations

import json

import pytest
from guardrails.governance.aws_resource_require_tags import POLICY

from tests.policies.harness import AWS_TAGS, Provider, analyze

VPC = "aws:ec2/vpc:Vpc"


def test_tagged_resource_passes() -> None:
    assert analyze(POLICY, VPC, {"cidrBlock": "10.0.0.0/16", "tags": AWS_TAGS}).passed


@pytest.mark.parametrize("key", ["data-classification", "owner", "compliance-profile"])
def test_missing_required_tag_violates(key: str) -> None:
    tags = {k: v for k, v in AWS_TAGS.items() if k != key}
    assert analyze(POLICY, VPC, {"tags": tags}).has(f"lacks tags ['{key}']")


def test_untagged_taggable_resource_violates() -> None:
    assert analyze(POLICY, "aws:kms/key:Key", {}).has("lacks tags")


def test_provider_default_tags_count() -> None:
    provider = Provider("pulumi:providers:aws", "p", {"defaultTags": json.dumps({"tags": AWS_TAGS})})
    assert analyze(POLICY, VPC, {}, provider=provider).passed


def test_classification_value_must_be_allowed() -> None:
    assert analyze(POLICY, VPC, {"tags": {**AWS_TAGS, "data-classification": "secret"}}).has(
        "has tag data-classification='secret'"
    )
    config = {"allowedValues": {"data-classification": ["public", "internal"]}}
    assert analyze(POLICY, VPC, {"tags": AWS_TAGS}, config=config).has("data-classification='phi'")


def test_untaggable_resource_without_tags_is_ignored() -> None:
    assert analyze(POLICY, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r"}).passed


def test_required_tags_are_configurable() -> None:
    assert analyze(POLICY, VPC, {"tags": {"owner": "x"}}, config={"requiredTags": ["owner"]}).passed
