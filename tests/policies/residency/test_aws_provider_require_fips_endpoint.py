"""aws-provider-require-fips-endpoint."""

from __future__ import annotations

from guardrails.residency.aws_provider_require_fips_endpoint import POLICY

from tests.policies.harness import analyze

TYPE = "pulumi:providers:aws"


def test_default_provider_with_fips_config_passes() -> None:
    # The engine passes `aws:useFipsEndpoint: "true"` from stack config as a string.
    assert analyze(POLICY, TYPE, {"region": "us-gov-west-1", "useFipsEndpoint": "true"}).passed


def test_explicit_provider_sends_json_encoded_bool_and_passes() -> None:
    assert analyze(POLICY, TYPE, {"region": "us-gov-west-1", "useFipsEndpoint": True}).passed


def test_fips_off_violates() -> None:
    result = analyze(POLICY, TYPE, {"region": "us-gov-west-1", "useFipsEndpoint": "false"})
    assert result.has("does not set useFipsEndpoint: true")
    assert [d.level for d in result.violations] == ["mandatory"]


def test_missing_setting_violates_without_crashing() -> None:
    assert analyze(POLICY, TYPE, {}).has("does not set useFipsEndpoint: true")


def test_disabled_level_skips_the_policy() -> None:
    assert analyze(POLICY, TYPE, {}, level="disabled").passed
