"""aws-vpc-disallow-internet-egress: no internet or NAT gateway where the profile or the model forbids egress."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params, conventions
from .._aws import effective_tags
from .._base import Config, Report, Spec, resource_policy
from .._props import get

IGW = "aws:ec2/internetGateway:InternetGateway"
EGRESS_ONLY_IGW = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
NAT = "aws:ec2/natGateway:NatGateway"

SPEC = Spec(
    name="aws-vpc-disallow-internet-egress",
    area="exposure",
    description=(
        "No internet gateway, egress-only internet gateway or public NAT gateway in stacks whose profile forbids "
        "internet egress, or whose deployment-model tag is one of noEgressModels (private cloud)."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Remove the gateway; reach AWS services through VPC endpoints (PrivateLink) and the tenant network "
        "through the Transit Gateway / VPN."
    ),
    hipaa=("164.312(e)(1)", "164.312(a)(1)"),
    nist=("SC-7", "SC-7(5)", "AC-4"),
    config={
        "allowInternetEgress": {
            "type": "boolean",
            "description": "The profile allows internet / NAT gateways (subject to noEgressModels).",
            "default": False,
        },
        "noEgressModels": {
            **_params.STRING_LIST,
            "description": "Values of the deployment-model tag that never get an internet path.",
            "default": ["private-cloud"],
        },
    },
    resource_types=(IGW, EGRESS_ONLY_IGW, NAT),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if args.resource_type == NAT and get(args.props, "connectivityType") == "private":
        args.not_applicable("a private NAT gateway has no path to the internet")
    kind = args.resource_type.rsplit(":", 1)[-1]
    model = effective_tags(args.props, args.provider).get(conventions.DEPLOYMENT_MODEL)
    if model in list(config["noEgressModels"]):
        report(f"{kind} '{args.name}' gives a '{model}' deployment a path to the internet.")
    elif not config["allowInternetEgress"]:
        report(f"{kind} '{args.name}' gives the VPC a path to the internet, which the profile forbids.")


POLICY = resource_policy(SPEC, _check)
