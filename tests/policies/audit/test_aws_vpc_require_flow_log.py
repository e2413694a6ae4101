"""aws-vpc-require-flow-log (stack policy)."""

from __future__ import annotations

from typing import Any

import pytest
from guardrails.audit.aws_vpc_require_flow_log import POLICY

from tests.policies.harness import UNKNOWN, Res, analyze_stack

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"


def _stack(traffic: Any = "ALL", *, linked: bool = True) -> list[Res]:
    return [
        Res(VPC, "net-vpc", {"cidrBlock": "10.20.0.0/16"}),
        Res(
            FLOW_LOG,
            "net-flow-logs",
            {"vpcId": UNKNOWN, "trafficType": traffic, "logDestination": UNKNOWN},
            {"vpcId": ["net-vpc"]} if linked else {},
        ),
    ]


def test_vpc_with_flow_log_passes_at_preview() -> None:
    assert analyze_stack(POLICY, _stack()).passed


def test_vpc_without_flow_log_violates() -> None:
    result = analyze_stack(POLICY, [Res(VPC, "net-vpc", {})])
    assert result.has("VPC 'net-vpc' has no flow log")
    assert result.violations[0].urn.endswith("::net-vpc")


def test_reject_only_flow_log_violates_unless_configured() -> None:
    assert analyze_stack(POLICY, _stack("REJECT")).has("flow log captures 'REJECT', not 'ALL'")
    assert analyze_stack(POLICY, _stack("REJECT"), config={"trafficType": "REJECT"}).passed


def test_flow_log_joined_by_known_vpc_id() -> None:
    resources = _stack(linked=False)
    resources[0].props = {"id": "vpc-0abc"}
    resources[1].props = {"vpcId": "vpc-0abc", "trafficType": "ALL"}
    assert analyze_stack(POLICY, resources).passed


def test_unjoinable_flow_log_is_undecided() -> None:
    result = analyze_stack(POLICY, _stack(linked=False))
    assert not result.violations and len(result.undecided) == 1


def test_unknown_traffic_type_is_undecided_not_a_missing_flow_log() -> None:
    result = analyze_stack(POLICY, _stack(UNKNOWN))
    assert not result.violations and len(result.undecided) == 1


def test_unknown_traffic_type_leaves_other_vpcs_decided() -> None:
    result = analyze_stack(POLICY, [*_stack(UNKNOWN), Res(VPC, "lab-vpc", {"cidrBlock": "10.30.0.0/16"})])
    assert result.has("VPC 'lab-vpc' has no flow log")
    assert not result.has("VPC 'net-vpc'")
    assert len(result.undecided) == 1


@pytest.mark.parametrize(
    ("traffic", "kind"), [(["ALL"], "a list"), ({"type": "ALL"}, "an object"), (1.0, "a number"), (True, "a boolean")]
)
def test_wrong_typed_traffic_type_is_named_by_its_kind(traffic: Any, kind: str) -> None:
    result = analyze_stack(POLICY, _stack(traffic))
    assert result.messages[0].endswith(
        f"VPC 'net-vpc' flow log trafficType is {kind}, not a traffic type such as 'ALL'."
    )


def test_flow_log_without_traffic_type_violates() -> None:
    resources = _stack()
    resources[1].props = {"vpcId": UNKNOWN, "logDestination": UNKNOWN}
    assert analyze_stack(POLICY, resources).has(
        "VPC 'net-vpc' flow log sets no trafficType, so it does not capture 'ALL'"
    )
