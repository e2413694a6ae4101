"""kubernetes-pod-disallow-privilege-escalation: allowPrivilegeEscalation is explicitly false."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, containers, pod_template, workload_label
from .._props import as_bool, get

SPEC = Spec(
    name="kubernetes-pod-disallow-privilege-escalation",
    area="workload",
    description="Every container sets allowPrivilegeEscalation: false (Kubernetes defaults it to true).",
    severity=Severity.HIGH,
    remediation="Set securityContext.allowPrivilegeEscalation=false on every container.",
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "CM-7"),
    resource_types=WORKLOAD_TYPES,
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    what = workload_label(args.resource_type, args.props, args.name)
    for label, container in containers(template.spec):
        if as_bool(get(container, "securityContext", "allowPrivilegeEscalation")) is not False:
            report(f"{what} {label} does not set allowPrivilegeEscalation: false.")


POLICY = resource_policy(SPEC, _check)
