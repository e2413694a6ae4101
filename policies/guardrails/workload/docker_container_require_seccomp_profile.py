"""docker-container-require-seccomp-profile: edge containers keep a seccomp (and AppArmor) profile."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name, security_opts

UNCONFINED = ("seccomp=unconfined", "apparmor=unconfined")

SPEC = Spec(
    name="docker-container-require-seccomp-profile",
    area="workload",
    description="Docker containers do not disable the default seccomp or AppArmor profile (no '...=unconfined').",
    severity=Severity.MEDIUM,
    remediation="Remove 'seccomp=unconfined' / 'apparmor=unconfined' from security_opts (or give a reviewed profile).",
    hipaa=("164.312(a)(1)",),
    nist=("CM-7", "SC-39"),
    resource_types=(CONTAINER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    found = [opt for opt in security_opts(args.props) if opt in UNCONFINED]
    if found:
        report(f"container '{container_name(args.props, args.name)}' runs unconfined: {found}.")


POLICY = resource_policy(SPEC, _check)
