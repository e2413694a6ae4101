"""kubernetes-pod-disallow-host-namespaces: no hostNetwork, hostPID, hostIPC or hostPort outside allowed namespaces."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, containers, namespace_allowed, pod_template, workload_label
from .._props import as_list, as_number, get, is_true

SPEC = Spec(
    name="kubernetes-pod-disallow-host-namespaces",
    area="workload",
    description=(
        "Kubernetes workloads share no host namespace (hostNetwork, hostPID, hostIPC) and bind no hostPort, "
        "except in allow-listed namespaces (the GPU operator)."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Remove hostNetwork/hostPID/hostIPC and container hostPort; expose through a Service instead. System "
        "add-ons that need host access belong in a namespace listed in allowedNamespaces."
    ),
    hipaa=("164.312(a)(1)",),
    nist=("SC-39", "AC-6", "SC-7"),
    config={"allowedNamespaces": _params.HOST_ACCESS_NAMESPACES},
    resource_types=WORKLOAD_TYPES,
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    found = [key for key in ("hostNetwork", "hostPID", "hostIPC") if is_true(template.spec, key)]
    for label, container in containers(template.spec):
        for port in as_list(get(container, "ports")):
            host_port = as_number(get(port, "hostPort"))
            if host_port:
                found.append(f"{label} hostPort {int(host_port)}")
    # The namespace is read only when host access is requested (it is often computed at preview).
    if found and not namespace_allowed(args.props, config):
        what = workload_label(args.resource_type, args.props, args.name)
        report(f"{what} uses host namespaces/ports: {', '.join(found)}.")


POLICY = resource_policy(SPEC, _check)
