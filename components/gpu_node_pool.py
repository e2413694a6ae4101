"""EKS managed node pools: GPU pools (tainted, labelled) and a small CPU system pool, plus their IAM role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import pulumi
import pulumi_aws as aws

from .common import AwsAccount, child_options, policy_json
from .config import Accelerator, CapacityType
from .labels import ACCELERATOR_LABEL, GPU_POOL_LABEL, GPU_TAINT_EFFECT, GPU_TAINT_KEY, GPU_TAINT_VALUE

GPU_POOL_RESOURCE_TYPE = "inference:gpu_node_pool:GpuNodePool"
SYSTEM_POOL_RESOURCE_TYPE = "inference:gpu_node_pool:SystemNodePool"
NODE_ROLE_RESOURCE_TYPE = "inference:gpu_node_pool:NodeRole"

SYSTEM_POOL_LABEL = "inference.platform/pool"


@dataclass(frozen=True)
class AmiSpec:
    ami_type: str
    os_device: str
    data_device: str | None
    """Bottlerocket keeps images and containers on a second volume; AL2023 has one root volume."""
    bundles_device_plugin: bool
    """Bottlerocket NVIDIA variants run the device plugin themselves; AL2023 needs the Helm release."""


# Lookup table by accelerator (the GPU driver and container toolkit come with these AMIs).
GPU_AMIS: Mapping[Accelerator, AmiSpec] = {
    Accelerator.NVIDIA: AmiSpec("AL2023_x86_64_NVIDIA", "/dev/xvda", None, bundles_device_plugin=False),
    Accelerator.NVIDIA_BOTTLEROCKET: AmiSpec(
        "BOTTLEROCKET_x86_64_NVIDIA", "/dev/xvda", "/dev/xvdb", bundles_device_plugin=True
    ),
}
SYSTEM_AMI = AmiSpec("AL2023_x86_64_STANDARD", "/dev/xvda", None, bundles_device_plugin=False)
_BOTTLEROCKET_OS_GIB = 4

# What EKS worker nodes need, nothing more. The CNI policy would be tighter on an IRSA role for the
# aws-node service account (terraform-aws-eks does that); it stays on the node role because the VPC CNI
# runs as the EKS default add-on here, with no service-account role to hand it.
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy")

# Kubernetes taint effect -> EKS API spelling.
_EKS_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str  # Kubernetes spelling: NoSchedule, NoExecute, PreferNoSchedule


GPU_TAINT = Taint(GPU_TAINT_KEY, GPU_TAINT_VALUE, GPU_TAINT_EFFECT)


def gpu_node_labels(pool: str, accelerator: Accelerator) -> dict[str, str]:
    """The labels workloads and the device plugin select GPU nodes by."""
    return {GPU_POOL_LABEL: pool, ACCELERATOR_LABEL: str(accelerator)}


@dataclass(frozen=True, kw_only=True)
class NodePoolArgs:
    """What every managed node pool needs."""

    cluster_name: pulumi.Input[str]
    kubernetes_version: str
    subnet_ids: Sequence[pulumi.Input[str]]
    node_role_arn: pulumi.Input[str]
    ebs_key_arn: pulumi.Input[str]
    """KMS key for the encrypted gp3 volumes."""
    instance_types: Sequence[str]
    min_size: int
    desired_size: int
    max_size: int
    disk_size_gib: int
    tags: Mapping[str, str]
    capacity_type: CapacityType = CapacityType.ON_DEMAND
    labels: Mapping[str, str] = field(default_factory=dict)
    placement_tenancy: Literal["default", "dedicated"] = "default"
    """``dedicated`` for tenant-isolated (private-cloud) models."""

    def __post_init__(self) -> None:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"node pool sizes must satisfy min <= desired <= max, got "
                f"{self.min_size}, {self.desired_size}, {self.max_size}"
            )


@dataclass(frozen=True, kw_only=True)
class GpuNodePoolArgs(NodePoolArgs):
    pool_name: str
    accelerator: Accelerator = Accelerator.NVIDIA


@dataclass(frozen=True, kw_only=True)
class SystemNodePoolArgs(NodePoolArgs):
    pool_name: str = "system"


def _volumes(
    ami: AmiSpec, disk_size_gib: int, key_arn: pulumi.Input[str]
) -> list[aws.ec2.LaunchTemplateBlockDeviceMappingArgs]:
    sizes = {ami.os_device: disk_size_gib}
    if ami.data_device is not None:
        sizes = {ami.os_device: _BOTTLEROCKET_OS_GIB, ami.data_device: disk_size_gib}
    return [
        aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name=device,
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                volume_size=size,
                volume_type="gp3",
                encrypted="true",
                kms_key_id=key_arn,
                delete_on_termination="true",
            ),
        )
        for device, size in sizes.items()
    ]


def _node_group(
    parent: pulumi.ComponentResource,
    name: str,
    *,
    args: NodePoolArgs,
    ami: AmiSpec,
    taints: Sequence[Taint],
    opts: pulumi.ResourceOptions | None,
) -> aws.eks.NodeGroup:
    """Launch template (IMDSv2, encrypted gp3) and the managed node group on it."""
    tags = dict(args.tags)
    template = aws.ec2.LaunchTemplate(
        f"{name}-lt",
        description=f"EKS node pool {name}: IMDSv2 only, encrypted gp3 volumes",
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled",
            http_tokens="required",
            # Hop limit 1: pods (one network hop away) cannot reach the node's instance credentials.
            http_put_response_hop_limit=1,
            instance_metadata_tags="disabled",
        ),
        block_device_mappings=_volumes(ami, args.disk_size_gib, args.ebs_key_arn),
        placement=(
            aws.ec2.LaunchTemplatePlacementArgs(tenancy=args.placement_tenancy)
            if args.placement_tenancy != "default"
            else None
        ),
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
            for kind in ("instance", "volume", "network-interface")
        ],
        update_default_version=True,
        tags=tags,
        opts=child_options(parent, opts),
    )
    return aws.eks.NodeGroup(
        f"{name}-ng",
        cluster_name=args.cluster_name,
        node_role_arn=args.node_role_arn,
        subnet_ids=list(args.subnet_ids),
        version=args.kubernetes_version,
        ami_type=ami.ami_type,
        instance_types=list(args.instance_types),
        capacity_type=str(args.capacity_type),
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(
            min_size=args.min_size, desired_size=args.desired_size, max_size=args.max_size
        ),
        update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
        launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version.apply(str)),
        labels=dict(args.labels),
        taints=[
            aws.eks.NodeGroupTaintArgs(key=taint.key, value=taint.value, effect=_EKS_TAINT_EFFECTS[taint.effect])
            for taint in taints
        ],
        tags=tags,
        # After creation an autoscaler owns the current size; Pulumi resetting it would fight it.
        opts=child_options(parent, opts, pulumi.ResourceOptions(ignore_changes=["scalingConfig.desiredSize"])),
    )


class GpuNodePool(pulumi.ComponentResource):
    """A GPU node pool: NVIDIA AMI by accelerator, the GPU taint, pool and accelerator labels."""

    node_group: aws.eks.NodeGroup
    """The managed node group."""
    ami: AmiSpec
    """AMI type and volume layout chosen for the accelerator."""
    labels: dict[str, str]
    """Node labels (select the pool with these)."""

    def __init__(self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(GPU_POOL_RESOURCE_TYPE, name, None, opts)
        self.ami = GPU_AMIS[args.accelerator]
        self.labels = {**args.labels, **gpu_node_labels(args.pool_name, args.accelerator)}
        pool_args = _replace_labels(args, self.labels)
        self.node_group = _node_group(self, name, args=pool_args, ami=self.ami, taints=[GPU_TAINT], opts=opts)
        self.register_outputs({"nodeGroupName": self.node_group.node_group_name, "amiType": self.ami.ami_type})


class SystemNodePool(pulumi.ComponentResource):
    """A small CPU pool for cluster add-ons (CoreDNS, controllers); untainted."""

    node_group: aws.eks.NodeGroup
    """The managed node group."""

    def __init__(self, name: str, args: SystemNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(SYSTEM_POOL_RESOURCE_TYPE, name, None, opts)
        pool_args = _replace_labels(args, {**args.labels, SYSTEM_POOL_LABEL: args.pool_name})
        self.node_group = _node_group(self, name, args=pool_args, ami=SYSTEM_AMI, taints=[], opts=opts)
        self.register_outputs({"nodeGroupName": self.node_group.node_group_name})


def _replace_labels(args: NodePoolArgs, labels: Mapping[str, str]) -> NodePoolArgs:
    return replace(args, labels=dict(labels))


@dataclass(frozen=True)
class NodeRoleArgs:
    tags: Mapping[str, str]
    managed_policies: Sequence[str] = NODE_POLICIES


class NodeRole(pulumi.ComponentResource):
    """The IAM role EC2 worker nodes assume; shared by a cluster's node pools."""

    role: aws.iam.Role
    """The IAM role."""
    arn: pulumi.Output[str]
    """Role ARN for node groups."""

    def __init__(self, name: str, args: NodeRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(NODE_ROLE_RESOURCE_TYPE, name, None, opts)
        account = AwsAccount.lookup(self)
        trust = policy_json(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        )
        self.role = aws.iam.Role(
            f"{name}-role", assume_role_policy=trust, tags=dict(args.tags), opts=child_options(self, opts)
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy}",
                role=self.role.name,
                policy_arn=account.managed_policy_arn(policy),
                opts=child_options(self, opts),
            )
            for policy in args.managed_policies
        ]
        # Node groups must not start before the role can pull images and join the cluster.
        self.arn = pulumi.Output.all(self.role.arn, *[a.id for a in attachments]).apply(lambda values: values[0])
        self.register_outputs({"arn": self.arn})
