"""docker-container-require-resource-limits: edge containers cap memory and CPU."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name
from .._props import as_number, get

SPEC = Spec(
    name="docker-container-require-resource-limits",
    area="workload",
    description="Docker containers set a memory limit and a CPU limit (cpus, or cpu_quota with cpu_period).",
    severity=Severity.MEDIUM,
    remediation="Set memory=<MiB> and cpus='<n>' (or cpu_quota/cpu_period) on the docker.Container.",
    hipaa=("164.308(a)(7)(ii)(E)",),
    nist=("SC-6", "SC-5"),
    resource_types=(CONTAINER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    name = container_name(args.props, args.name)
    if not (as_number(get(args.props, "memory")) or 0) > 0:
        report(f"container '{name}' has no memory limit.")
    cpus = as_number(get(args.props, "cpus")) or 0
    quota = as_number(get(args.props, "cpuQuota")) or 0
    if cpus <= 0 and quota <= 0:
        report(f"container '{name}' has no CPU limit (cpus or cpuQuota).")


POLICY = resource_policy(SPEC, _check)
