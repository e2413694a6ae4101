"""pulumi-data-resource-require-protect (reads the `protect` resource option)."""

from __future__ import annotations

import json

import pytest
from guardrails.governance.pulumi_data_resource_require_protect import POLICY

from tests.policies.harness import AWS_TAGS, Provider, analyze

KEY = "aws:kms/key:Key"
PROD_TAGS = {"tags": AWS_TAGS}  # environment=prod
DEV_TAGS = {"tags": {**AWS_TAGS, "environment": "dev"}}


@pytest.mark.parametrize(
    "type_", ["aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:ecr/repository:Repository", "aws:ebs/volume:Volume"]
)
def test_protected_data_resource_in_prod_passes(type_: str) -> None:
    assert analyze(POLICY, type_, PROD_TAGS, protect=True).passed


def test_unprotected_data_resource_in_prod_violates() -> None:
    result = analyze(POLICY, KEY, PROD_TAGS, protect=False, name="keys-data")
    assert result.has("aws:kms/key:Key 'keys-data' holds data in a prod-like stack but is not protected")
    assert result.violations[0].level == "mandatory"


def test_dev_stack_is_not_applicable() -> None:
    result = analyze(POLICY, KEY, DEV_TAGS, protect=False)
    assert not result.diagnostics and result.not_applicable


@pytest.mark.parametrize(
    "how",
    [
        {"config": {"prodLike": True}},
        {"stack_tags": {"environment": "prod"}},
        {
            "provider": Provider(
                "pulumi:providers:aws", "p", {"defaultTags": json.dumps({"tags": {"environment": "prod"}})}
            )
        },
    ],
)
def test_prod_like_from_profile_stack_tag_or_provider_tags(how: dict) -> None:
    assert analyze(POLICY, KEY, {}, protect=False, **how).has("is not protected")


def test_prod_like_from_stack_config(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI passes the stack's config to the pack in PULUMI_CONFIG and names the project.
    monkeypatch.setenv("PULUMI_PROJECT", "inference-platform")
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"inference-platform:environment": "prod"}))
    assert analyze(POLICY, KEY, {}, protect=False).has("is not protected")


def test_persistent_volume_claims_are_data() -> None:
    result = analyze(POLICY, "kubernetes:core/v1:PersistentVolumeClaim", {}, config={"prodLike": True})
    assert result.has("is not protected")


def test_non_data_resources_are_ignored() -> None:
    assert analyze(POLICY, "aws:ec2/vpc:Vpc", PROD_TAGS, protect=False).passed


def test_data_types_are_configurable() -> None:
    config = {"dataResourceTypes": ["aws:ec2/vpc:Vpc"]}
    assert analyze(POLICY, "aws:ec2/vpc:Vpc", PROD_TAGS, config=config).has("is not protected")
    assert analyze(POLICY, KEY, PROD_TAGS, config=config).passed
