"""aws-security-group-disallow-open-ingress."""

from __future__ import annotations

import pytest
from guardrails.exposure.aws_security_group_disallow_open_ingress import POLICY

from tests.policies.harness import UNKNOWN, Provider, analyze

SG = "aws:ec2/securityGroup:SecurityGroup"
RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EXEMPT = {"allowPublicHttpsOnDesignatedLoadBalancer": True}
DESIGNATED = {"inference.exposure/public-lb": "true"}


def _sg(cidr: str, port: int = 443, tags: dict | None = None) -> dict:
    rule = {"protocol": "tcp", "fromPort": port, "toPort": port, "cidrBlocks": [cidr]}
    return {"vpcId": UNKNOWN, "ingress": [rule], "tags": tags or {}}


def test_vpc_cidr_ingress_passes() -> None:
    assert analyze(POLICY, SG, _sg("10.20.0.0/16")).passed


@pytest.mark.parametrize(
    ("type_", "props", "fragment"),
    [
        (SG, _sg("0.0.0.0/0", 22), "ingress[0] allows ingress from ['0.0.0.0/0'] (protocol tcp, ports 22-22)"),
        (
            SG,
            {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}]},
            "allows ingress from ['::/0']",
        ),
        (
            RULE,
            {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
            "security group rule 'res' allows ingress",
        ),
        (
            INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 8000, "toPort": 8000, "cidrIpv4": "0.0.0.0/0"},
            "ingress rule 'res' allows ingress",
        ),
    ],
)
def test_open_ingress_violates(type_: str, props: dict, fragment: str) -> None:
    result = analyze(POLICY, type_, props)
    assert result.has(fragment), result.messages


def test_egress_rules_are_ignored() -> None:
    props = {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}
    assert analyze(POLICY, RULE, props).passed


def test_https_on_designated_load_balancer_needs_the_profile_switch() -> None:
    designated = _sg("0.0.0.0/0", 443, DESIGNATED)
    assert analyze(POLICY, SG, designated).has("allows ingress from ['0.0.0.0/0']")
    assert analyze(POLICY, SG, designated, config=EXEMPT).passed


def test_designation_via_provider_default_tags_counts() -> None:
    provider = Provider(
        "pulumi:providers:aws", "lb", {"defaultTags": '{"tags": {"inference.exposure/public-lb": "true"}}'}
    )
    assert analyze(POLICY, SG, _sg("0.0.0.0/0"), config=EXEMPT, provider=provider).passed


def test_exception_covers_only_tcp_443() -> None:
    assert analyze(POLICY, SG, _sg("0.0.0.0/0", 80, DESIGNATED), config=EXEMPT).has("ports 80-80")
    rule = {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0", "tags": DESIGNATED}
    assert analyze(POLICY, INGRESS_RULE, rule, config=EXEMPT).passed


def test_missing_rules_do_not_crash() -> None:
    assert analyze(POLICY, SG, {}).passed
    assert analyze(POLICY, RULE, {"type": "ingress"}).passed
