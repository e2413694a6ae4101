"""aws-eks-node-group-require-gpu-taint: GPU node groups carry the GPU taint so only GPU workloads land there."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params, conventions
from .._base import Config, Report, Spec, resource_policy
from .._gpu import is_gpu_instance
from .._props import as_list, get, str_list, str_map

# EKS spells taint effects in upper snake case.
_EKS_EFFECT = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}

SPEC = Spec(
    name="aws-eks-node-group-require-gpu-taint",
    area="workload",
    description=(
        "EKS node groups with GPUs (GPU AMI type, GPU instance family or the inference.gpu/pool label) carry the "
        f"taint {conventions.GPU_TAINT_KEY}={conventions.GPU_TAINT_VALUE}:{conventions.GPU_TAINT_EFFECT}."
    ),
    severity=Severity.LOW,
    remediation=(
        f"Add taints=[{{'key': '{conventions.GPU_TAINT_KEY}', 'value': '{conventions.GPU_TAINT_VALUE}', "
        "'effect': 'NO_SCHEDULE'}] to the aws.eks.NodeGroup."
    ),
    hipaa=(),
    nist=("CM-6", "SC-6"),
    config=_params.gpu_taint("GPU taint effect (Kubernetes spelling)."),
    resource_types=("aws:eks/nodeGroup:NodeGroup",),
)


def _is_gpu_pool(args: ResourceValidationArgs) -> bool:
    ami = get(args.props, "amiType")
    if isinstance(ami, str) and ("GPU" in ami or "NVIDIA" in ami):
        return True
    if any(is_gpu_instance(t) for t in str_list(get(args.props, "instanceTypes"))):
        return True
    return conventions.GPU_POOL_LABEL in str_map(get(args.props, "labels"))


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if not _is_gpu_pool(args):
        args.not_applicable("not a GPU node group")
    effect = _EKS_EFFECT[str(config["taintEffect"])]
    for taint in as_list(get(args.props, "taints")):
        if (get(taint, "key"), get(taint, "value"), get(taint, "effect")) == (
            config["taintKey"],
            config["taintValue"],
            effect,
        ):
            return
    report(
        f"GPU node group '{args.name}' is not tainted {config['taintKey']}={config['taintValue']}:{effect}, "
        "so any pod can be scheduled on its GPUs."
    )


POLICY = resource_policy(SPEC, _check)
