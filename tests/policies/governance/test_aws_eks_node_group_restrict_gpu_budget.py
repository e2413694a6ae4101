"""aws-eks-node-group-restrict-gpu-budget (stack policy)."""

from __future__ import annotations

from guardrails.governance.aws_eks_node_group_restrict_gpu_budget import POLICY

from tests.policies.harness import UNKNOWN, Res, analyze_stack

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"


def _pool(name: str, types: list[str], max_size: int) -> Res:
    return Res(
        NODE_GROUP,
        name,
        {"instanceTypes": types, "scalingConfig": {"minSize": 0, "desiredSize": 0, "maxSize": max_size}},
    )


def test_pools_within_budget_pass() -> None:
    resources = [_pool("gpu-a10g", ["g5.2xlarge"], 6), _pool("system", ["m6i.large"], 4)]
    assert analyze_stack(POLICY, resources).passed


def test_total_over_budget_violates() -> None:
    resources = [_pool("gpu-big", ["g5.12xlarge"], 3), _pool("gpu-small", ["g5.xlarge"], 8)]
    result = analyze_stack(POLICY, resources)
    assert result.has("the stack can scale to 20 GPUs, more than maxTotalGpus 16")


def test_budget_is_configurable() -> None:
    resources = [_pool("gpu-big", ["g5.12xlarge"], 3), _pool("gpu-small", ["g5.xlarge"], 8)]
    assert analyze_stack(POLICY, resources, config={"maxTotalGpus": 20}).passed


def test_family_outside_allowed_list_violates() -> None:
    result = analyze_stack(POLICY, [_pool("gpu-h100", ["p5.48xlarge"], 1)])
    assert result.has("uses GPU instance type p5.48xlarge, not in allowedGpuFamilies")
    assert analyze_stack(POLICY, [_pool("gpu-h100", ["p5.48xlarge"], 1)], config={"allowedGpuFamilies": ["p5"]}).passed


def test_mixed_pool_counts_its_largest_type() -> None:
    result = analyze_stack(POLICY, [_pool("gpu", ["g5.xlarge", "g5.48xlarge"], 3)])
    assert result.has("the stack can scale to 24 GPUs")


def test_instance_type_from_linked_launch_template() -> None:
    template = Res(LT, "gpu-lt", {"instanceType": "g6.48xlarge"})
    group = Res(
        NODE_GROUP,
        "gpu",
        {"scalingConfig": {"maxSize": 3}, "launchTemplate": {"id": UNKNOWN}},
        {"launchTemplate": ["gpu-lt"]},
    )
    assert analyze_stack(POLICY, [template, group]).has("the stack can scale to 24 GPUs")


def test_unknown_gpu_size_needs_an_override() -> None:
    resources = [_pool("gpu", ["g6e.96xlarge"], 1)]
    assert analyze_stack(POLICY, resources).has("GPU count of ['g6e.96xlarge'] is unknown")
    assert analyze_stack(POLICY, resources, config={"gpusPerInstanceType": {"g6e.96xlarge": 8}}).passed


def test_empty_node_group_does_not_crash() -> None:
    assert analyze_stack(POLICY, [Res(NODE_GROUP, "x", {})]).passed


def test_computed_instance_types_fall_back_to_the_launch_template() -> None:
    template = Res(LT, "gpu-lt", {"instanceType": "g6.48xlarge"})
    props = {"instanceTypes": UNKNOWN, "scalingConfig": {"maxSize": 3}}
    group = Res(NODE_GROUP, "gpu", props, {"launchTemplate": ["gpu-lt"]})
    assert analyze_stack(POLICY, [template, group]).has("the stack can scale to 24 GPUs")
