"""aws-provider-restrict-region."""

from __future__ import annotations

from guardrails.residency.aws_provider_restrict_region import POLICY

from tests.policies.harness import UNKNOWN, analyze

TYPE = "pulumi:providers:aws"
# A default provider as the engine registers it: inputs from stack config, as strings.
COMPLIANT = {"region": "us-east-2", "version": "7.51.1"}


def test_compliant_provider_passes() -> None:
    assert analyze(POLICY, TYPE, COMPLIANT, name="default_7_51_1").passed


def test_region_outside_allowed_list_violates_at_the_configured_level() -> None:
    result = analyze(POLICY, TYPE, {**COMPLIANT, "region": "eu-west-1"}, level="mandatory")
    assert [d.level for d in result.violations] == ["mandatory"]
    assert result.has("targets region 'eu-west-1', which is not in allowedRegions")


def test_missing_region_violates_without_crashing() -> None:
    result = analyze(POLICY, TYPE, {"version": "7.51.1"})
    assert result.has("sets no region")


def test_allowed_regions_parameter_changes_the_verdict() -> None:
    props = {**COMPLIANT, "region": "us-gov-west-1"}
    assert analyze(POLICY, TYPE, props).has("us-gov-west-1")
    assert analyze(POLICY, TYPE, props, config={"allowedRegions": ["us-gov-west-1"]}).passed


def test_advisory_level_reports_advisory() -> None:
    result = analyze(POLICY, TYPE, {**COMPLIANT, "region": "eu-west-1"}, level="advisory")
    assert [d.level for d in result.violations] == ["advisory"]


def test_other_resource_types_are_ignored() -> None:
    assert analyze(POLICY, "pulumi:providers:kubernetes", {"region": "eu-west-1"}).passed


def test_unknown_region_is_undecided_at_preview_and_blocks_when_known() -> None:
    preview = analyze(POLICY, TYPE, {**COMPLIANT, "region": UNKNOWN})
    assert not preview.violations
    assert [d.level for d in preview.undecided] == ["advisory"]
    update = analyze(POLICY, TYPE, {**COMPLIANT, "region": "eu-west-1"})
    assert [d.level for d in update.violations] == ["mandatory"]
