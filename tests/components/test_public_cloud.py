"""The public-cloud model on the example stacks, run as `preflight plan` runs them (dev and prod)."""

from __future__ import annotations

import json

import pytest
from component_harness import PROJECT, ROOT, named, plan_stack

from components.inference_service import LoadBalancer
from components.labels import RESERVED_TAG_KEYS
from components.public_cloud import _with_clients
from preflight.engine import STACK_TYPE, PlanResult, ProgramError, is_secret, run_program
from preflight.stackfile import load_stack

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
# Resources holding data (keys, artifacts, images, audit logs).
DATA_TYPES = (
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:ecr/repository:Repository",
    "aws:cloudwatch/logGroup:LogGroup",
)


@pytest.fixture(scope="module")
def dev() -> PlanResult:
    return plan_stack("dev")


@pytest.fixture(scope="module")
def prod() -> PlanResult:
    return plan_stack("prod")


def test_exports_the_model_outputs(prod: PlanResult) -> None:
    assert set(prod.outputs) == {
        "clusterName",
        "clusterEndpoint",
        "kubeconfig",
        "serviceUrl",
        "bucketName",
        "imageReference",
        "trafficWeights",
        "acceptanceTest",
        "monitoring",
    }
    assert prod.outputs["clusterName"] == "inference-platform-prod"
    assert is_secret(prod.outputs["kubeconfig"])
    assert "@sha256:" in prod.outputs["imageReference"]


def test_cluster_endpoint_is_private_and_secrets_are_encrypted(prod: PlanResult) -> None:
    cluster = prod.one(CLUSTER).inputs
    assert cluster["vpcConfig"]["endpointPublicAccess"] is False
    assert cluster["vpcConfig"]["endpointPrivateAccess"] is True
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    assert cluster["enabledClusterLogTypes"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def test_gpu_pool_uses_nvidia_ami_with_taint_across_zones(prod: PlanResult) -> None:
    pool = named(prod, NODE_GROUP, "gpu-gpu-a10g-ng").inputs
    assert pool["amiType"] == "AL2023_x86_64_NVIDIA"
    assert {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"} in pool["taints"]
    assert pool["capacityType"] == "ON_DEMAND"
    assert pool["scalingConfig"]["minSize"] >= 2
    assert len(pool["subnetIds"]) >= 2


def test_dev_gpu_pool_is_spot_and_scales_from_zero(dev: PlanResult) -> None:
    pool = named(dev, NODE_GROUP, "gpu-gpu-spot-ng").inputs
    assert pool["capacityType"] == "SPOT"
    assert pool["scalingConfig"]["minSize"] == 0


def test_system_pool_is_a_cpu_pool(prod: PlanResult) -> None:
    assert named(prod, NODE_GROUP, "system-pool-ng").inputs["amiType"] == "AL2023_x86_64_STANDARD"


def test_deployment_requests_gpus_with_three_replicas(prod: PlanResult) -> None:
    spec = prod.one(DEPLOYMENT).inputs["spec"]
    container = spec["template"]["spec"]["containers"][0]
    assert spec["replicas"] == 3
    assert (
        container["resources"]["requests"]["nvidia.com/gpu"]
        == container["resources"]["limits"]["nvidia.com/gpu"]
        == "1"
    )
    assert spec["template"]["spec"]["nodeSelector"] == {"inference.gpu/pool": "gpu-a10g"}


@pytest.mark.parametrize("token", DATA_TYPES)
def test_data_holding_resources_are_protected_in_prod(prod: PlanResult, token: str) -> None:
    resources = prod.by_type(token)
    assert resources
    assert all(res.protect and res.retain_on_delete for res in resources), [res.name for res in resources]


def test_nothing_is_protected_in_dev(dev: PlanResult) -> None:
    assert [res.name for res in dev.resources if res.protect or res.retain_on_delete] == []


def test_eks_deletion_protection_only_in_prod(dev: PlanResult, prod: PlanResult) -> None:
    assert prod.one(CLUSTER).inputs["deletionProtection"] is True
    assert dev.one(CLUSTER).inputs["deletionProtection"] is False


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_tagged_aws_resource_carries_exactly_the_convention(stack: str) -> None:
    plan = plan_stack(stack)
    config_tags = {"dev": {"cost-center"}, "prod": {"cost-center"}}[stack]
    tagged = [res for res in plan.resources if res.type.startswith("aws:") and "tags" in res.inputs]
    assert len(tagged) > 20
    for res in tagged:
        tags = set(res.inputs["tags"]) - {"kubernetes.io/role/internal-elb", "kubernetes.io/role/elb"}
        assert tags == RESERVED_TAG_KEYS | config_tags, res.name


@pytest.mark.parametrize(
    "token",
    [
        CLUSTER,
        NODE_GROUP,
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:kms/key:Key",
        "aws:iam/role:Role",
        *DATA_TYPES,
    ],
)
def test_taggable_resources_are_tagged(prod: PlanResult, token: str) -> None:
    resources = prod.by_type(token)
    assert resources, f"no {token} in the plan"
    assert all("tags" in res.inputs for res in resources)


def test_prod_is_exposed_through_an_internal_tls_load_balancer(prod: PlanResult) -> None:
    # The ALB the AWS Load Balancer Controller makes from the service's Ingress (the traffic split's router).
    annotations = named(prod, "kubernetes:networking.k8s.io/v1:Ingress", "http-ingress").inputs["metadata"][
        "annotations"
    ]
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internal"
    assert annotations["alb.ingress.kubernetes.io/inbound-cidrs"] == "10.20.0.0/16"
    assert annotations["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTPS": 443}]'


def test_dev_without_certificate_has_no_load_balancer(dev: PlanResult) -> None:
    assert {res.inputs["spec"]["type"] for res in dev.by_type("kubernetes:core/v1:Service")} == {"ClusterIP"}
    assert dev.by_type("kubernetes:networking.k8s.io/v1:Ingress") == []
    assert dev.outputs["serviceUrl"] == "http://inference.inference.svc.cluster.local:8000"


def test_service_accepts_traffic_only_from_node_and_load_balancer_subnets(prod: PlanResult) -> None:
    policy = named(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "service-allow-ingress").inputs
    sources = [peer["ipBlock"]["cidr"] for peer in policy["spec"]["ingress"][0]["from"]]
    assert sources == ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"]


def test_bucket_policy_is_known_at_preview_and_denies_plain_http(prod: PlanResult) -> None:
    policy = json.loads(named(prod, "aws:s3/bucketPolicy:BucketPolicy", "artifacts-policy").inputs["policy"])
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allow = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    assert allow["Principal"] == {"AWS": ["arn:aws:iam::111122223333:role/inference-platform-prod-inference"]}


def test_model_repository_is_the_bucket_prefix_the_service_may_read(prod: PlanResult) -> None:
    """`$(MODEL_REPOSITORY)` in the stack's container args must resolve to the artifact bucket."""
    container = prod.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item["value"] for item in container["env"]}
    bucket = named(prod, "aws:s3/bucket:Bucket", "artifacts-bucket").inputs["bucket"]
    assert env["MODEL_REPOSITORY"] == f"s3://{bucket}/models/inference"
    assert "--model-repository=$(MODEL_REPOSITORY)" in container["args"]


