"""aws-ec2-node-require-imdsv2: nodes require IMDSv2 session tokens with a short hop limit."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import as_number, get, present

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"

SPEC = Spec(
    name="aws-ec2-node-require-imdsv2",
    area="workload",
    description=(
        "Launch templates and instances require IMDSv2 (httpTokens: required) with a hop limit no higher than "
        "maxHopLimit; EKS node groups use such a launch template."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Set metadata_options={'http_tokens': 'required', 'http_put_response_hop_limit': 1, 'http_endpoint': "
        "'enabled'} on the launch template and attach it to the node group (launch_template=...)."
    ),
    hipaa=("164.312(a)(1)",),
    nist=("AC-3", "CM-6", "SC-7"),
    config={
        "maxHopLimit": {
            "type": "integer",
            "minimum": 1,
            "maximum": 64,
            "description": "Highest accepted httpPutResponseHopLimit (1 keeps node credentials away from pods).",
            "default": 1,
        }
    },
    resource_types=(LAUNCH_TEMPLATE, INSTANCE, NODE_GROUP),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if args.resource_type == NODE_GROUP:
        if not present(args.props, "launchTemplate"):
            report(f"node group '{args.name}' uses the EKS default launch template, which allows IMDSv1.")
        return
    kind = "launch template" if args.resource_type == LAUNCH_TEMPLATE else "instance"
    options = get(args.props, "metadataOptions")
    if get(options, "httpEndpoint") == "disabled":
        return  # no metadata service at all
    if get(options, "httpTokens") != "required":
        report(f"{kind} '{args.name}' does not set metadataOptions.httpTokens: required (IMDSv1 allowed).")
    hops = as_number(get(options, "httpPutResponseHopLimit"))
    limit = int(config["maxHopLimit"])
    if hops is not None and hops > limit:
        report(f"{kind} '{args.name}' allows {int(hops)} metadata hops, more than maxHopLimit {limit}.")


POLICY = resource_policy(SPEC, _check)
