"""kubernetes-pod-disallow-host-path: no hostPath volumes outside allowed namespaces."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, namespace_allowed, pod_template, workload_label
from .._props import as_list, get, has_key

SPEC = Spec(
    name="kubernetes-pod-disallow-host-path",
    area="workload",
    description="Kubernetes workloads mount no hostPath volume, except in allow-listed namespaces (the GPU operator).",
    severity=Severity.HIGH,
    remediation="Use emptyDir, a PersistentVolumeClaim or a CSI volume instead of hostPath.",
    hipaa=("164.312(a)(1)", "164.312(c)(1)"),
    nist=("AC-6", "SC-39", "CM-7"),
    config={"allowedNamespaces": _params.HOST_ACCESS_NAMESPACES},
    resource_types=WORKLOAD_TYPES,
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    paths = [
        str(get(volume, "hostPath", "path") or get(volume, "name") or "?")
        for volume in as_list(get(template.spec, "volumes"))
        if has_key(volume, "hostPath")
    ]
    if paths and not namespace_allowed(args.props, config):
        what = workload_label(args.resource_type, args.props, args.name)
        report(f"{what} mounts hostPath volumes {paths}.")


POLICY = resource_policy(SPEC, _check)