def test_service_account_role_is_the_bucket_reader(prod: PlanResult) -> None:
    role = named(prod, "aws:iam/role:Role", "service-role-role").inputs
    assert role["name"] == "inference-platform-prod-inference"


def test_nat_per_zone_in_prod_one_in_dev(dev: PlanResult, prod: PlanResult) -> None:
    assert len(prod.by_type("aws:ec2/natGateway:NatGateway")) == 3
    assert len(dev.by_type("aws:ec2/natGateway:NatGateway")) == 1


def test_kubernetes_resources_never_use_a_default_provider(prod: PlanResult) -> None:
    provider = prod.one("pulumi:providers:kubernetes")
    assert provider.name == "platform-cluster-k8s"
    kubernetes = [res for res in prod.resources if res.type.startswith("kubernetes:")]
    assert kubernetes, "no Kubernetes resource in the plan"
    for res in kubernetes:
        assert res.provider.startswith(provider.urn + "::"), res.name


def test_device_plugin_targets_the_al2023_gpu_nodes(prod: PlanResult) -> None:
    values = named(prod, "kubernetes:helm.sh/v3:Release", "device-plugin-release").inputs["values"]
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms[0]["matchExpressions"][0]["values"] == ["nvidia"]


def test_every_resource_hangs_off_the_model_component(prod: PlanResult) -> None:
    model = prod.one("inference:models:PublicCloud")
    assert model.parent == prod.stack_urn
    for res in prod.resources:
        if (
            res.type == STACK_TYPE
            or res.urn == model.urn
            or (res.type.startswith("pulumi:providers:") and not res.parent)
        ):
            continue
        chain = res
        while chain.parent and chain.parent != model.urn:
            chain = prod.get(chain.parent)
        assert chain.parent == model.urn, res.urn


def test_egress_false_is_refused_before_any_resource() -> None:
    stack = load_stack(ROOT, "dev")
    network = json.loads(stack.config[f"{PROJECT}:network"])
    config = {**stack.config, f"{PROJECT}:network": json.dumps({**network, "egress": False})}
    with pytest.raises(ProgramError) as error:
        run_program(ROOT, project=PROJECT, stack="dev", config=config)
    assert error.value.is_config_error
    assert "network.egress" in str(error.value)
    assert "private-cloud" in str(error.value)


# -- hooks for models that reuse this one (hybrid's cloud side; exercised end to end in test_hybrid) ---


def test_vpn_clients_widen_only_an_internal_load_balancer() -> None:
    cert = "arn:aws:acm:us-east-1:111122223333:certificate/abc"
    internal = LoadBalancer(certificate_arn=cert, source_ranges=["10.40.0.0/16"])
    widened = _with_clients(internal, ["192.168.0.0/16", "10.40.0.0/16"])
    assert widened is not None
    assert list(widened.source_ranges) == ["10.40.0.0/16", "192.168.0.0/16"]
    public = LoadBalancer(certificate_arn=cert, public=True, source_ranges=["198.51.100.0/24"])
    assert _with_clients(public, ["192.168.0.0/16"]) is public
