"""aws-sagemaker-resource-require-kms-encryption."""

from __future__ import annotations

import pytest
from guardrails.encryption_at_rest.aws_sagemaker_resource_require_kms_encryption import POLICY

from tests.policies.harness import UNKNOWN, analyze

CASES = [
    ("aws:sagemaker/notebookInstance:NotebookInstance", "kmsKeyId"),
    ("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "kmsKeyArn"),
    ("aws:sagemaker/domain:Domain", "kmsKeyId"),
]


@pytest.mark.parametrize(("type_", "prop"), CASES)
def test_resources_with_a_key_pass(type_: str, prop: str) -> None:
    assert analyze(POLICY, type_, {prop: UNKNOWN}).passed


@pytest.mark.parametrize(("type_", "prop"), CASES)
def test_resources_without_a_key_violate(type_: str, prop: str) -> None:
    assert analyze(POLICY, type_, {}).has(f"has no {prop}")


def test_other_sagemaker_resources_are_ignored() -> None:
    assert analyze(POLICY, "aws:sagemaker/model:Model", {}).passed
