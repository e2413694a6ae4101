"""kubernetes-pod-disallow-privileged: no privileged containers."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, containers, pod_template, workload_label
from .._props import as_bool, get

SPEC = Spec(
    name="kubernetes-pod-disallow-privileged",
    area="workload",
    description="No container of a Kubernetes workload runs privileged.",
    severity=Severity.CRITICAL,
    remediation="Remove securityContext.privileged (or set it to false); grant single capabilities only if needed.",
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "AC-6(10)", "CM-7"),
    resource_types=WORKLOAD_TYPES,
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    what = workload_label(args.resource_type, args.props, args.name)
    for label, container in containers(template.spec):
        if as_bool(get(container, "securityContext", "privileged")) is True:
            report(f"{what} {label} is privileged.")


POLICY = resource_policy(SPEC, _check)
