"""aws-ec2-node-disallow-public-ip: nodes get no public IP (launch templates, instances, subnets)."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import as_list, get, is_true

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
SUBNET = "aws:ec2/subnet:Subnet"

SPEC = Spec(
    name="aws-ec2-node-disallow-public-ip",
    area="exposure",
    description=(
        "Nodes get no public IP address: launch templates and instances don't associate one and subnets don't "
        "map one on launch."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Set associate_public_ip_address to false (or leave it unset) on launch template network interfaces and "
        "instances, and map_public_ip_on_launch=False on every subnet; reach the internet through NAT if at all."
    ),
    hipaa=("164.312(a)(1)", "164.312(e)(1)"),
    nist=("SC-7", "SC-7(5)"),
    resource_types=(LAUNCH_TEMPLATE, INSTANCE, SUBNET),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    if args.resource_type == LAUNCH_TEMPLATE:
        for index, interface in enumerate(as_list(get(args.props, "networkInterfaces"))):
            if is_true(interface, "associatePublicIpAddress"):
                report(f"launch template '{args.name}' networkInterfaces[{index}] associates a public IP address.")
    elif args.resource_type == INSTANCE:
        if is_true(args.props, "associatePublicIpAddress"):
            report(f"instance '{args.name}' associates a public IP address.")
    elif is_true(args.props, "mapPublicIpOnLaunch"):
        report(f"subnet '{args.name}' maps a public IP address on launch (mapPublicIpOnLaunch: true).")


POLICY = resource_policy(SPEC, _check)
