"""kubernetes-pod-require-gpu-toleration: GPU workloads tolerate the GPU taint (and only GPU workloads need it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params, conventions
from .._base import Config, Report, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, containers, pod_template, resource_quantity, workload_label
from .._props import as_list, as_number, get

SPEC = Spec(
    name="kubernetes-pod-require-gpu-toleration",
    area="workload",
    description=(
        f"Workloads that request {conventions.GPU_RESOURCE} tolerate the GPU node taint "
        f"{conventions.GPU_TAINT_KEY}={conventions.GPU_TAINT_VALUE}:{conventions.GPU_TAINT_EFFECT}."
    ),
    severity=Severity.LOW,
    remediation=(
        f"Add the toleration {{key: {conventions.GPU_TAINT_KEY}, operator: Equal, "
        f"value: {conventions.GPU_TAINT_VALUE}, effect: {conventions.GPU_TAINT_EFFECT}}} (or operator Exists) "
        "to the pod spec."
    ),
    hipaa=(),
    nist=("CM-6", "SC-6"),
    config=_params.gpu_taint("GPU taint effect."),
    resource_types=WORKLOAD_TYPES,
)


def _tolerates(toleration: Mapping[str, Any], config: Config) -> bool:
    if get(toleration, "key") not in (config["taintKey"], None):
        return False
    if get(toleration, "effect") not in (config["taintEffect"], None, ""):
        return False
    operator = get(toleration, "operator") or "Equal"
    return operator == "Exists" or get(toleration, "value") == config["taintValue"]


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    wants_gpu = any(
        (as_number(resource_quantity(container, kind, conventions.GPU_RESOURCE)) or 0) > 0
        for _, container in containers(template.spec)
        for kind in ("limits", "requests")
    )
    if not wants_gpu:
        args.not_applicable(f"no container requests {conventions.GPU_RESOURCE}")
    if not any(_tolerates(t, config) for t in as_list(get(template.spec, "tolerations"))):
        taint = f"{config['taintKey']}={config['taintValue']}:{config['taintEffect']}"
        report(
            f"{workload_label(args.resource_type, args.props, args.name)} requests GPUs but does not tolerate {taint}."
        )


POLICY = resource_policy(SPEC, _check)
