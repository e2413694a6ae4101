"""kubernetes-pod-require-dropped-capabilities: drop ALL capabilities, add back only allowed ones."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, containers, pod_template, workload_label
from .._props import get, str_list

SPEC = Spec(
    name="kubernetes-pod-require-dropped-capabilities",
    area="workload",
    description="Every container drops ALL Linux capabilities and adds back only allowed ones.",
    severity=Severity.HIGH,
    remediation="Set securityContext.capabilities.drop=['ALL']; add back only capabilities in allowedCapabilities.",
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "CM-7"),
    config={
        "allowedCapabilities": {
            **_params.STRING_LIST,
            "description": "Capabilities a container may add back after dropping ALL (e.g. NET_BIND_SERVICE).",
            "default": [],
        }
    },
    resource_types=WORKLOAD_TYPES,
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    what = workload_label(args.resource_type, args.props, args.name)
    allowed = {cap.upper().removeprefix("CAP_") for cap in config["allowedCapabilities"]}
    for label, container in containers(template.spec):
        capabilities = get(container, "securityContext", "capabilities")
        if "ALL" not in [cap.upper() for cap in str_list(get(capabilities, "drop"))]:
            report(f"{what} {label} does not drop ALL capabilities.")
        added = [cap for cap in str_list(get(capabilities, "add")) if cap.upper().removeprefix("CAP_") not in allowed]
        if added:
            report(f"{what} {label} adds capabilities {added}, not in allowedCapabilities {sorted(allowed)}.")


POLICY = resource_policy(SPEC, _check)
