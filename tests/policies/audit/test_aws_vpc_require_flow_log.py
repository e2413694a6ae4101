"""aws-vpc-require-flow-log (stack policy)."""

from __future__ import annotations

from guardrails.audit.aws_vpc_require_flow_log import POLICY

from tests.policies.harness import UNKNOWN, Res, analyze_stack

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"


def _stack(traffic: str = "ALL", *, linked: bool = True) -> list[Res]:
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
