"""Hybrid model: the `hybrid` stack (PHI on-prem, internal work in EKS, IPsec VPN) through the offline engine."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import components.hybrid as hybrid_module
from components.config import ConfigError, DataClassification, validate
from components.config.models import HybridWorkload, Side
from components.hybrid import PlacementError, check_sides, require_side
from preflight.cli import EXIT_OK, main
from preflight.engine import PlanResult, ProgramError, RecordedResource, is_secret, run_program
from preflight.export import load_deployment
from preflight.stackfile import load_stack
from tests.components.component_harness import config_error

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "inference-platform"
REGISTRY = "registry.site-a.example.internal:5000"
DIGEST = "sha256:3c5a1c2f5b0e4f7d9a8b6c4e2f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a"
VPN = "aws:ec2/vpnConnection:VpnConnection"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NAMESPACE = "kubernetes:core/v1:Namespace"
CLOUD = "inference:models:PublicCloud"
ONPREM = "inference:models:Onprem"
# Pulumi.hybrid.yaml's workloads and where the placement table puts them.
WORKLOADS = {"phi-summarizer": ("phi", ONPREM), "coding-assist": ("internal", CLOUD)}

PlanOf = Callable[[str], PlanResult]


@pytest.fixture(scope="module")
def plan(plan_of: PlanOf) -> PlanResult:
    return plan_of("hybrid")


def _side_of(plan: PlanResult, res: RecordedResource) -> str:
    """The deployment model component a resource sits under."""
    parent = res.parent
    while parent and parent != plan.stack_urn:
        owner = plan.get(parent)
        if owner.type in (CLOUD, ONPREM):
            return owner.type
        parent = owner.parent
    return ""


def _workload_deployments(plan: PlanResult, workload: str) -> list[RecordedResource]:
    return [d for d in plan.by_type(DEPLOYMENT) if d.inputs["metadata"]["name"].startswith(f"{workload}-")]


# -- the link --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tunnel", ["tunnel1", "tunnel2"])
def test_vpn_tunnels_use_only_strong_crypto(plan: PlanResult, tunnel: str) -> None:
    inputs = plan.one(VPN).inputs
    assert inputs[f"{tunnel}IkeVersions"] == ["ikev2"]
    for phase in ("Phase1", "Phase2"):
        assert set(inputs[f"{tunnel}{phase}EncryptionAlgorithms"]) <= {"AES256", "AES256-GCM-16"}
        assert set(inputs[f"{tunnel}{phase}IntegrityAlgorithms"]) <= {"SHA2-256", "SHA2-384", "SHA2-512"}
        assert min(inputs[f"{tunnel}{phase}DhGroupNumbers"]) >= 14
    assert inputs[f"{tunnel}LogOptions"]["cloudwatchLogOptions"]["logEnabled"] is True


def test_tunnel_logs_are_encrypted_with_the_cloud_logs_key(plan: PlanResult) -> None:
    log_group = next(res for res in plan.by_type("aws:cloudwatch/logGroup:LogGroup") if "vpn" in res.name)
    key = next(res for res in plan.by_type("aws:kms/key:Key") if res.name.endswith("-logs"))
    assert key.urn in log_group.property_dependencies["kmsKeyId"]
    assert log_group.inputs["retentionInDays"] == 365
    assert log_group.protect  # prod stack: the audit trail survives a destroy


def test_customer_gateway_is_the_site(plan: PlanResult) -> None:
    gateway = plan.one("aws:ec2/customerGateway:CustomerGateway").inputs
    assert (gateway["ipAddress"], gateway["bgpAsn"]) == ("203.0.113.10", "65010")


def test_vpn_gateway_is_attached_to_the_cloud_vpc(plan: PlanResult) -> None:
    attachment = plan.one("aws:ec2/vpnGatewayAttachment:VpnGatewayAttachment")
    assert plan.one("aws:ec2/vpc:Vpc").urn in attachment.property_dependencies["vpcId"]


def test_onprem_cidrs_are_routed_into_the_vpc(plan: PlanResult) -> None:
    routes = plan.by_type("aws:ec2/vpnConnectionRoute:VpnConnectionRoute")
    assert [route.inputs["destinationCidrBlock"] for route in routes] == ["192.168.0.0/16"]
    propagated = {
        urn
        for res in plan.by_type("aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation")
        for urn in res.property_dependencies["routeTableId"]
    }
    private_tables = {res.urn for res in plan.by_type("aws:ec2/routeTable:RouteTable") if "private" in res.name}
    assert private_tables
    assert propagated == private_tables


def test_gateway_configuration_and_keys_are_secret_outputs(plan: PlanResult) -> None:
    assert is_secret(plan.outputs["customerGatewayConfiguration"])
    assert is_secret(plan.outputs["vpnNetworkTeam"])
    assert "vpnTunnelAddresses" in plan.outputs


def test_each_side_exports_its_outputs(plan: PlanResult) -> None:
    cloud, onprem = plan.outputs["cloud"], plan.outputs["onprem"]
    assert set(cloud["serviceUrls"]) == {"coding-assist"}
    assert is_secret(cloud["kubeconfig"])
    assert cloud["imageReference"] == f"nvcr.io/nvidia/tritonserver:24.08-py3@{DIGEST}"
    assert onprem["serviceUrls"] == {"phi-summarizer": "https://phi-summarizer.inference.site-a.example.internal"}
    assert onprem["namespaces"] == {"phi-summarizer": "inference-phi-summarizer"}
    assert onprem["imageReference"] == f"{REGISTRY}/nvidia/tritonserver:24.08-py3@{DIGEST}"


# -- placement -------------------------------------------------------------------------------------


def test_phi_workload_runs_only_on_prem(plan: PlanResult) -> None:
    deployments = _workload_deployments(plan, "phi-summarizer")
    assert deployments
    assert {_side_of(plan, d) for d in deployments} == {ONPREM}


def test_internal_workload_runs_only_in_the_cloud(plan: PlanResult) -> None:
    deployments = _workload_deployments(plan, "coding-assist")
    assert deployments
    assert {_side_of(plan, d) for d in deployments} == {CLOUD}


def test_no_cloud_identity_for_the_phi_workload(plan: PlanResult) -> None:
    roles = [res.inputs.get("name", "") for res in plan.by_type("aws:iam/role:Role")]
    assert not any("phi-summarizer" in name for name in roles), roles


def test_placement_is_an_output(plan: PlanResult) -> None:
    assert plan.outputs["placement"] == {"phi-summarizer": "onprem", "coding-assist": "cloud"}


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_every_workload_is_labelled_with_its_classification(plan: PlanResult, workload: str) -> None:
    classification, _ = WORKLOADS[workload]
    deployments = _workload_deployments(plan, workload)
    assert deployments, f"no Deployment for {workload} in the plan"
    for deployment in deployments:
        assert deployment.inputs["spec"]["template"]["metadata"]["labels"]["data-classification"] == classification
    namespace = next(
        res for res in plan.by_type(NAMESPACE) if res.inputs["metadata"]["name"] == f"inference-{workload}"
    )
    assert namespace.inputs["metadata"]["labels"]["data-classification"] == classification


def test_both_sides_run_the_same_digest_onprem_from_the_site_registry(plan: PlanResult) -> None:
    (cloud,) = _workload_deployments(plan, "coding-assist")
    (onprem,) = _workload_deployments(plan, "phi-summarizer")
    cloud_image = cloud.inputs["spec"]["template"]["spec"]["containers"][0]["image"]
    onprem_image = onprem.inputs["spec"]["template"]["spec"]["containers"][0]["image"]
    assert cloud_image == f"nvcr.io/nvidia/tritonserver:24.08-py3@{DIGEST}"
    assert onprem_image == f"{REGISTRY}/nvidia/tritonserver:24.08-py3@{DIGEST}"


def test_onprem_side_has_no_aws_and_uses_its_own_cluster(plan: PlanResult) -> None:
    onprem_provider = next(p for p in plan.by_type("pulumi:providers:kubernetes") if p.name == "platform-onprem-k8s")
    onprem = [res for res in plan.resources if _side_of(plan, res) == ONPREM and res.custom]
    assert any(res.type.startswith("kubernetes:") for res in onprem), "no Kubernetes resource on the onprem side"
    for res in onprem:
        assert not res.type.startswith("aws:"), res.urn
        if res.type.startswith("kubernetes:"):
            assert res.provider_urn == onprem_provider.urn, res.urn


def test_onprem_clients_may_use_the_cloud_internal_load_balancer(plan: PlanResult) -> None:
    # The cloud side's ALB (AWS Load Balancer Controller Ingress) admits the VPC and the on-prem networks.
    balancer = next(
        res
        for res in plan.by_type("kubernetes:networking.k8s.io/v1:Ingress")
        if res.inputs["spec"]["ingressClassName"] == "alb" and res.name.endswith("-http-ingress")
    )
    annotations = balancer.inputs["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/inbound-cidrs"] == "10.40.0.0/16,192.168.0.0/16"
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internal"


# -- the guard itself ------------------------------------------------------------------------------

PLACEMENT = {DataClassification.PHI: Side.ONPREM, DataClassification.INTERNAL: Side.CLOUD}
PHI = HybridWorkload(name="phi-summarizer", data_classification=DataClassification.PHI)
INTERNAL = HybridWorkload(name="coding-assist", data_classification=DataClassification.INTERNAL)


def test_require_side_refuses_an_onprem_classification_in_the_cloud() -> None:
    with pytest.raises(PlacementError, match=r"'phi-summarizer' \(phi: onprem\) on the cloud side"):
        require_side([INTERNAL, PHI], PLACEMENT, Side.CLOUD)


def test_require_side_accepts_correctly_placed_workloads() -> None:
    require_side([PHI], PLACEMENT, Side.ONPREM)
    require_side([INTERNAL], PLACEMENT, Side.CLOUD)


def test_a_code_path_placing_phi_in_the_cloud_fails_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    stack = load_stack(ROOT, "hybrid")

    def everything_in_the_cloud(config: Any) -> dict[Side, list[HybridWorkload]]:
        return {Side.CLOUD: list(config.workloads), Side.ONPREM: list(config.workloads)}

    monkeypatch.setattr(hybrid_module, "split_by_side", everything_in_the_cloud)
    with pytest.raises(ProgramError, match="refusing to create workload") as error:
        run_program(ROOT, project=PROJECT, stack="hybrid", config=stack.config, secret_keys=stack.secret_keys)
    assert "phi-summarizer" in error.value.message


def test_a_side_without_workloads_is_a_configconfig_error() -> None:
    with pytest.raises(ConfigError, match=r"hybrid\.workloads: no workload is placed on the cloud side"):
        check_sides({Side.ONPREM: [PHI], Side.CLOUD: []})


# -- config errors for the model's keys ------------------------------------------------------------


def _hybrid_raw() -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "Pulumi.hybrid.yaml").read_text())["config"]
    return {
        ("region" if key == "aws:region" else key.split(":", 1)[1]): value
        for key, value in config.items()
        if key != f"{PROJECT}:kubeconfig"
    }


def test_example_stack_config_is_valid() -> None:
    assert validate(_hybrid_raw(), PROJECT).hybrid is not None


def test_onprem_cidr_overlapping_the_vpc_names_both_keys() -> None:
    raw = _hybrid_raw()
    raw["hybrid"]["onpremCidrs"] = ["192.168.0.0/16", "10.40.128.0/20"]
    message = config_error(raw)
    assert "hybrid.onpremCidrs entry '10.40.128.0/20' overlaps network.cidr '10.40.0.0/16'" in message


def test_onprem_cidr_outside_rfc1918_is_a_configconfig_error() -> None:
    raw = _hybrid_raw()
    raw["hybrid"]["onpremCidrs"] = ["100.64.0.0/16"]
    message = config_error(raw)
    assert f"{PROJECT}:hybrid.onpremCidrs[0]: must be inside an RFC 1918 private range" in message


def test_private_customer_gateway_ip_is_a_configconfig_error() -> None:
    raw = _hybrid_raw()
    raw["hybrid"]["customerGatewayIp"] = "192.168.1.1"
    assert "customerGatewayIp must be the site's public IP, got '192.168.1.1'" in config_error(raw)


def test_placement_missing_a_classification_is_a_configconfig_error() -> None:
    raw = _hybrid_raw()
    raw["hybrid"]["placement"] = {"internal": "cloud", "public": "cloud"}
    message = config_error(raw)
    assert "placement has no side for data classification(s) ['phi']" in message
    assert "allowed sides: onprem, cloud" in message


def test_long_workload_namespace_is_a_config_error_before_any_resource() -> None:
    stack = load_stack(ROOT, "hybrid")
    config = dict(stack.config)
    section = json.loads(config[f"{PROJECT}:hybrid"])
    section["workloads"][0]["name"] = "p" * 60
    config[f"{PROJECT}:hybrid"] = json.dumps(section)
    registered: list[int] = []
    with pytest.raises(ProgramError) as error:
        run_program(
            ROOT,
            project=PROJECT,
            stack="hybrid",
            config=config,
            secret_keys=stack.secret_keys,
            progress=registered.append,
        )
    assert error.value.is_config_error
    assert "hybrid.workloads: namespace 'inference-ppp" in error.value.message
    assert max(registered) == 1  # the root stack only: no resource of the model was registered


# -- preflight plan on the stack -------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    path = tmp_path_factory.mktemp("hybrid") / "hybrid.json"
    assert main(["plan", "--stack", "hybrid", "--project-dir", str(ROOT), "--export", str(path)]) == EXIT_OK
    return load_deployment(path)


@pytest.mark.slow
def test_plan_export_shows_the_defining_resources(exported: list[dict[str, Any]]) -> None:
    types = {record["type"] for record in exported}
    assert {
        VPN,
        "aws:ec2/customerGateway:CustomerGateway",
        "aws:ec2/vpnConnectionRoute:VpnConnectionRoute",
        "aws:eks/cluster:Cluster",
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:networking.k8s.io/v1:Ingress",
    } <= types
    (vpn,) = [record for record in exported if record["type"] == VPN]
    assert vpn["inputs"]["tunnel1IkeVersions"] == vpn["inputs"]["tunnel2IkeVersions"] == ["ikev2"]
    phi = [r for r in exported if r["type"] == DEPLOYMENT and "phi-summarizer" in r["urn"]]
    assert phi
    assert all(ONPREM in r["urn"] and CLOUD not in r["urn"] for r in phi)
