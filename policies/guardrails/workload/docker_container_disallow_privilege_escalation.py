"""docker-container-disallow-privilege-escalation: no-new-privileges is set."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name, security_opts

SPEC = Spec(
    name="docker-container-disallow-privilege-escalation",
    area="workload",
    description="Docker containers set the no-new-privileges security option.",
    severity=Severity.HIGH,
    remediation="Add 'no-new-privileges:true' to security_opts on the docker.Container.",
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "CM-7"),
    resource_types=(CONTAINER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    if not any(opt in ("no-new-privileges", "no-new-privileges=true") for opt in security_opts(args.props)):
        report(f"container '{container_name(args.props, args.name)}' does not set no-new-privileges.")


POLICY = resource_policy(SPEC, _check)
