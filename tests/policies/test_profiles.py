"""Profiles: every shipped profile is complete and valid; bad profiles are reported naming the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from guardrails import SPECS, policy_names
from guardrails.profiles import (
    DEFAULT_LEVEL,
    FAIL_ON_UNDECIDED,
    PROFILES_DIR,
    ProfileError,
    load_profile,
    profile_names,
    resolve,
    validate_profile,
)

SHIPPED = ["baseline", "fedramp-high", "fedramp-moderate", "hipaa"]


def test_the_four_profiles_ship() -> None:
    assert profile_names() == SHIPPED
    assert sorted(FAIL_ON_UNDECIDED) == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_profile_validates_and_covers_every_policy(name: str) -> None:
    assert validate_profile(load_profile(name), complete=True) == []


@pytest.mark.parametrize("name", SHIPPED)
def test_every_profile_sets_a_level_for_every_policy(name: str) -> None:
    profile = load_profile(name)
    assert all("enforcementLevel" in profile[policy] for policy in policy_names())


def test_baseline_is_advisory_for_dev() -> None:
    levels = {entry["enforcementLevel"] for entry in resolve(load_profile("baseline")).values()}
    assert levels == {"advisory", "disabled"}


@pytest.mark.parametrize("name", ["hipaa", "fedramp-moderate", "fedramp-high"])
def test_regulated_profiles_refuse_unauthenticated_endpoints(name: str) -> None:
    resolved = resolve(load_profile(name))
    assert resolved["kubernetes-endpoint-require-authentication"]["enforcementLevel"] == "mandatory"
    assert resolved["aws-lb-listener-require-authentication"]["enforcementLevel"] == "mandatory"


def test_hipaa_regions_and_fips() -> None:
    resolved = resolve(load_profile("hipaa"))
    assert resolved["aws-provider-restrict-region"]["config"]["allowedRegions"] == [
        "us-east-1",
        "us-east-2",
        "us-west-2",
    ]
    assert resolved["aws-provider-require-fips-endpoint"]["enforcementLevel"] == "disabled"


@pytest.mark.parametrize("name", ["fedramp-moderate", "fedramp-high"])
def test_fedramp_requires_fips_endpoints_and_fips_tls(name: str) -> None:
    resolved = resolve(load_profile(name))
    assert resolved["aws-provider-require-fips-endpoint"]["enforcementLevel"] == "mandatory"
    for policy in ("aws-lb-listener-require-tls", "kubernetes-service-require-tls-load-balancer"):
        allowed = resolved[policy]["config"]["allowedTlsPolicies"]
        assert allowed, policy
        assert all("FIPS" in tls for tls in allowed)


def test_fedramp_high_stays_in_govcloud_without_egress() -> None:
    resolved = resolve(load_profile("fedramp-high"))
    assert resolved["aws-provider-restrict-region"]["config"]["allowedRegions"] == ["us-gov-west-1", "us-gov-east-1"]
    assert resolved["aws-vpc-disallow-internet-egress"]["config"]["allowInternetEgress"] is False


def test_resolve_fills_schema_defaults_and_all_level() -> None:
    resolved = resolve({"all": "advisory", "aws-kms-key-require-rotation": {"enforcementLevel": "mandatory"}})
    assert list(resolved) == policy_names()
    assert resolved["aws-kms-key-require-rotation"] == {
        "enforcementLevel": "mandatory",
        "config": {"maxRotationPeriodDays": 365},
    }
    assert resolved["aws-vpc-require-flow-log"] == {"enforcementLevel": "advisory", "config": {"trafficType": "ALL"}}


def test_resolve_without_levels_uses_the_pack_default_and_string_shorthand() -> None:
    resolved = resolve(
        {"aws-vpc-require-flow-log": "disabled", "aws-kms-key-require-rotation": {"maxRotationPeriodDays": 180}}
    )
    assert resolved["aws-vpc-require-flow-log"]["enforcementLevel"] == "disabled"
    assert resolved["aws-kms-key-require-rotation"] == {
        "enforcementLevel": DEFAULT_LEVEL,
        "config": {"maxRotationPeriodDays": 180},
    }


def test_resolved_defaults_are_copies() -> None:
    first = resolve({})
    first["aws-provider-restrict-region"]["config"]["allowedRegions"].append("eu-west-1")
    assert "eu-west-1" not in resolve({})["aws-provider-restrict-region"]["config"]["allowedRegions"]
    assert (
        "eu-west-1"
        not in next(s for s in SPECS if s.name == "aws-provider-restrict-region").defaults()["allowedRegions"]
    )


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (
            {"aws-provider-restrict-regions": "mandatory"},
            "unknown policy 'aws-provider-restrict-regions' (did you mean 'aws-provider-restrict-region'?)",
        ),
        (
            {"aws-provider-restrict-region": {"allowedRegion": ["us-east-1"]}},
            "aws-provider-restrict-region: unknown parameter 'allowedRegion'",
        ),
        (
            {"aws-provider-restrict-region": {"allowedRegions": "us-east-1"}},
            "aws-provider-restrict-region: parameter 'allowedRegions': 'us-east-1' is not of type 'array'",
        ),
        (
            {"aws-provider-restrict-region": {"allowedRegions": ["Mars-1"]}},
            "aws-provider-restrict-region: parameter 'allowedRegions'[0]: 'Mars-1' does not match",
        ),
        (
            {"aws-kms-key-require-rotation": {"maxRotationPeriodDays": 10}},
            "aws-kms-key-require-rotation: parameter 'maxRotationPeriodDays': 10 is less than the minimum of 90",
        ),
        (
            {"aws-vpc-require-flow-log": {"enforcementLevel": "blocking"}},
            "aws-vpc-require-flow-log: enforcementLevel 'blocking' is not one of advisory, mandatory, remediate",
        ),
        (
            {"aws-vpc-require-flow-log": 3},
            "aws-vpc-require-flow-log: must be an enforcement level string or an object, got int",
        ),
        (
            {"all": {"enforcementLevel": "advisory", "allowedRegions": []}},
            "all: only enforcementLevel can be set for all policies",
        ),
    ],
)
def test_bad_values_are_reported_naming_policy_and_parameter(profile: dict, expected: str) -> None:
    problems = validate_profile(profile)
    assert any(expected in problem for problem in problems), problems
    with pytest.raises(ProfileError) as caught:
        resolve(profile)
    assert expected in str(caught.value)


def test_incomplete_profile_lists_the_missing_policies() -> None:
    problems = validate_profile({"aws-vpc-require-flow-log": "mandatory"}, complete=True)
    assert "aws-provider-restrict-region: not set by the profile" in problems
    assert len(problems) == len(policy_names()) - 1


def test_load_profile_by_name_and_by_path(tmp_path: Path) -> None:
    assert load_profile("hipaa") == json.loads((PROFILES_DIR / "hipaa.json").read_text())
    custom = tmp_path / "custom.json"
    custom.write_text('{"all": "advisory"}')
    assert load_profile(custom) == {"all": "advisory"}


def test_unknown_profile_name_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match="unknown profile 'hippa'; known profiles: baseline, fedramp-high"):
        load_profile("hippa")


def test_bad_json_and_wrong_shape_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"all": }')
    with pytest.raises(ProfileError, match=r"(?s)broken\.json.*not valid JSON.*line 1"):
        load_profile(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(ProfileError, match="must be a JSON object"):
        load_profile(listed)
    with pytest.raises(ProfileError, match="no such file"):
        load_profile(tmp_path / "missing.json")
