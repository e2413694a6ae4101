"""docker-container-disallow-privileged: no privileged edge containers."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name
from .._props import is_true

SPEC = Spec(
    name="docker-container-disallow-privileged",
    area="workload",
    description="Docker containers do not run privileged (GPU access goes through gpus/device requests instead).",
    severity=Severity.CRITICAL,
    remediation="Remove privileged=True; give GPU access with gpus='all' or device_requests, devices for Jetson.",
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "AC-6(10)", "CM-7"),
    resource_types=(CONTAINER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    if is_true(args.props, "privileged"):
        report(f"container '{container_name(args.props, args.name)}' is privileged.")


POLICY = resource_policy(SPEC, _check)
