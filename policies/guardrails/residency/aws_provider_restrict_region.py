"""aws-provider-restrict-region: every AWS provider (explicit and default) targets an allowed region."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._aws import PROVIDER_TYPE
from .._base import Config, Report, Spec, resource_policy
from .._props import get, present

SPEC = Spec(
    name="aws-provider-restrict-region",
    area="residency",
    description="Every AWS provider, explicit or default, targets a region where data may reside.",
    severity=Severity.HIGH,
    remediation=(
        "Set `aws:region` in the stack config (default provider) or `region` on the explicit aws.Provider "
        "to one of the profile's allowedRegions."
    ),
    hipaa=("164.308(a)(1)(ii)(B)",),
    nist=("SA-9(5)", "AC-4"),
    config={"allowedRegions": _params.ALLOWED_REGIONS},
    resource_types=(PROVIDER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    allowed = list(config["allowedRegions"])
    if not present(args.props, "region"):
        report(
            f"AWS provider '{args.name}' sets no region, so AWS picks it from the environment; "
            f"set one of allowedRegions {allowed}."
        )
        return
    region = get(args.props, "region")
    if region not in allowed:
        report(f"AWS provider '{args.name}' targets region {region!r}, which is not in allowedRegions {allowed}.")


POLICY = resource_policy(SPEC, _check)
