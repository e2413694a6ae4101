"""aws-resource-restrict-region."""

from __future__ import annotations

from guardrails.residency.aws_resource_restrict_region import POLICY

from tests.policies.harness import UNKNOWN, analyze

TYPE = "aws:s3/bucket:Bucket"


def test_resource_without_region_override_passes() -> None:
    assert analyze(POLICY, TYPE, {"bucket": "artifacts"}).passed


def test_region_override_inside_allowed_regions_passes() -> None:
    assert analyze(POLICY, TYPE, {"bucket": "artifacts", "region": "us-east-1"}).passed


def test_region_override_outside_allowed_regions_violates() -> None:
    result = analyze(POLICY, TYPE, {"bucket": "artifacts", "region": "ap-south-1"})
    assert [d.level for d in result.violations] == ["mandatory"]
    assert result.has("sets region 'ap-south-1', which is not in allowedRegions")


def test_allowed_regions_parameter_changes_the_verdict() -> None:
    props = {"region": "ap-south-1"}
    assert analyze(POLICY, TYPE, props, config={"allowedRegions": ["ap-south-1"]}).passed


def test_non_aws_resources_are_ignored() -> None:
    assert analyze(POLICY, "kubernetes:core/v1:Namespace", {"region": "ap-south-1"}).passed


def test_unknown_region_is_undecided() -> None:
    result = analyze(POLICY, TYPE, {"region": UNKNOWN})
    assert not result.violations
    assert len(result.undecided) == 1
