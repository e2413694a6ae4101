"""aws-vpc-endpoint-service-require-acceptance: PrivateLink services need acceptance and name their consumers."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import get, is_true, str_list

SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"
PRINCIPAL = "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple"

SPEC = Spec(
    name="aws-vpc-endpoint-service-require-acceptance",
    area="exposure",
    description=(
        "PrivateLink endpoint services require acceptance of each connection and never allow every AWS principal ('*')."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Set acceptance_required=True on the aws.ec2.VpcEndpointService and list consumer account / role ARNs in "
        "allowed_principals (never '*')."
    ),
    hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)"),
    nist=("AC-3", "AC-4", "SC-7"),
    resource_types=(SERVICE, PRINCIPAL),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    if args.resource_type == PRINCIPAL:
        if get(args.props, "principalArn") == "*":
            report(f"endpoint service principal '{args.name}' allows every AWS account ('*').")
        return
    if not is_true(args.props, "acceptanceRequired"):
        report(f"endpoint service '{args.name}' does not require acceptance (acceptanceRequired is not true).")
    if "*" in str_list(get(args.props, "allowedPrincipals")):
        report(f"endpoint service '{args.name}' allows every AWS account (allowedPrincipals contains '*').")


POLICY = resource_policy(SPEC, _check)
