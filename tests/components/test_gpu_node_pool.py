"""Node pools: NVIDIA AMI by accelerator, GPU taint and labels, IMDSv2, encrypted gp3, least-privilege role."""

from __future__ import annotations

import pytest
from component_harness import KEY_ARN, TAGS, named, plan_block

from components.config import Accelerator, CapacityType
from components.gpu_node_pool import (
    GPU_AMIS,
    NODE_POLICIES,
    GpuNodePool,
    GpuNodePoolArgs,
    NodeRole,
    NodeRoleArgs,
    SystemNodePool,
    SystemNodePoolArgs,
)
from preflight.engine import PlanResult

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
COMMON: dict[str, object] = {
    "cluster_name": "demo",
    "kubernetes_version": "1.33",
    "subnet_ids": ["subnet-a", "subnet-b"],
    "node_role_arn": "arn:aws:iam::111122223333:role/nodes",
    "ebs_key_arn": KEY_ARN,
    "tags": TAGS,
}


def _gpu(**overrides: object) -> GpuNodePoolArgs:
    values: dict[str, object] = {
        **COMMON,
        "pool_name": "a10g",
        "instance_types": ["g5.2xlarge"],
        "min_size": 0,
        "desired_size": 1,
        "max_size": 3,
        "disk_size_gib": 150,
    }
    values.update(overrides)
    return GpuNodePoolArgs(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    def build() -> None:
        NodeRole("nodes", NodeRoleArgs(tags=TAGS))
        GpuNodePool("al2023", _gpu(capacity_type=CapacityType.SPOT, labels={"team": "ml"}))
        GpuNodePool(
            "bottlerocket",
            _gpu(pool_name="br", accelerator=Accelerator.NVIDIA_BOTTLEROCKET, placement_tenancy="dedicated"),
        )
        SystemNodePool(
            "system",
            SystemNodePoolArgs(
                **COMMON,  # type: ignore[arg-type]
                instance_types=["m6i.large"],
                min_size=2,
                desired_size=2,
                max_size=4,
                disk_size_gib=50,
            ),
        )

    return plan_block(build)


def test_ami_type_comes_from_the_accelerator_table(plan: PlanResult) -> None:
    assert named(plan, NODE_GROUP, "al2023-ng").inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert named(plan, NODE_GROUP, "bottlerocket-ng").inputs["amiType"] == "BOTTLEROCKET_x86_64_NVIDIA"
    assert named(plan, NODE_GROUP, "system-ng").inputs["amiType"] == "AL2023_x86_64_STANDARD"


def test_every_accelerator_has_an_ami() -> None:
    assert set(GPU_AMIS) == set(Accelerator)


@pytest.mark.parametrize("pool", ["al2023", "bottlerocket"])
def test_gpu_pools_carry_the_gpu_taint(plan: PlanResult, pool: str) -> None:
    assert named(plan, NODE_GROUP, f"{pool}-ng").inputs["taints"] == [
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
    ]


def test_system_pool_is_untainted(plan: PlanResult) -> None:
    assert named(plan, NODE_GROUP, "system-ng").inputs.get("taints", []) == []


def test_gpu_pool_labels_name_pool_and_accelerator(plan: PlanResult) -> None:
    assert named(plan, NODE_GROUP, "al2023-ng").inputs["labels"] == {
        "team": "ml",
        "inference.gpu/pool": "a10g",
        "inference.gpu/accelerator": "nvidia",
    }


def test_scaling_and_capacity_type(plan: PlanResult) -> None:
    group = named(plan, NODE_GROUP, "al2023-ng").inputs
    assert group["scalingConfig"] == {"minSize": 0, "desiredSize": 1, "maxSize": 3}
    assert group["capacityType"] == "SPOT"
    assert named(plan, NODE_GROUP, "bottlerocket-ng").inputs["capacityType"] == "ON_DEMAND"


@pytest.mark.parametrize("pool", ["al2023", "bottlerocket", "system"])
def test_launch_templates_require_imdsv2_with_hop_limit_one(plan: PlanResult, pool: str) -> None:
    metadata = named(plan, TEMPLATE, f"{pool}-lt").inputs["metadataOptions"]
    assert metadata["httpTokens"] == "required"
    assert metadata["httpPutResponseHopLimit"] == 1


@pytest.mark.parametrize("pool", ["al2023", "bottlerocket", "system"])
def test_every_volume_is_encrypted_gp3_with_the_ebs_key(plan: PlanResult, pool: str) -> None:
    volumes = [mapping["ebs"] for mapping in named(plan, TEMPLATE, f"{pool}-lt").inputs["blockDeviceMappings"]]
    assert volumes
    for volume in volumes:
        assert volume["encrypted"] == "true"
        assert volume["volumeType"] == "gp3"
        assert volume["kmsKeyId"] == KEY_ARN


def test_bottlerocket_data_volume_gets_the_configured_size(plan: PlanResult) -> None:
    sizes = {
        m["deviceName"]: m["ebs"]["volumeSize"]
        for m in named(plan, TEMPLATE, "bottlerocket-lt").inputs["blockDeviceMappings"]
    }
    assert sizes == {"/dev/xvda": 4, "/dev/xvdb": 150}


def test_dedicated_tenancy_reaches_the_launch_template(plan: PlanResult) -> None:
    assert named(plan, TEMPLATE, "bottlerocket-lt").inputs["placement"] == {"tenancy": "dedicated"}
    assert "placement" not in named(plan, TEMPLATE, "al2023-lt").inputs


def test_node_group_uses_its_launch_template(plan: PlanResult) -> None:
    template = named(plan, TEMPLATE, "al2023-lt")
    assert template.urn in named(plan, NODE_GROUP, "al2023-ng").dependencies


def test_node_role_has_only_the_node_policies(plan: PlanResult) -> None:
    attached = sorted(
        res.inputs["policyArn"] for res in plan.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )
    assert attached == sorted(f"arn:aws:iam::aws:policy/{policy}" for policy in NODE_POLICIES)
    assert plan.by_type("aws:iam/rolePolicy:RolePolicy") == []


def test_sizes_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="min <= desired <= max"):
        _gpu(min_size=3, desired_size=1, max_size=2)
