"""The private-cloud model on its example stack (GovCloud, fedramp-high, CUI), run as `preflight plan` runs it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from component_harness import PROJECT, ROOT, named, plan_stack

from components.config import ConfigError, PrivateCloudConfig, validate
from components.private_cloud import device_plugin_values, ecr_registry_pattern
from components.vpc_endpoints import REQUIRED_INTERFACE_SERVICES
from preflight.cli import EXIT_OK, main
from preflight.engine import PlanResult, ProgramError, RecordedResource, run_program
from preflight.export import load_deployment
from preflight.stackfile import load_stack

REGION = "us-gov-west-1"
VPC_CIDR = "10.30.0.0/16"
TENANT_CIDR = "172.20.0.0/16"
TGW = "tgw-0a1b2c3d4e5f60718"
CONSUMER = "arn:aws-us-gov:iam::444455556666:root"
FIPS_POLICY = "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04"
RELEASE = "kubernetes:helm.sh/v3:Release"

ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
KEY = "aws:kms/key:Key"
AWS_PROVIDER = "pulumi:providers:aws"
NO_EGRESS_TYPES = (
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip",
)


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return plan_stack("private")


def _gov(service: str) -> str:
    return f"com.amazonaws.{REGION}.{service}"


def _interface_endpoints(plan: PlanResult) -> dict[str, RecordedResource]:
    return {
        res.inputs["serviceName"]: res for res in plan.by_type(ENDPOINT) if res.inputs["vpcEndpointType"] == "Interface"
    }


# -- no path to or from the internet ---------------------------------------------------------------


@pytest.mark.parametrize("token", NO_EGRESS_TYPES)
def test_no_internet_or_nat_gateway_anywhere(plan: PlanResult, token: str) -> None:
    assert plan.by_type(token) == []


def test_no_subnet_maps_public_ips(plan: PlanResult) -> None:
    subnets = plan.by_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 3
    assert {res.inputs["mapPublicIpOnLaunch"] for res in subnets} == {False}


def test_no_route_to_anywhere_but_the_tenant(plan: PlanResult) -> None:
    routes = plan.by_type("aws:ec2/route:Route")
    assert routes
    assert {res.inputs["destinationCidrBlock"] for res in routes} == {TENANT_CIDR}


# -- dedicated tenancy -------------------------------------------------------------------------------


def test_vpc_has_dedicated_instance_tenancy(plan: PlanResult) -> None:
    vpc = plan.one("aws:ec2/vpc:Vpc").inputs
    assert (vpc["instanceTenancy"], vpc["cidrBlock"]) == ("dedicated", VPC_CIDR)


def test_every_node_launch_template_uses_dedicated_placement(plan: PlanResult) -> None:
    templates = plan.by_type(LAUNCH_TEMPLATE)
    assert len(templates) == 2  # the system pool and the one GPU pool
    assert {res.name: res.inputs["placement"]["tenancy"] for res in templates} == dict.fromkeys(
        (res.name for res in templates), "dedicated"
    )


# -- PrivateLink endpoints -----------------------------------------------------------------------------


@pytest.mark.parametrize("service", REQUIRED_INTERFACE_SERVICES)
def test_required_interface_endpoint_has_private_dns(plan: PlanResult, service: str) -> None:
    endpoint = _interface_endpoints(plan)[_gov(service)]
    assert endpoint.inputs["privateDnsEnabled"] is True
    assert len(endpoint.inputs["subnetIds"]) == 3


def test_fips_kms_endpoint_serves_the_fips_hostname(plan: PlanResult) -> None:
    assert _interface_endpoints(plan)[_gov("kms-fips")].inputs["privateDnsEnabled"] is True


def test_interface_endpoints_use_the_https_from_vpc_security_group(plan: PlanResult) -> None:
    group = named(plan, SECURITY_GROUP, "endpoints-sg")
    rules = group.inputs["ingress"]
    assert [(r["protocol"], r["fromPort"], r["toPort"], r["cidrBlocks"]) for r in rules] == [
        ("tcp", 443, 443, [VPC_CIDR])
    ]
    assert group.inputs["egress"] == []
    endpoints = _interface_endpoints(plan)
    assert endpoints, "no interface endpoint in the plan"
    for endpoint in endpoints.values():
        assert endpoint.property_dependencies["securityGroupIds"] == [group.urn], endpoint.name


def test_s3_gateway_endpoint_is_on_every_private_route_table(plan: PlanResult) -> None:
    gateway = named(plan, ENDPOINT, "endpoints-s3")
    assert (gateway.inputs["serviceName"], gateway.inputs["vpcEndpointType"]) == (_gov("s3"), "Gateway")
    tables = {res.urn for res in plan.by_type("aws:ec2/routeTable:RouteTable")}
    assert len(tables) == 3
    assert set(gateway.property_dependencies["routeTableIds"]) == tables


def test_nodes_join_only_after_the_endpoints_exist(plan: PlanResult) -> None:
    endpoints = {res.urn for res in plan.by_type(ENDPOINT)}
    node_groups = plan.by_type("aws:eks/nodeGroup:NodeGroup")
    assert len(node_groups) == 2
    for node_group in node_groups:
        assert endpoints <= set(node_group.dependencies), node_group.name


# -- cluster and keys --------------------------------------------------------------------------------


def test_eks_api_endpoint_is_private_only(plan: PlanResult) -> None:
    vpc_config = plan.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert (vpc_config["endpointPublicAccess"], vpc_config["endpointPrivateAccess"]) == (False, True)
    assert "publicAccessCidrs" not in vpc_config


def test_every_key_is_a_rotating_customer_managed_cmk(plan: PlanResult) -> None:
    keys = plan.by_type(KEY)
    # The five purpose keys, the audit archive's and the alarm topic's.
    assert len(keys) == 7
    for key in keys:
        assert key.inputs["enableKeyRotation"] is True, key.name
        assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT", key.name
        assert key.protect and key.retain_on_delete, key.name


@pytest.mark.parametrize(
    ("token", "prop"),
    [
        ("aws:eks/cluster:Cluster", "encryptionConfig"),
        ("aws:cloudwatch/logGroup:LogGroup", "kmsKeyId"),
        (LAUNCH_TEMPLATE, "blockDeviceMappings"),
        ("aws:ecr/repository:Repository", "encryptionConfigurations"),
        ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "rules"),
    ],
)
def test_encryption_uses_one_of_the_stacks_cmks(plan: PlanResult, token: str, prop: str) -> None:
    keys = {res.urn for res in plan.by_type(KEY)}
    resources = plan.by_type(token)
    assert resources
    for res in resources:
        assert set(res.property_dependencies[prop]) & keys, res.name


# -- the FIPS provider -------------------------------------------------------------------------------


def test_the_one_aws_provider_is_explicit_with_fips_endpoints(plan: PlanResult) -> None:
    provider = plan.one(AWS_PROVIDER)
    assert provider.name == "platform-aws"
    assert provider.parent == plan.one("inference:models:PrivateCloud").urn
    assert (provider.inputs["useFipsEndpoint"], provider.inputs["region"]) == ("true", REGION)


def test_no_aws_resource_uses_a_default_provider(plan: PlanResult) -> None:
    provider = plan.one(AWS_PROVIDER)
    aws_resources = [res for res in plan.resources if res.type.startswith("aws:")]
    assert len(aws_resources) > 60
    assert [res.name for res in aws_resources if not res.provider.startswith(provider.urn + "::")] == []


def test_pods_use_fips_endpoints(plan: PlanResult) -> None:
    container = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "AWS_USE_FIPS_ENDPOINT", "value": "true"} in container["env"]


# -- exposure: internal NLB with TLS, PrivateLink, tenant link -----------------------------------------


def test_service_is_exposed_only_through_an_internal_nlb(plan: PlanResult) -> None:
    balancers = plan.by_type("aws:lb/loadBalancer:LoadBalancer")
    assert [(res.inputs["internal"], res.inputs["loadBalancerType"]) for res in balancers] == [(True, "network")]
    services = plan.by_type("kubernetes:core/v1:Service")
    assert services
    assert {res.inputs["spec"]["type"] for res in services} == {"ClusterIP"}


def test_nlb_listeners_are_tls_with_a_fips_policy_and_declare_the_auth_mode(plan: PlanResult) -> None:
    listeners = plan.by_type("aws:lb/listener:Listener")
    assert {res.inputs["port"] for res in listeners} == {443, 8443}
    for listener in listeners:
        inputs = listener.inputs
        assert (inputs["protocol"], inputs["sslPolicy"]) == ("TLS", FIPS_POLICY), listener.name
        assert inputs["certificateArn"].startswith(f"arn:aws-us-gov:acm:{REGION}:")
        assert inputs["tags"]["inference.auth/mode"] == "oidc"


def test_nlb_admits_the_vpc_and_the_tenant_network_only(plan: PlanResult) -> None:
    group = named(plan, SECURITY_GROUP, "nlb-sg")
    assert {tuple(rule["cidrBlocks"]) for rule in group.inputs["ingress"]} == {(VPC_CIDR, TENANT_CIDR)}


def test_pods_are_registered_in_the_nlb_target_groups(plan: PlanResult) -> None:
    groups = {res.urn for res in plan.by_type("aws:lb/targetGroup:TargetGroup")}
    bindings = plan.by_type("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    assert len(bindings) == 2
    for binding in bindings:
        assert set(binding.property_dependencies["spec"]) & groups, binding.name


def test_endpoint_service_publishes_the_nlb_with_acceptance_required(plan: PlanResult) -> None:
    service = plan.one("aws:ec2/vpcEndpointService:VpcEndpointService")
    assert service.inputs["acceptanceRequired"] is True
    assert service.inputs["allowedPrincipals"] == [CONSUMER]
    nlb = plan.one("aws:lb/loadBalancer:LoadBalancer")
    assert service.property_dependencies["networkLoadBalancerArns"] == [nlb.urn]


def test_transit_gateway_attachment_routes_the_tenant_cidrs(plan: PlanResult) -> None:
    attachment = plan.one("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert attachment.inputs["transitGatewayId"] == TGW
    routes = plan.by_type("aws:ec2/route:Route")
    assert len(routes) == 3  # one per private route table
    assert {res.inputs["transitGatewayId"] for res in routes} == {TGW}


# -- images only from the region's ECR ------------------------------------------------------------------


def test_service_image_is_the_tenants_in_region_ecr_image_pinned_by_digest(plan: PlanResult) -> None:
    image = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]["containers"][0]["image"]
    assert ecr_registry_pattern(REGION).match(image)
    assert "@sha256:" in image


def test_device_plugin_runs_the_mirrored_image_by_digest(plan: PlanResult) -> None:
    image = named(plan, RELEASE, "device-plugin-release").inputs["values"]["image"]
    assert ecr_registry_pattern(REGION).match(image["repository"] + "/")
    assert image["tag"].startswith("v0.17.1@sha256:")


def test_load_balancer_controller_runs_the_mirrored_image_with_fips_endpoints(plan: PlanResult) -> None:
    values = named(plan, RELEASE, "lb-controller-release").inputs["values"]
    assert ecr_registry_pattern(REGION).match(values["image"]["repository"] + "/")
    assert values["image"]["tag"].startswith("v2.17.1@sha256:")
    # GovCloud: the FIPS hostnames of EC2, ELB and STS are the standard ones the endpoints serve.
    assert values["env"] == {"AWS_USE_FIPS_ENDPOINT": "true"}


def test_target_group_bindings_wait_for_the_load_balancer_controller(plan: PlanResult) -> None:
    controller = named(plan, RELEASE, "lb-controller-release")
    bindings = plan.by_type("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    assert bindings, "no TargetGroupBinding in the plan"
    for binding in bindings:
        assert controller.urn in binding.dependencies, binding.name


def test_device_plugin_tag_defaults_to_the_chart_scheme_without_a_tag() -> None:
    image = f"111122223333.dkr.ecr.{REGION}.amazonaws.com/nvidia/k8s-device-plugin@sha256:" + "a" * 64
    assert device_plugin_values(image, "0.17.1")["image"]["tag"] == "v0.17.1@sha256:" + "a" * 64


def test_ecr_pattern_accepts_only_the_region() -> None:
    pattern = ecr_registry_pattern(REGION)
    assert pattern.match(f"111122223333.dkr.ecr-fips.{REGION}.amazonaws.com/x")
    assert not pattern.match("111122223333.dkr.ecr.us-east-1.amazonaws.com/x")
    assert not pattern.match("nvcr.io/nvidia/tritonserver")


# -- outputs ---------------------------------------------------------------------------------------------


def test_exports_the_cloud_outputs_and_the_endpoint_service_name(plan: PlanResult) -> None:
    cloud_outputs = {"clusterName", "clusterEndpoint", "kubeconfig", "serviceUrl", "bucketName", "imageReference"}
    assert {*cloud_outputs, "endpointServiceName"} <= set(plan.outputs)
    assert plan.outputs["clusterName"] == "inference-platform-private"


# -- config errors for the private-cloud keys --------------------------------------------------------


def _config(**changes: Callable[[dict[str, Any]], None]) -> dict[str, str]:
    """The example stack's flat config with ``changes[key](value)`` applied to JSON-valued keys."""
    config = dict(load_stack(ROOT, "private").config)
    for key, change in changes.items():
        value = json.loads(config[f"{PROJECT}:{key}"])
        change(value)
        config[f"{PROJECT}:{key}"] = json.dumps(value)
    return config


