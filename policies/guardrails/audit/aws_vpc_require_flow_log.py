"""aws-vpc-require-flow-log: every VPC records its traffic (stack policy joining VPCs and flow logs)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from .._base import Config, Pending, Spec, StackReport, stack_policy
from .._props import get, kind, known_str
from .._stack import linked, of_types

VPC_TYPE = "aws:ec2/vpc:Vpc"
FLOW_LOG_TYPE = "aws:ec2/flowLog:FlowLog"

SPEC = Spec(
    name="aws-vpc-require-flow-log",
    area="audit",
    description="Every VPC has a flow log capturing the required traffic type (ALL by default).",
    severity=Severity.MEDIUM,
    remediation=(
        "Add an aws.ec2.FlowLog with vpc_id=<vpc>.id, traffic_type='ALL' and a KMS-encrypted CloudWatch log group "
        "(or S3) destination."
    ),
    hipaa=("164.312(b)",),
    nist=("AU-2", "AU-12", "SI-4"),
    config={
        "trafficType": {
            "type": "string",
            "enum": ["ALL", "REJECT", "ACCEPT"],
            "description": "Traffic type the flow log must capture (ALL covers the others).",
            "default": "ALL",
        }
    },
    resource_types=(VPC_TYPE, FLOW_LOG_TYPE),
)


def _shortfall(traffic: Any, required: str) -> str | None:
    """What a flow log with ``trafficType`` ``traffic`` lacks to capture ``required``; None if nothing."""
    if traffic in ("ALL", required):
        return None
    if isinstance(traffic, str):
        return f"captures {traffic!r}, not {required!r}"
    if traffic is None:
        return f"sets no trafficType, so it does not capture {required!r}"
    return f"trafficType is {kind(traffic)}, not a traffic type such as {required!r}"


def _check(args: StackValidationArgs, report: StackReport, config: Config) -> None:
    vpcs = of_types(args.resources, (VPC_TYPE,))
    covered: set[str] = set()
    wrong: dict[str, str] = {}
    undecided: set[str] = set()
    unjoined = False
    pending = Pending()
    for flow_log in of_types(args.resources, (FLOW_LOG_TYPE,)):
        targets = linked(flow_log, "vpcId", vpcs)
        if not targets:
            try:
                vpc_id = get(flow_log.props, "vpcId")
            except UnknownValueError as exc:
                pending.record(exc)
                unjoined = True
                continue
            targets = [vpc for vpc in vpcs if vpc_id is not None and known_str(vpc.props, "id") == vpc_id]
        try:
            traffic = get(flow_log.props, "trafficType")
        except UnknownValueError as exc:
            # Undecided, not covered: a computed trafficType may be REJECT-only; the SDK's advisory makes that visible.
            pending.record(exc)
            undecided.update(vpc.urn for vpc in targets)
            continue
        shortfall = _shortfall(traffic, config["trafficType"])
        for vpc in targets:
            if shortfall is None:
                covered.add(vpc.urn)
            else:
                wrong[vpc.urn] = shortfall
    for vpc in vpcs:
        if vpc.urn in covered or vpc.urn in undecided:
            continue
        if vpc.urn in wrong:
            report(f"VPC '{vpc.name}' flow log {wrong[vpc.urn]}.", vpc.urn)
        elif not unjoined:
            report(f"VPC '{vpc.name}' has no flow log.", vpc.urn)
    pending.finish()


POLICY = stack_policy(SPEC, _check)
