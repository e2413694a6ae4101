"""On-prem model: the `onprem` stack (an existing cluster, HIPAA, PHI) through the offline engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import ConfigError, validate
from components.onprem import onsite_image, require_onsite
from preflight.cli import EXIT_OK, main
from preflight.engine import PlanResult, RecordedResource, is_secret
from preflight.export import load_deployment
from tests.components.component_harness import config_error

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "inference-platform"
REGISTRY = "registry.site-a.example.internal:5000"
DIGEST = "sha256:3c5a1c2f5b0e4f7d9a8b6c4e2f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"

PlanOf = Callable[[str], PlanResult]


@pytest.fixture(scope="module")
def plan(plan_of: PlanOf) -> PlanResult:
    return plan_of("onprem")


def _named(plan: PlanResult, token: str, suffix: str) -> RecordedResource:
    found = [res for res in plan.by_type(token) if res.name.endswith(suffix)]
    assert len(found) == 1, [res.name for res in plan.by_type(token)]
    return found[0]


# -- no cloud at all -------------------------------------------------------------------------------


def test_no_aws_resource_and_no_aws_provider(plan: PlanResult) -> None:
    aws = [res.urn for res in plan.resources if res.type.startswith("aws:") or res.type == "pulumi:providers:aws"]
    assert aws == []


def test_every_kubernetes_resource_uses_the_explicit_provider(plan: PlanResult) -> None:
    provider = plan.one("pulumi:providers:kubernetes")
    assert provider.name == "platform-k8s"
    assert provider.parent  # the model's own provider, not an engine default from an ambient kubeconfig
    kubernetes = [res for res in plan.resources if res.custom and res.type.startswith("kubernetes:")]
    assert kubernetes, "no Kubernetes resource in the plan"
    for res in kubernetes:
        assert res.provider_urn == provider.urn, res.urn


def test_provider_takes_the_secret_kubeconfig_and_the_configured_context(plan: PlanResult) -> None:
    inputs = plan.one("pulumi:providers:kubernetes").inputs
    assert is_secret(inputs["kubeconfig"])
    assert inputs["context"] == "dc1-gpu"


# -- cluster preparation ---------------------------------------------------------------------------


def test_gpu_operator_chart_is_pinned_with_driver_and_dcgm(plan: PlanResult) -> None:
    release = plan.one(RELEASE).inputs
    assert (release["chart"], release["version"]) == ("gpu-operator", "v25.3.0")
    assert release["values"]["driver"]["enabled"] is True
    assert release["values"]["dcgmExporter"]["enabled"] is True
    assert release["namespace"] == "gpu-operator"


def test_gpu_pods_select_the_operator_labelled_nodes(plan: PlanResult) -> None:
    pod = plan.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"} in pod["tolerations"]


def test_inference_namespace_has_quota_and_limits(plan: PlanResult) -> None:
    quota = plan.one("kubernetes:core/v1:ResourceQuota").inputs
    assert quota["metadata"]["namespace"] == "inference"
    # Pulumi.onprem.yaml: maxReplicas 4 + 1 surge, one GPU and a 500Gi ceph-rbd cache each.
    assert quota["spec"]["hard"]["requests.nvidia.com/gpu"] == "5"
    assert quota["spec"]["hard"]["ceph-rbd.storageclass.storage.k8s.io/requests.storage"] == "2500Gi"
    assert plan.one("kubernetes:core/v1:LimitRange").inputs["metadata"]["namespace"] == "inference"


def test_model_cache_comes_from_the_configured_storage_class(plan: PlanResult) -> None:
    volumes = plan.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]["volumes"]
    cache = next(volume for volume in volumes if volume["name"] == "model-cache")
    claim = cache["ephemeral"]["volumeClaimTemplate"]["spec"]
    assert (claim["storageClassName"], claim["resources"]["requests"]["storage"]) == ("ceph-rbd", "500Gi")


# -- the service -----------------------------------------------------------------------------------


def test_ingress_serves_tls_for_the_site_hostname(plan: PlanResult) -> None:
    # The REST Ingress (gRPC has its own, on grpc.<hostname>).
    ingress = _named(plan, INGRESS, "-http-ingress").inputs
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["inference.site-a.example.internal"], "secretName": "inference-tls"}]
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "site-a-ca"


def test_network_policies_deny_by_default_and_admit_only_the_ingress_controller(plan: PlanResult) -> None:
    deny = _named(plan, POLICY, "-deny-all").inputs["spec"]
    assert deny["podSelector"] == {}
    assert sorted(deny["policyTypes"]) == ["Egress", "Ingress"]
    allow = _named(plan, POLICY, "-allow-ingress").inputs["spec"]["ingress"]
    assert allow[0]["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]
    egress = _named(plan, POLICY, "-allow-egress").inputs["spec"]["egress"]
    assert [port["port"] for rule in egress for port in rule["ports"]] == [53, 53]


def test_namespace_carries_site_residency_and_classification(plan: PlanResult) -> None:
    namespace = next(res for res in plan.by_type(NAMESPACE) if res.inputs["metadata"]["name"] == "inference")
    labels = namespace.inputs["metadata"]["labels"]
    assert labels["residency-zone"] == "us-site-a"
    assert labels["inference.platform/site"] == "site-a"
    assert labels["data-classification"] == "phi"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_pods_carry_the_site_label(plan: PlanResult) -> None:
    deployments = plan.by_type(DEPLOYMENT)
    assert deployments, "no Deployment in the plan"
    for deployment in deployments:
        assert deployment.inputs["spec"]["template"]["metadata"]["labels"]["inference.platform/site"] == "site-a"


def test_images_come_from_the_onsite_registry_by_digest(plan: PlanResult) -> None:
    deployments = plan.by_type(DEPLOYMENT)
    assert deployments, "no Deployment in the plan"
    for deployment in deployments:
        for container in deployment.inputs["spec"]["template"]["spec"]["containers"]:
            assert container["image"].startswith(f"{REGISTRY}/"), container["image"]
            assert container["image"].endswith(f"@{DIGEST}")


def test_outputs_name_the_https_url_namespace_and_image(plan: PlanResult) -> None:
    assert plan.outputs["serviceUrl"] == "https://inference.site-a.example.internal"
    assert plan.outputs["namespace"] == "inference"
    assert plan.outputs["imageReference"] == f"{REGISTRY}/inference/triton:24.08@{DIGEST}"


# -- the image helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (f"nvcr.io/nvidia/tritonserver:24.08-py3@{DIGEST}", f"{REGISTRY}/nvidia/tritonserver:24.08-py3@{DIGEST}"),
        (f"{REGISTRY}/inference/triton@{DIGEST}", f"{REGISTRY}/inference/triton@{DIGEST}"),
        (f"ubuntu@{DIGEST}", f"{REGISTRY}/library/ubuntu@{DIGEST}"),
        (f"ghcr.io/org/model:1.0@{DIGEST}", f"{REGISTRY}/org/model:1.0@{DIGEST}"),
    ],
)
def test_onsite_image_rewrites_only_the_registry_host(reference: str, expected: str) -> None:
    assert onsite_image(reference, REGISTRY) == expected


def test_onsite_image_refuses_an_image_without_digest() -> None:
    with pytest.raises(ValueError, match="pinned by digest"):
        onsite_image("nvcr.io/nvidia/tritonserver:24.08-py3", REGISTRY)


def test_require_onsite_refuses_another_registry() -> None:
    with pytest.raises(ConfigError, match=r"inference\.image\.reference: on-prem images come only from"):
        require_onsite(f"nvcr.io/nvidia/tritonserver@{DIGEST}", REGISTRY)


# -- config errors for the model's keys ------------------------------------------------------------


def _onprem_raw() -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "Pulumi.onprem.yaml").read_text())["config"]
    return {key.split(":", 1)[1]: value for key, value in config.items() if key != f"{PROJECT}:kubeconfig"}


def test_example_stack_config_is_valid() -> None:
    assert validate(_onprem_raw(), PROJECT).onprem is not None


def test_tls_source_missing_is_a_configconfig_error() -> None:
    raw = _onprem_raw()
    del raw["onprem"]["certManagerIssuer"]
    message = config_error(raw)
    assert f"{PROJECT}:onprem: set exactly one of tlsSecretName or certManagerIssuer" in message


def test_both_tls_sources_is_a_configconfig_error() -> None:
    raw = _onprem_raw()
    raw["onprem"]["tlsSecretName"] = "inference-cert"
    assert "set exactly one of tlsSecretName or certManagerIssuer" in config_error(raw)


def test_image_from_another_registry_is_a_configconfig_error() -> None:
    raw = _onprem_raw()
    raw["inference"]["image"]["reference"] = f"nvcr.io/nvidia/tritonserver:24.08-py3@{DIGEST}"
    message = config_error(raw)
    assert "inference.image.reference must come from the on-site registry" in message
    assert f"onprem.registryHost '{REGISTRY}'" in message


def test_image_without_digest_is_a_configconfig_error() -> None:
    raw = _onprem_raw()
    raw["inference"]["image"]["reference"] = f"{REGISTRY}/inference/triton:24.08"
    assert f"{PROJECT}:inference.image.reference: must be pinned by digest" in config_error(raw)


# -- preflight plan on the stack -------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    path = tmp_path_factory.mktemp("onprem") / "onprem.json"
    assert main(["plan", "--stack", "onprem", "--project-dir", str(ROOT), "--export", str(path)]) == EXIT_OK
    return load_deployment(path)


@pytest.mark.slow
def test_plan_export_shows_the_defining_resources(exported: list[dict[str, Any]]) -> None:
    types = {record["type"] for record in exported}
    assert {RELEASE, INGRESS, POLICY, DEPLOYMENT, "kubernetes:core/v1:ResourceQuota"} <= types
    assert not any(t.startswith("aws:") or t == "pulumi:providers:aws" for t in types)
    (release,) = [record for record in exported if record["type"] == RELEASE]
    assert release["inputs"]["version"] == "v25.3.0"
