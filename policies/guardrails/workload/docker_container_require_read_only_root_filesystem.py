"""docker-container-require-read-only-root-filesystem: edge containers cannot write to their image."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name
from .._props import is_true

SPEC = Spec(
    name="docker-container-require-read-only-root-filesystem",
    area="workload",
    description="Docker containers run with a read-only root filesystem.",
    severity=Severity.MEDIUM,
    remediation="Set read_only=True and mount tmpfs (tmpfs={'/tmp': 'size=...'}) or volumes where it must write.",
    hipaa=("164.312(c)(1)",),
    nist=("CM-7", "SI-7"),
    resource_types=(CONTAINER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    if not is_true(args.props, "readOnly"):
        report(f"container '{container_name(args.props, args.name)}' does not set readOnly: true.")


POLICY = resource_policy(SPEC, _check)
