"""kubernetes-pod-require-non-root: every container runs as a non-root user."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Pending, Report, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, containers, effective_security, pod_template, workload_label
from .._props import as_bool, as_number

SPEC = Spec(
    name="kubernetes-pod-require-non-root",
    area="workload",
    description="Every container of a Kubernetes workload runs as non-root (runAsNonRoot: true, runAsUser not 0).",
    severity=Severity.HIGH,
    remediation=(
        "Set securityContext.runAsNonRoot=true and a non-zero runAsUser on the pod (or on each container); "
        "use an image that works as that user."
    ),
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "CM-7"),
    resource_types=WORKLOAD_TYPES,
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    what = workload_label(args.resource_type, args.props, args.name)
    pending = Pending()
    for label, container in containers(template.spec):
        with pending.check():
            user = as_number(effective_security(template.spec, container, "runAsUser"))
            if user == 0:
                report(f"{what} {label} runs as root (runAsUser: 0).")
            elif as_bool(effective_security(template.spec, container, "runAsNonRoot")) is not True:
                report(f"{what} {label} does not set runAsNonRoot: true.")
    pending.finish()


POLICY = resource_policy(SPEC, _check)
