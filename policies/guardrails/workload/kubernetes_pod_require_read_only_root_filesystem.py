"""kubernetes-pod-require-read-only-root-filesystem: containers cannot write to their image."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, containers, pod_template, workload_label
from .._props import as_bool, get

SPEC = Spec(
    name="kubernetes-pod-require-read-only-root-filesystem",
    area="workload",
    description="Every container has a read-only root filesystem.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set securityContext.readOnlyRootFilesystem=true; mount emptyDir volumes where the process must write "
        "(/tmp, caches)."
    ),
    hipaa=("164.312(c)(1)",),
    nist=("CM-7", "SI-7"),
    resource_types=WORKLOAD_TYPES,
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    what = workload_label(args.resource_type, args.props, args.name)
    for label, container in containers(template.spec):
        if as_bool(get(container, "securityContext", "readOnlyRootFilesystem")) is not True:
            report(f"{what} {label} does not set readOnlyRootFilesystem: true.")


POLICY = resource_policy(SPEC, _check)
