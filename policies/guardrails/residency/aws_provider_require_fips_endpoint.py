"""aws-provider-require-fips-endpoint: AWS providers use FIPS 140 validated endpoints (FedRAMP)."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._aws import PROVIDER_TYPE
from .._base import Config, Report, Spec, resource_policy
from .._props import as_bool, get, provider_value

SPEC = Spec(
    name="aws-provider-require-fips-endpoint",
    area="residency",
    description="Every AWS provider, explicit or default, uses FIPS endpoints.",
    severity=Severity.HIGH,
    remediation=(
        "Set `aws:useFipsEndpoint: true` in the stack config (default provider) or `use_fips_endpoint=True` "
        "on the explicit aws.Provider."
    ),
    hipaa=("164.312(e)(2)(ii)",),
    nist=("SC-13", "SC-8(1)"),
    resource_types=(PROVIDER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    if as_bool(provider_value(get(args.props, "useFipsEndpoint"))) is not True:
        report(f"AWS provider '{args.name}' does not set useFipsEndpoint: true.")


POLICY = resource_policy(SPEC, _check)
