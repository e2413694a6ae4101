"""aws-resource-restrict-region: a per-resource `region` override stays inside the allowed regions."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._props import get, has_key

SPEC = Spec(
    name="aws-resource-restrict-region",
    area="residency",
    description="An AWS resource that overrides its provider's region uses an allowed region.",
    severity=Severity.HIGH,
    remediation="Remove the resource's `region` argument or set it to one of the profile's allowedRegions.",
    hipaa=("164.308(a)(1)(ii)(B)",),
    nist=("SA-9(5)", "AC-4"),
    config={"allowedRegions": _params.ALLOWED_REGIONS},
    resource_types=("aws:*",),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if not has_key(args.props, "region"):
        return  # the provider's region applies; aws-provider-restrict-region checks it
    region = get(args.props, "region")
    if region is None or region == "":
        return
    allowed = list(config["allowedRegions"])
    if region not in allowed:
        report(f"{args.resource_type} '{args.name}' sets region {region!r}, which is not in allowedRegions {allowed}.")


POLICY = resource_policy(SPEC, _check)
