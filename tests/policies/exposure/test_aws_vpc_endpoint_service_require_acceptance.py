"""aws-vpc-endpoint-service-require-acceptance."""

from __future__ import annotations

from guardrails.exposure.aws_vpc_endpoint_service_require_acceptance import POLICY

from tests.policies.harness import UNKNOWN, analyze

SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"
PRINCIPAL = "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple"
COMPLIANT = {
    "acceptanceRequired": True,
    "networkLoadBalancerArns": [UNKNOWN],
    "allowedPrincipals": ["arn:aws-us-gov:iam::111122223333:root"],
}


def test_acceptance_required_with_named_principals_passes() -> None:
    assert analyze(POLICY, SERVICE, COMPLIANT).passed


def test_auto_accept_violates() -> None:
    assert analyze(POLICY, SERVICE, {**COMPLIANT, "acceptanceRequired": False}).has("does not require acceptance")


def test_missing_acceptance_flag_violates() -> None:
    assert analyze(POLICY, SERVICE, {}).has("does not require acceptance")


def test_wildcard_principal_violates() -> None:
    assert analyze(POLICY, SERVICE, {**COMPLIANT, "allowedPrincipals": ["*"]}).has("allowedPrincipals contains '*'")
    assert analyze(POLICY, PRINCIPAL, {"principalArn": "*", "vpcEndpointServiceId": UNKNOWN}).has(
        "allows every AWS account"
    )


def test_named_principal_resource_passes() -> None:
    assert analyze(POLICY, PRINCIPAL, {"principalArn": "arn:aws:iam::111122223333:root"}).passed
