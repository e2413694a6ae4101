"""aws-eks-cluster-disallow-public-endpoint: the Kubernetes API endpoint is private (or allow-listed)."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import as_bool, get, has_key, is_true, str_list

OPEN = ("0.0.0.0/0", "::/0")

SPEC = Spec(
    name="aws-eks-cluster-disallow-public-endpoint",
    area="exposure",
    description=(
        "EKS clusters keep the API endpoint private; where the profile allows a public endpoint it is limited "
        "to an allow-list that never includes 0.0.0.0/0."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Set vpc_config endpoint_private_access=True and endpoint_public_access=False (AWS defaults to a public "
        "endpoint open to 0.0.0.0/0); if the profile allows public access, set public_access_cidrs to the "
        "operators' networks."
    ),
    hipaa=("164.312(a)(1)", "164.312(e)(1)"),
    nist=("SC-7", "SC-7(5)", "AC-17"),
    config={
        "allowPublicEndpoint": {
            "type": "boolean",
            "description": "Accept a public endpoint restricted by publicAccessCidrs (never 0.0.0.0/0).",
            "default": False,
        }
    },
    resource_types=("aws:eks/cluster:Cluster",),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    vpc = get(args.props, "vpcConfig")
    name = f"EKS cluster '{args.name}'"
    if not is_true(vpc, "endpointPrivateAccess"):
        report(f"{name} does not set vpcConfig.endpointPrivateAccess: true (nodes would reach the API publicly).")
    # AWS defaults endpointPublicAccess to true when it is not set.
    public = as_bool(get(vpc, "endpointPublicAccess")) if has_key(vpc, "endpointPublicAccess") else True
    if public is False:
        return
    if not config["allowPublicEndpoint"]:
        report(f"{name} has a public API endpoint (vpcConfig.endpointPublicAccess is not false).")
        return
    cidrs = str_list(get(vpc, "publicAccessCidrs"))
    if not cidrs:
        report(f"{name} has a public API endpoint without publicAccessCidrs (AWS opens it to 0.0.0.0/0).")
    elif any(cidr in OPEN for cidr in cidrs):
        report(f"{name} opens its public API endpoint to the internet (publicAccessCidrs {cidrs}).")


POLICY = resource_policy(SPEC, _check)
