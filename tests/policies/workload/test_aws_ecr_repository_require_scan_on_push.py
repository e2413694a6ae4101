"""aws-ecr-repository-require-scan-on-push."""

from __future__ import annotations

from guardrails.workload.aws_ecr_repository_require_scan_on_push import POLICY

from tests.policies.harness import analyze

TYPE = "aws:ecr/repository:Repository"


def test_scanning_repository_passes() -> None:
    assert analyze(POLICY, TYPE, {"imageScanningConfiguration": {"scanOnPush": True}}).passed


def test_scan_off_violates() -> None:
    result = analyze(POLICY, TYPE, {"imageScanningConfiguration": {"scanOnPush": False}})
    assert result.has("does not scan images on push")


def test_missing_configuration_violates() -> None:
    assert analyze(POLICY, TYPE, {}).has("does not scan images on push")
