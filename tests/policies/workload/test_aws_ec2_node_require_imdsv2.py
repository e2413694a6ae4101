"""aws-ec2-node-require-imdsv2."""

from __future__ import annotations

import pytest
from guardrails.workload.aws_ec2_node_require_imdsv2 import POLICY

from tests.policies.harness import DELETE, UNKNOWN, analyze, patched

LT = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
COMPLIANT = {"metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}}


def test_imdsv2_template_passes() -> None:
    assert analyze(POLICY, LT, COMPLIANT).passed


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("metadataOptions.httpTokens", "optional", "does not set metadataOptions.httpTokens: required"),
        ("metadataOptions", DELETE, "does not set metadataOptions.httpTokens: required"),
        ("metadataOptions.httpPutResponseHopLimit", 3, "allows 3 metadata hops, more than maxHopLimit 1"),
    ],
)
def test_each_gap_violates(path: str, value: object, fragment: str) -> None:
    assert analyze(POLICY, LT, patched(COMPLIANT, path, value)).has(fragment)


def test_hop_limit_is_configurable() -> None:
    props = patched(COMPLIANT, "metadataOptions.httpPutResponseHopLimit", 2)
    assert analyze(POLICY, LT, props, config={"maxHopLimit": 2}).passed


def test_disabled_metadata_service_passes() -> None:
    assert analyze(POLICY, "aws:ec2/instance:Instance", {"metadataOptions": {"httpEndpoint": "disabled"}}).passed


def test_node_group_must_use_a_launch_template() -> None:
    assert analyze(POLICY, NODE_GROUP, {"launchTemplate": {"id": UNKNOWN, "version": UNKNOWN}}).passed
    assert analyze(POLICY, NODE_GROUP, {"instanceTypes": ["g5.xlarge"]}).has("uses the EKS default launch template")
