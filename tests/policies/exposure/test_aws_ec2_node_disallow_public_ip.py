"""aws-ec2-node-disallow-public-ip."""

from __future__ import annotations

import pytest
from guardrails.exposure.aws_ec2_node_disallow_public_ip import POLICY

from tests.policies.harness import analyze

LT = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
SUBNET = "aws:ec2/subnet:Subnet"


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (LT, {"networkInterfaces": [{"associatePublicIpAddress": "false"}]}),
        (LT, {}),
        (INSTANCE, {"associatePublicIpAddress": False}),
        (SUBNET, {"cidrBlock": "10.0.1.0/24", "mapPublicIpOnLaunch": False}),
    ],
)
def test_private_nodes_pass(type_: str, props: dict) -> None:
    assert analyze(POLICY, type_, props).passed


@pytest.mark.parametrize(
    ("type_", "props", "fragment"),
    [
        (
            LT,
            {"networkInterfaces": [{"associatePublicIpAddress": "true"}]},
            "networkInterfaces[0] associates a public IP",
        ),
        (INSTANCE, {"associatePublicIpAddress": True}, "instance 'res' associates a public IP"),
        (SUBNET, {"mapPublicIpOnLaunch": True}, "subnet 'res' maps a public IP address on launch"),
    ],
)
def test_public_ips_violate(type_: str, props: dict, fragment: str) -> None:
    assert analyze(POLICY, type_, props).has(fragment)