def _config_error(config: dict[str, str]) -> str:
    with pytest.raises(ProgramError) as error:
        run_program(ROOT, project=PROJECT, stack="private", config=config)
    assert error.value.is_config_error, str(error.value)
    return str(error.value)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(section: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        for parent in parents:
            section = section.setdefault(parent, {})
        section[leaf] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda section: section.pop(key)


def test_tenant_cidrs_without_transit_gateway_name_the_key() -> None:
    message = _config_error(_config(privateCloud=_drop("transitGatewayId")))
    assert f"{PROJECT}:privateCloud: tenantCidrs needs transitGatewayId" in message


def test_tenant_cidr_overlapping_the_vpc_names_the_key() -> None:
    message = _config_error(_config(privateCloud=_set("tenantCidrs", ["10.30.128.0/20"])))
    assert "privateCloud.tenantCidrs entry '10.30.128.0/20' overlaps network.cidr '10.30.0.0/16'" in message


def test_egress_true_names_the_key() -> None:
    message = _config_error(_config(network=_set("egress", True)))
    assert "network.egress must be false for deploymentModel 'private-cloud'" in message


def test_public_exposure_names_the_key() -> None:
    change = _set("mode", "public")

    def public(section: dict[str, Any]) -> None:
        change(section)
        section["allowedCidrs"] = ["198.51.100.0/24"]

    message = _config_error(_config(exposure=public))
    assert "allows no public endpoint (exposure.mode, cluster.endpointPublicAccess)" in message


def test_public_cluster_endpoint_names_the_key() -> None:
    def public(section: dict[str, Any]) -> None:
        section.update(endpointPublicAccess=True, publicAccessCidrs=["198.51.100.0/24"])

    message = _config_error(_config(cluster=public))
    assert "cluster.endpointPublicAccess" in message


def test_missing_tls_certificate_names_the_key() -> None:
    message = _config_error(_config(exposure=_drop("tlsCertificateArn")))
    assert f"{PROJECT}:exposure.tlsCertificateArn: the private-cloud model serves only through" in message


def test_mtls_names_the_key_and_the_alternative() -> None:
    trust_store = "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:111122223333:truststore/clients/0123456789abcdef"
    auth = {"mode": "mtls", "clientCaSecret": "ca", "albTrustStoreArn": trust_store}
    message = _config_error(_config(integration=_set("auth", auth)))
    assert f"{PROJECT}:integration.auth.mode:" in message
    assert "use 'oidc' (got 'mtls')" in message


def test_image_outside_the_regions_ecr_names_the_key() -> None:
    image = "nvcr.io/nvidia/tritonserver:24.08-py3@sha256:" + "c" * 64
    message = _config_error(_config(inference=_set("image", {"reference": image})))
    assert f"{PROJECT}:inference.image.reference: the VPC has no internet path" in message


def test_missing_device_plugin_image_names_the_key() -> None:
    message = _config_error(_config(privateCloud=_drop("devicePluginImage")))
    assert f"{PROJECT}:privateCloud.devicePluginImage: the GPU pools need the NVIDIA device plugin" in message


def test_missing_load_balancer_controller_image_names_the_key() -> None:
    message = _config_error(_config(privateCloud=_drop("loadBalancerControllerImage")))
    assert f"{PROJECT}:privateCloud.loadBalancerControllerImage: the AWS Load Balancer Controller" in message


def test_fips_off_under_fedramp_names_the_key() -> None:
    message = _config_error(_config(privateCloud=_set("useFipsEndpoints", False)))
    assert f"{PROJECT}:privateCloud.useFipsEndpoints: compliance.profile 'fedramp-high' requires FIPS" in message


def test_model_problems_are_reported_together() -> None:
    message = _config_error(_config(privateCloud=_drop("devicePluginImage"), exposure=_drop("tlsCertificateArn")))
    assert "privateCloud.devicePluginImage" in message
    assert "exposure.tlsCertificateArn" in message


def test_private_cloud_section_defaults_are_the_secure_ones() -> None:
    defaults = PrivateCloudConfig()
    assert defaults.use_fips_endpoints is True
    assert defaults.endpoint_service_allowed_principals == []
    assert defaults.transit_gateway_id is None


def test_unknown_private_cloud_key_is_refused() -> None:
    stack = yaml.safe_load((ROOT / "Pulumi.private.yaml").read_text())["config"]
    raw = {key.split(":", 1)[1]: value for key, value in stack.items() if key.startswith(f"{PROJECT}:")}
    raw["region"] = stack["aws:region"]
    assert validate(raw, PROJECT).private_cloud is not None
    raw["privateCloud"]["useFips"] = True
    with pytest.raises(ConfigError, match=rf"{PROJECT}:privateCloud\.useFips: unknown key"):
        validate(raw, PROJECT)


# -- preflight plan --export ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    path: Path = tmp_path_factory.mktemp("private") / "private.json"
    assert main(["plan", "--stack", "private", "--project-dir", str(ROOT), "--export", str(path)]) == EXIT_OK
    return load_deployment(path)


@pytest.mark.slow
def test_plan_export_shows_the_defining_resources(exported: list[dict[str, Any]]) -> None:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in exported:
        by_type.setdefault(record["type"], []).append(record)
    assert not any(token in by_type for token in NO_EGRESS_TYPES)
    assert by_type["aws:ec2/vpc:Vpc"][0]["inputs"]["instanceTenancy"] == "dedicated"
    services = {r["inputs"]["serviceName"] for r in by_type[ENDPOINT]}
    assert {_gov(service) for service in (*REQUIRED_INTERFACE_SERVICES, "s3")} <= services
    assert by_type["aws:eks/cluster:Cluster"][0]["inputs"]["vpcConfig"]["endpointPublicAccess"] is False
    (provider,) = by_type[AWS_PROVIDER]
    assert provider["inputs"]["useFipsEndpoint"] == "true"
    assert all(r["provider"].startswith(provider["urn"] + "::") for r in exported if r["type"].startswith("aws:"))
    assert by_type["aws:ec2/vpcEndpointService:VpcEndpointService"][0]["inputs"]["acceptanceRequired"] is True
