"""The project's own stacks through the offline plan (one run per stack per session, via ``plan_of``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from preflight.cli import EXIT_OK, EXIT_USAGE, main
from preflight.engine import STACK_TYPE, PlanResult, plain
from preflight.export import load_deployment, write_deployment

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PlanOf = Callable[[str], PlanResult]


@pytest.fixture(scope="module")
def prod_export(plan_of: PlanOf, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The prod plan as `pulumi stack export` records (written and read back)."""
    path = tmp_path_factory.mktemp("export") / "prod.json"
    write_deployment(path, plan_of("prod"))
    return load_deployment(path)


def one(records: list[dict[str, Any]], type_: str, predicate: Callable[[dict[str, Any]], bool] = bool) -> dict:
    found = [r for r in records if r["type"] == type_ and predicate(r)]
    assert len(found) == 1, [r["urn"] for r in found]
    return found[0]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_succeeds_with_the_stack_first(plan_of: PlanOf, stack: str) -> None:
    result = plan_of(stack)
    assert (
        result.resources[0].urn == f"urn:pulumi:{stack}::inference-platform::{STACK_TYPE}::inference-platform-{stack}"
    )
    assert len(result.resources) > 10


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_parents_form_a_tree_rooted_at_the_stack(plan_of: PlanOf, stack: str) -> None:
    result = plan_of(stack)
    for res in result.resources:
        if res.type == STACK_TYPE or (res.is_provider and not res.parent):
            continue  # the root, and default providers, which the engine registers without a parent
        hops = 0
        urn = res.urn
        while urn != result.stack_urn:
            urn = result.get(urn).parent
            hops += 1
            assert urn and hops < 50, f"{res.urn} does not lead to the stack"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_urns_carry_the_parent_type_chain(plan_of: PlanOf, stack: str) -> None:
    result = plan_of(stack)
    prefix = f"urn:pulumi:{stack}::inference-platform::"
    for res in result.resources:
        if res.type == STACK_TYPE:
            continue
        chain = [res.type]
        parent = res.parent
        while parent and parent != result.stack_urn:
            chain.insert(0, result.get(parent).type)
            parent = result.get(parent).parent
        assert res.urn == f"{prefix}{'$'.join(chain)}::{res.name}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_default_aws_provider_carries_the_stack_region(plan_of: PlanOf, stack: str) -> None:
    from preflight.stackfile import load_stack  # noqa: PLC0415 - only this test needs the stack file

    region = load_stack(REPO, stack).config["aws:region"]
    (provider,) = [r for r in plan_of(stack).by_type("pulumi:providers:aws") if not r.parent]
    assert provider.inputs["region"] == region


def test_prod_cluster_endpoint_is_private(prod_export: list[dict[str, Any]]) -> None:
    cluster = one(prod_export, "aws:eks/cluster:Cluster")
    assert cluster["inputs"]["vpcConfig"]["endpointPublicAccess"] is False


def test_prod_cluster_encrypts_secrets(prod_export: list[dict[str, Any]]) -> None:
    encryption = one(prod_export, "aws:eks/cluster:Cluster")["inputs"]["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert "keyArn" in encryption["provider"]


def is_gpu_pool(record: dict[str, Any]) -> bool:
    return "NVIDIA" in record["inputs"].get("amiType", "")


def test_prod_gpu_node_group_has_an_nvidia_ami(prod_export: list[dict[str, Any]]) -> None:
    pool = one(prod_export, "aws:eks/nodeGroup:NodeGroup", is_gpu_pool)
    assert pool["inputs"]["amiType"] in {"AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"}


def test_prod_gpu_node_group_has_the_gpu_taint(prod_export: list[dict[str, Any]]) -> None:
    pool = one(prod_export, "aws:eks/nodeGroup:NodeGroup", is_gpu_pool)
    assert {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"} in pool["inputs"]["taints"]


def test_prod_deployment_requests_gpus(prod_export: list[dict[str, Any]]) -> None:
    deployments = [r for r in prod_export if r["type"] == "kubernetes:apps/v1:Deployment"]
    containers = [
        container
        for deployment in deployments
        for container in plain(deployment["inputs"])["spec"]["template"]["spec"]["containers"]
    ]
    requests = [c.get("resources", {}).get("requests", {}).get("nvidia.com/gpu") for c in containers]
    assert any(value not in (None, 0, "0") for value in requests), requests


def copy_project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "components", tmp_path / "components", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_broken_stack_file_exits_two_with_the_config_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(tmp_path)
    stack = (REPO / "Pulumi.dev.yaml").read_text().replace("cidr: 10.10.0.0/16", "cidr: 10.10.0.0/33")
    assert "/33" in stack
    (project / "Pulumi.broken.yaml").write_text(stack)
    assert main(["plan", "--stack", "broken", "--project-dir", str(project)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "invalid stack config:\n  - inference-platform:network.cidr:" in err
    assert "'10.10.0.0/33'" in err


def test_plan_command_on_dev_writes_an_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "dev.json"
    assert main(["plan", "--stack", "dev", "--project-dir", str(REPO), "--export", str(export)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "inference-platform-dev" in out
    assert "aws:eks/cluster:Cluster" in {r["type"] for r in load_deployment(export)}
