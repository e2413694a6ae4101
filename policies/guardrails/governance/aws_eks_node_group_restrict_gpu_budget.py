"""aws-eks-node-group-restrict-gpu-budget: GPU node pools stay within the GPU budget and allowed families."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from .. import _params
from .._base import Config, Pending, Spec, StackReport, stack_policy
from .._gpu import GPUS_PER_INSTANCE, family, is_gpu_instance
from .._props import as_number, declared, get, str_list
from .._stack import linked, of_types

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"

SPEC = Spec(
    name="aws-eks-node-group-restrict-gpu-budget",
    area="governance",
    description=(
        "The stack's GPU capacity at full scale (node group maxSize x GPUs per instance, plus GPU instances) stays "
        "within maxTotalGpus, and every GPU instance type is from an allowed family."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Lower gpuNodePools[].maxSize or pick smaller instance types; request a budget change from the owner of "
        "the compliance profile; use only allowedGpuFamilies."
    ),
    hipaa=(),
    nist=("CM-6", "PM-3", "SC-6"),
    config={
        "maxTotalGpus": {
            "type": "integer",
            "minimum": 0,
            "description": "Most GPUs the stack may run at full scale.",
            "default": 16,
        },
        "allowedGpuFamilies": {
            **_params.STRING_LIST,
            "description": "EC2 GPU instance families accepted (e.g. g5, g6, p5).",
            "default": ["g5", "g6", "g6e"],
        },
        "gpusPerInstanceType": {
            "type": "object",
            "additionalProperties": {"type": "integer", "minimum": 0},
            "description": "GPUs per instance type for types missing from the built-in table.",
            "default": {},
        },
    },
    resource_types=(NODE_GROUP, LAUNCH_TEMPLATE, INSTANCE),
)


def _instance_types(group: PolicyResource, templates: list[PolicyResource]) -> list[str]:
    # A whole unknown list is the provider computing it (the launch template names the type).
    types = str_list(declared(group.props, "instanceTypes"))
    if types:
        return types
    for template in linked(group, "launchTemplate", templates):
        instance_type = get(template.props, "instanceType")
        if isinstance(instance_type, str):
            return [instance_type]
    return []


def _gpus(instance_type: str, overrides: Mapping[str, Any]) -> int | None:
    if instance_type in overrides:
        return int(overrides[instance_type])
    return GPUS_PER_INSTANCE.get(instance_type)


def _check(args: StackValidationArgs, report: StackReport, config: Config) -> None:
    overrides = dict(config["gpusPerInstanceType"])
    families = list(config["allowedGpuFamilies"])
    templates = of_types(args.resources, (LAUNCH_TEMPLATE,))
    total = 0
    pending = Pending()
    capacity: list[tuple[PolicyResource, list[str], float]] = []
    for group in of_types(args.resources, (NODE_GROUP,)):
        with pending.check():
            capacity.append(
                (group, _instance_types(group, templates), as_number(get(group.props, "scalingConfig", "maxSize")) or 0)
            )
    for instance in of_types(args.resources, (INSTANCE,)):
        with pending.check():
            instance_type = get(instance.props, "instanceType")
            capacity.append((instance, [instance_type] if isinstance(instance_type, str) else [], 1))
    for resource, types, count in capacity:
        gpu_types = [t for t in types if is_gpu_instance(t) or t in overrides]
        for instance_type in gpu_types:
            if family(instance_type) not in families:
                report(
                    f"'{resource.name}' uses GPU instance type {instance_type}, not in allowedGpuFamilies {families}.",
                    resource.urn,
                )
        counts = [_gpus(t, overrides) for t in gpu_types]
        if any(c is None for c in counts):
            unknown = [t for t, c in zip(gpu_types, counts, strict=True) if c is None]
            report(f"'{resource.name}' GPU count of {unknown} is unknown; add it to gpusPerInstanceType.", resource.urn)
            continue
        # A pool that mixes instance types can scale out entirely on its largest one.
        total += int(count) * max((c for c in counts if c is not None), default=0)
    limit = int(config["maxTotalGpus"])
    if total > limit:
        report(f"the stack can scale to {total} GPUs, more than maxTotalGpus {limit}.", None)
    pending.finish()


POLICY = stack_policy(SPEC, _check)
