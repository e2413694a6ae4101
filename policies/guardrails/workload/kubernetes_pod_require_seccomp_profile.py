"""kubernetes-pod-require-seccomp-profile: every container runs under a seccomp profile."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, containers, effective_security, pod_template, workload_label
from .._props import get

ALLOWED = ("RuntimeDefault", "Localhost")

SPEC = Spec(
    name="kubernetes-pod-require-seccomp-profile",
    area="workload",
    description="Every container runs with a RuntimeDefault or Localhost seccomp profile (pod or container level).",
    severity=Severity.MEDIUM,
    remediation=(
        "Set securityContext.seccompProfile.type=RuntimeDefault on the pod (or Localhost with a reviewed profile)."
    ),
    hipaa=("164.312(a)(1)",),
    nist=("CM-7", "SC-39"),
    resource_types=WORKLOAD_TYPES,
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    what = workload_label(args.resource_type, args.props, args.name)
    for label, container in containers(template.spec):
        kind = get(effective_security(template.spec, container, "seccompProfile"), "type")
        if kind not in ALLOWED:
            shown = f"seccompProfile.type {kind!r}" if kind else "no seccompProfile"
            report(f"{what} {label} has {shown}; use one of {list(ALLOWED)}.")


POLICY = resource_policy(SPEC, _check)
