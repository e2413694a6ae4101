"""aws-security-group-disallow-open-ingress: no ingress from 0.0.0.0/0 or ::/0 (443 on a designated public LB only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from .. import conventions
from .._aws import effective_tags
from .._base import Config, Report, Spec, resource_policy
from .._props import as_list, as_number, get, str_list

SG_TYPE = "aws:ec2/securityGroup:SecurityGroup"
RULE_TYPE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
OPEN = ("0.0.0.0/0", "::/0")

SPEC = Spec(
    name="aws-security-group-disallow-open-ingress",
    area="exposure",
    description=(
        "Security groups take no ingress from 0.0.0.0/0 or ::/0; the only exception, when the profile allows it, "
        f"is TCP 443 on a security group tagged {conventions.PUBLIC_LB_DESIGNATION}=true (the public load balancer)."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Restrict the rule's source to the VPC CIDR, a prefix list or a security group; for the designated public "
        f"load balancer, allow only TCP 443 and tag the security group / ingress rule "
        f"{conventions.PUBLIC_LB_DESIGNATION}=true."
    ),
    hipaa=("164.312(a)(1)", "164.312(e)(1)"),
    nist=("SC-7", "SC-7(5)", "CM-7"),
    config={
        "allowPublicHttpsOnDesignatedLoadBalancer": {
            "type": "boolean",
            "description": (
                f"Accept TCP 443 from anywhere on resources tagged {conventions.PUBLIC_LB_DESIGNATION}=true."
            ),
            "default": False,
        }
    },
    resource_types=(SG_TYPE, RULE_TYPE, INGRESS_RULE_TYPE),
)


def _is_https_only(protocol: Any, from_port: Any, to_port: Any) -> bool:
    low, high = as_number(from_port), as_number(to_port)
    return str(protocol).lower() in ("tcp", "6") and low == 443.0 and high == 443.0


def _check_rule(
    what: str, rule: Mapping[str, Any], cidrs: list[str], report: Report, *, exempt: bool, protocol_key: str
) -> None:
    open_cidrs = [cidr for cidr in cidrs if cidr in OPEN]
    if not open_cidrs:
        return
    protocol, low, high = get(rule, protocol_key), get(rule, "fromPort"), get(rule, "toPort")
    if exempt and _is_https_only(protocol, low, high):
        return
    report(f"{what} allows ingress from {open_cidrs} (protocol {protocol}, ports {_port(low)}-{_port(high)}).")


def _port(value: Any) -> str:
    number = as_number(value)
    return str(int(number)) if number is not None else "?"


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    tags = effective_tags(args.props, args.provider)
    designated = tags.get(conventions.PUBLIC_LB_DESIGNATION) == "true"
    exempt = bool(config["allowPublicHttpsOnDesignatedLoadBalancer"]) and designated
    if args.resource_type == SG_TYPE:
        for index, rule in enumerate(as_list(get(args.props, "ingress"))):
            cidrs = str_list(get(rule, "cidrBlocks")) + str_list(get(rule, "ipv6CidrBlocks"))
            what = f"security group '{args.name}' ingress[{index}]"
            _check_rule(what, rule, cidrs, report, exempt=exempt, protocol_key="protocol")
    elif args.resource_type == RULE_TYPE:
        if get(args.props, "type") != "ingress":
            return
        cidrs = str_list(get(args.props, "cidrBlocks")) + str_list(get(args.props, "ipv6CidrBlocks"))
        # aws.ec2.SecurityGroupRule has no tags, so it can't be designated: use SecurityGroupIngressRule.
        what = f"security group rule '{args.name}'"
        _check_rule(what, args.props, cidrs, report, exempt=False, protocol_key="protocol")
    else:
        cidrs = [c for c in (get(args.props, "cidrIpv4"), get(args.props, "cidrIpv6")) if isinstance(c, str)]
        what = f"ingress rule '{args.name}'"
        _check_rule(what, args.props, cidrs, report, exempt=exempt, protocol_key="ipProtocol")


POLICY = resource_policy(SPEC, _check)
