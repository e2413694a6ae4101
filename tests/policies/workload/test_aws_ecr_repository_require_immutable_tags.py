"""aws-ecr-repository-require-immutable-tags."""

from __future__ import annotations

from guardrails.workload.aws_ecr_repository_require_immutable_tags import POLICY

from tests.policies.harness import analyze

TYPE = "aws:ecr/repository:Repository"


def test_immutable_repository_passes() -> None:
    assert analyze(POLICY, TYPE, {"imageTagMutability": "IMMUTABLE"}).passed


def test_mutable_repository_violates() -> None:
    assert analyze(POLICY, TYPE, {"imageTagMutability": "MUTABLE"}).has("has imageTagMutability 'MUTABLE'")


def test_default_mutability_violates() -> None:
    assert analyze(POLICY, TYPE, {}).has("'MUTABLE (default)'")


def test_exclusions_need_the_profile_switch() -> None:
    props = {"imageTagMutability": "IMMUTABLE_WITH_EXCLUSION"}
    assert analyze(POLICY, TYPE, props).has("IMMUTABLE_WITH_EXCLUSION")
    assert analyze(POLICY, TYPE, props, config={"allowExclusions": True}).passed
