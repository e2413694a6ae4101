"""aws-vpc-disallow-internet-egress."""

from __future__ import annotations

import pytest
from guardrails.exposure.aws_vpc_disallow_internet_egress import POLICY

from tests.policies.harness import UNKNOWN, Provider, analyze

IGW = "aws:ec2/internetGateway:InternetGateway"
NAT = "aws:ec2/natGateway:NatGateway"
ALLOW = {"allowInternetEgress": True}


@pytest.mark.parametrize("type_", [IGW, NAT, "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"])
def test_gateway_violates_where_profile_forbids_egress(type_: str) -> None:
    result = analyze(POLICY, type_, {"vpcId": UNKNOWN})
    assert result.has("gives the VPC a path to the internet, which the profile forbids")


def test_profile_allowing_egress_passes() -> None:
    assert analyze(POLICY, IGW, {"vpcId": UNKNOWN, "tags": {"deployment-model": "public-cloud"}}, config=ALLOW).passed


def test_private_cloud_model_never_gets_a_gateway() -> None:
    result = analyze(POLICY, NAT, {"tags": {"deployment-model": "private-cloud"}}, config=ALLOW)
    assert result.has("gives a 'private-cloud' deployment a path to the internet")


def test_model_from_provider_default_tags() -> None:
    provider = Provider("pulumi:providers:aws", "p", {"defaultTags": '{"tags": {"deployment-model": "private-cloud"}}'})
    assert analyze(POLICY, IGW, {}, config=ALLOW, provider=provider).has("'private-cloud' deployment")


def test_private_nat_gateway_is_not_applicable() -> None:
    result = analyze(POLICY, NAT, {"connectivityType": "private"})
    assert not result.diagnostics and result.not_applicable
