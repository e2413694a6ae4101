"""Inference service: hardened GPU Deployment, Services, autoscaling, PDB and network isolation."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest
from component_harness import LABELS, named, plan_block

from components.inference_service import (
    Autoscaling,
    ComputeResources,
    InferenceService,
    InferenceServiceArgs,
    LoadBalancer,
    ModelCache,
    Peer,
    ServingPorts,
    TargetGroupBinding,
)
from preflight.engine import PlanResult

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
IMAGE = "registry.example/triton@sha256:" + "b" * 64
CERT = "arn:aws:acm:us-east-1:111122223333:certificate/abc"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def _args(**overrides: object) -> InferenceServiceArgs:
    values: dict[str, object] = {
        "name": "llm",
        "namespace": "serving",
        "model_name": "summarizer",
        "model_version": "3.2.0",
        "image": IMAGE,
        "labels": LABELS,
        "replicas": 2,
        "resources": ComputeResources(
            cpu_request="2", cpu_limit="4", memory_request="16Gi", memory_limit="16Gi", gpus=2
        ),
        "autoscaling": Autoscaling(min_replicas=2, max_replicas=5, target_cpu_utilization=60),
        "node_selector": {"inference.gpu/pool": "a10g"},
        "ingress_from": [Peer(cidr="10.0.0.0/19")],
        "https_egress_to": [Peer(cidr="0.0.0.0/0", except_cidrs=["10.0.0.0/8"])],
        "load_balancer": LoadBalancer(certificate_arn=CERT, source_ranges=["10.0.0.0/16"]),
        "service_account_annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/llm"},
        "args": ["tritonserver", "--model-repository=$(MODEL_REPOSITORY)"],
    }
    values.update(overrides)
    return InferenceServiceArgs(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    def build() -> None:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        gpu = InferenceService("gpu", _args(), pulumi.ResourceOptions(providers=[provider]))
        grpc = InferenceService(
            "grpc",
            _args(
                namespace="grpc-only",
                ports=ServingPorts(http=None, grpc=9001),
                resources=ComputeResources("1", "1", "2Gi", "2Gi", gpus=0),
                node_selector={},
                load_balancer=None,
                ingress_from=[],
                https_egress_to=[],
            ),
        )
        public = InferenceService(
            "public",
            _args(
                namespace="public",
                ports=ServingPorts(http=8000, grpc=None),
                load_balancer=LoadBalancer(certificate_arn=CERT, public=True, source_ranges=["198.51.100.0/24"]),
            ),
        )
        pulumi.export("gpuUrl", gpu.service_url)
        pulumi.export("grpcUrl", grpc.service_url)
        pulumi.export("publicNamespace", public.namespace)

    return plan_block(build)


def _pod(plan: PlanResult, component: str) -> dict:
    return named(plan, DEPLOYMENT, f"{component}-stable").inputs["spec"]["template"]["spec"]


def _container(plan: PlanResult, component: str) -> dict:
    return _pod(plan, component)["containers"][0]


def test_gpu_requests_equal_limits(plan: PlanResult) -> None:
    resources = _container(plan, "gpu")["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == "2"
    assert resources["limits"]["nvidia.com/gpu"] == "2"


def test_cpu_and_memory_have_requests_and_limits(plan: PlanResult) -> None:
    resources = _container(plan, "gpu")["resources"]
    assert (resources["requests"]["cpu"], resources["limits"]["cpu"]) == ("2", "4")
    assert (resources["requests"]["memory"], resources["limits"]["memory"]) == ("16Gi", "16Gi")


def test_gpu_pods_tolerate_the_taint_and_select_the_pool(plan: PlanResult) -> None:
    pod = _pod(plan, "gpu")
    assert pod["tolerations"] == [GPU_TOLERATION]
    assert pod["nodeSelector"] == {"inference.gpu/pool": "a10g"}


def test_cpu_only_service_requests_no_gpu_and_no_toleration(plan: PlanResult) -> None:
    pod = _pod(plan, "grpc")
    assert "nvidia.com/gpu" not in pod["containers"][0]["resources"]["limits"]
    assert "tolerations" not in pod
    assert "nodeSelector" not in pod


def test_container_security_context_is_restricted(plan: PlanResult) -> None:
    context = _container(plan, "gpu")["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_pod_runs_non_root_without_an_api_token(plan: PlanResult) -> None:
    pod = _pod(plan, "gpu")
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "llm"


def test_read_only_root_gets_a_writable_tmp(plan: PlanResult) -> None:
    mounts = {mount["mountPath"]: mount["name"] for mount in _container(plan, "gpu")["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in _pod(plan, "gpu")["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_image_is_pinned_by_digest(plan: PlanResult) -> None:
    assert _container(plan, "gpu")["image"] == IMAGE


def test_http_probes_use_kserve_v2_health_paths(plan: PlanResult) -> None:
    container = _container(plan, "gpu")
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "http"}
    assert container["startupProbe"]["failureThreshold"] == 60


def test_grpc_only_service_probes_over_grpc(plan: PlanResult) -> None:
    container = _container(plan, "grpc")
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["grpc"] == {"port": 9001}, probe


def test_container_gets_model_and_port_environment(plan: PlanResult) -> None:
    env = {item["name"]: item["value"] for item in _container(plan, "gpu")["env"]}
    assert env["MODEL_NAME"] == "summarizer"
    assert env["MODEL_VERSION"] == "3.2.0"
    assert env["HTTP_PORT"] == "8000"
    assert env["GRPC_PORT"] == "8001"


def test_pod_template_carries_the_label_set(plan: PlanResult) -> None:
    labels = named(plan, DEPLOYMENT, "gpu-stable").inputs["spec"]["template"]["metadata"]["labels"]
    assert labels["data-classification"] == "phi"
    assert labels["app.kubernetes.io/version"] == "3.2.0"
    assert labels["app.kubernetes.io/managed-by"] == "pulumi"
    assert labels["inference.platform/track"] == "stable"


def test_namespace_enforces_restricted_pod_security(plan: PlanResult) -> None:
    labels = named(plan, "kubernetes:core/v1:Namespace", "gpu-ns").inputs["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    assert labels["residency-zone"] == "us"


def test_service_account_has_the_irsa_annotation_and_no_token(plan: PlanResult) -> None:
    account = named(plan, "kubernetes:core/v1:ServiceAccount", "gpu-sa").inputs
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/llm"}
    assert account["automountServiceAccountToken"] is False


def test_cluster_ip_service_exposes_the_enabled_ports(plan: PlanResult) -> None:
    both = named(plan, SERVICE, "gpu-svc").inputs["spec"]
    assert both["type"] == "ClusterIP"
    assert [(p["name"], p["port"]) for p in both["ports"]] == [("http", 8000), ("grpc", 8001)]
    grpc_only = named(plan, SERVICE, "grpc-svc").inputs["spec"]
    assert [(p["name"], p["port"]) for p in grpc_only["ports"]] == [("grpc", 9001)]


def test_internal_load_balancer_terminates_tls_with_the_certificate_and_the_fips_policy(plan: PlanResult) -> None:
    service = named(plan, SERVICE, "gpu-lb").inputs
    annotations = service["metadata"]["annotations"]
    prefix = "service.beta.kubernetes.io/aws-load-balancer-"
    assert annotations[f"{prefix}scheme"] == "internal"
    assert annotations[f"{prefix}ssl-cert"] == CERT
    assert annotations[f"{prefix}ssl-ports"] == "https,grpcs"
    # The default: FedRAMP accepts only FIPS policies, and every other profile accepts them too.
    assert annotations[f"{prefix}ssl-negotiation-policy"] == "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04"
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["loadBalancerClass"] == "service.k8s.aws/nlb"


def test_load_balancer_has_deletion_protection_by_default(plan: PlanResult) -> None:
    annotations = named(plan, SERVICE, "gpu-lb").inputs["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-attributes"] == "deletion_protection.enabled=true"


def test_load_balancer_without_deletion_protection_when_opted_out() -> None:
    annotations = LoadBalancer(certificate_arn=CERT, deletion_protection=False).annotations(["https"])
    assert "service.beta.kubernetes.io/aws-load-balancer-attributes" not in annotations


def test_public_load_balancer_is_limited_to_the_allow_list(plan: PlanResult) -> None:
    service = named(plan, SERVICE, "public-lb").inputs
    assert (
        service["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internet-facing"
    )
    assert service["spec"]["loadBalancerSourceRanges"] == ["198.51.100.0/24"]
    assert [p["name"] for p in service["spec"]["ports"]] == ["https"]


def test_public_load_balancer_without_allow_list_is_refused() -> None:
    with pytest.raises(ValueError, match="source_ranges"):
        LoadBalancer(certificate_arn=CERT, public=True)


def test_no_load_balancer_without_a_certificate(plan: PlanResult) -> None:
    assert [res.name for res in plan.by_type(SERVICE) if res.name.startswith("grpc-")] == ["grpc-svc"]
    assert plan.outputs["grpcUrl"] == "grpc://llm.grpc-only.svc.cluster.local:9001"


def test_hpa_scales_the_deployment_within_bounds(plan: PlanResult) -> None:
    spec = named(plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "gpu-stable-hpa").inputs["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm-stable"}
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 5)
    assert spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 60


def test_pdb_allows_one_disruption(plan: PlanResult) -> None:
    spec = named(plan, "kubernetes:policy/v1:PodDisruptionBudget", "gpu-stable-pdb").inputs["spec"]
    assert spec["maxUnavailable"] == 1
    assert spec["selector"]["matchLabels"]["app.kubernetes.io/name"] == "llm"


def test_default_deny_covers_every_pod_both_ways(plan: PlanResult) -> None:
    spec = named(plan, POLICY, "gpu-deny-all").inputs["spec"]
    assert spec["podSelector"] == {}
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]


def test_ingress_only_from_the_exposure_path_on_serving_ports(plan: PlanResult) -> None:
    rule = named(plan, POLICY, "gpu-allow-ingress").inputs["spec"]["ingress"]
    assert rule == [
        {
            "from": [{"ipBlock": {"cidr": "10.0.0.0/19"}}],
            "ports": [{"protocol": "TCP", "port": 8000}, {"protocol": "TCP", "port": 8001}],
        }
    ]


def test_no_ingress_allowed_without_an_exposure_path(plan: PlanResult) -> None:
    assert [res.name for res in plan.by_type(POLICY) if res.name.startswith("grpc-")] == [
        "grpc-deny-all",
        "grpc-allow-egress",
    ]


def test_egress_only_dns_and_https_to_model_storage(plan: PlanResult) -> None:
    egress = named(plan, POLICY, "gpu-allow-egress").inputs["spec"]["egress"]
    dns, https = egress
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert sorted((p["protocol"], p["port"]) for p in dns["ports"]) == [("TCP", 53), ("UDP", 53)]
    assert https == {
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }


def test_kubernetes_resources_use_the_explicit_provider(plan: PlanResult) -> None:
    provider = plan.one("pulumi:providers:kubernetes", "cluster")
    service = [res for res in plan.resources if res.name.startswith("gpu-") and res.custom]
    assert service, "no resource of the gpu service in the plan"
    for res in service:
        assert res.provider.startswith(provider.urn), res.name


def test_replicas_outside_autoscaling_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="within autoscaling"):
        _args(replicas=9)


def test_instances_do_not_collide(plan: PlanResult) -> None:
    urns = [res.urn for res in plan.resources]
    assert len(urns) == len(set(urns))
    assert len(plan.by_type(DEPLOYMENT)) == 3


# -- model cache (clusters whose storage is a StorageClass, e.g. on-prem) ----------------------------


@pytest.fixture(scope="module")
def cache_plan() -> PlanResult:
    def build() -> None:
        provider = k8s.Provider("site", kubeconfig="{}")
        InferenceService(
            "cached",
            _args(
                namespace="cached",
                load_balancer=None,
                service_account_annotations={},
                model_cache=ModelCache(storage_class="ceph-rbd", size="500Gi"),
            ),
            pulumi.ResourceOptions(providers=[provider]),
        )

    return plan_block(build)


def test_no_cache_unless_asked(plan: PlanResult) -> None:
    assert all("ephemeral" not in volume for volume in _pod(plan, "gpu")["volumes"])


def test_model_cache_is_a_per_pod_volume_from_the_storage_class(cache_plan: PlanResult) -> None:
    pod = _pod(cache_plan, "cached")
    volume = next(volume for volume in pod["volumes"] if volume["name"] == "model-cache")
    claim = volume["ephemeral"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "ceph-rbd"
    assert claim["resources"]["requests"] == {"storage": "500Gi"}
    assert claim["accessModes"] == ["ReadWriteOnce"]


def test_model_cache_is_mounted_and_announced(cache_plan: PlanResult) -> None:
    container = _pod(cache_plan, "cached")["containers"][0]
    assert {"name": "model-cache", "mountPath": "/model-cache"} in container["volumeMounts"]
    assert {"name": "MODEL_CACHE_DIR", "value": "/model-cache"} in container["env"]


# -- target group bindings (a load balancer the program owns, e.g. the private cloud's internal NLB) --

TARGET_GROUP_BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
HTTP_TG = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/http/0123456789abcdef"
GRPC_TG = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/grpc/0123456789abcdef"


@pytest.fixture(scope="module")
def bound_plan() -> PlanResult:
    def build() -> None:
        InferenceService(
            "bound",
            _args(
                load_balancer=None,
                target_group_bindings=[
                    TargetGroupBinding(port_name="http", target_group_arn=HTTP_TG, security_group_id="sg-0nlb"),
                    TargetGroupBinding(port_name="grpc", target_group_arn=GRPC_TG),
                ],
            ),
        )

    return plan_block(build)


def test_target_group_binding_registers_pod_ips_of_the_cluster_ip_service(bound_plan: PlanResult) -> None:
    spec = named(bound_plan, TARGET_GROUP_BINDING, "tgb-http").inputs["spec"]
    assert (spec["serviceRef"], spec["targetGroupARN"], spec["targetType"]) == (
        {"name": "llm", "port": 8000},
        HTTP_TG,
        "ip",
    )


def test_target_group_binding_admits_the_load_balancer_security_group(bound_plan: PlanResult) -> None:
    spec = named(bound_plan, TARGET_GROUP_BINDING, "tgb-http").inputs["spec"]
    assert spec["networking"] == {
        "ingress": [{"from": [{"securityGroup": {"groupID": "sg-0nlb"}}], "ports": [{"protocol": "TCP", "port": 8000}]}]
    }
    assert "networking" not in named(bound_plan, TARGET_GROUP_BINDING, "tgb-grpc").inputs["spec"]


def test_target_group_binding_is_not_a_load_balancer_service(bound_plan: PlanResult) -> None:
    assert [res.inputs["spec"]["type"] for res in bound_plan.by_type(SERVICE)] == ["ClusterIP"]


def test_target_group_binding_needs_a_served_port() -> None:
    with pytest.raises(ValueError, match="target_group_bindings"):
        _args(
            ports=ServingPorts(http=8000, grpc=None),
            target_group_bindings=[TargetGroupBinding(port_name="grpc", target_group_arn=GRPC_TG)],
        )
