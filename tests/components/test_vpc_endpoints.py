"""VPC endpoints block: every AWS API a private cluster needs, reachable only from inside the VPC."""

from __future__ import annotations

import pulumi
import pytest

from components.vpc_endpoints import (
    FIPS_ENDPOINT_SERVICES,
    REQUIRED_INTERFACE_SERVICES,
    VpcEndpoints,
    VpcEndpointsArgs,
    endpoint_service_name,
    fips_served,
    partition_of,
)
from preflight.engine import PlanResult, RecordedResource, is_resource_ref, run_program

PROJECT = "inference-platform"
VPC_CIDR = "10.30.0.0/16"
SUBNETS = ["subnet-0aaa", "subnet-0bbb", "subnet-0ccc"]
ROUTE_TABLES = ["rtb-0aaa", "rtb-0bbb", "rtb-0ccc"]
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"


def _args(region: str = "us-gov-west-1", **overrides: object) -> VpcEndpointsArgs:
    values: dict[str, object] = {
        "vpc_id": "vpc-0123456789abcdef0",
        "vpc_cidr": VPC_CIDR,
        "region": region,
        "subnet_ids": SUBNETS,
        "route_table_ids": ROUTE_TABLES,
        "tags": {"owner": "mission-ai"},
    }
    values.update(overrides)
    return VpcEndpointsArgs(**values)  # type: ignore[arg-type]


def _plan(args: VpcEndpointsArgs, *names: str) -> PlanResult:
    def program() -> None:
        for name in names or ("endpoints",):
            pulumi.export(name, VpcEndpoints(name, args).security_group_id)

    return run_program(program, project=PROJECT, stack="test", config={"aws:region": args.region})


@pytest.fixture(scope="module")
def govcloud_fips() -> PlanResult:
    return _plan(_args())  # use_fips left at its default


@pytest.fixture(scope="module")
def commercial_fips() -> PlanResult:
    return _plan(_args(region="us-east-1", use_fips=True))


def _interface_endpoints(plan: PlanResult) -> dict[str, RecordedResource]:
    found = {}
    for res in plan.by_type(ENDPOINT):
        if res.inputs["vpcEndpointType"] == "Interface":
            found[res.inputs["serviceName"]] = res
    return found


def _gov(service: str) -> str:
    return f"com.amazonaws.us-gov-west-1.{service}"


def test_service_names_follow_the_region_in_both_partitions() -> None:
    assert endpoint_service_name("us-gov-west-1", "ecr.dkr") == "com.amazonaws.us-gov-west-1.ecr.dkr"
    assert endpoint_service_name("eu-west-1", "eks-auth") == "com.amazonaws.eu-west-1.eks-auth"


def test_partition_of_govcloud_and_commercial_regions() -> None:
    assert partition_of("us-gov-east-1") == "aws-us-gov"
    assert partition_of("us-east-1") == "aws"


def test_every_required_interface_endpoint_is_created(govcloud_fips: PlanResult) -> None:
    names = set(_interface_endpoints(govcloud_fips))
    assert {_gov(service) for service in REQUIRED_INTERFACE_SERVICES} <= names


def test_required_set_covers_the_cluster_and_node_apis() -> None:
    expected = {
        "ecr.api",
        "ecr.dkr",
        "sts",
        "ec2",
        "logs",
        "kms",
        "ssm",
        "ssmmessages",
        "ec2messages",
        "elasticloadbalancing",
        "autoscaling",
        "eks",
        "eks-auth",
    }
    assert set(REQUIRED_INTERFACE_SERVICES) == expected


def test_interface_endpoints_have_private_dns(govcloud_fips: PlanResult) -> None:
    endpoints = _interface_endpoints(govcloud_fips)
    assert endpoints
    assert {name: res.inputs["privateDnsEnabled"] for name, res in endpoints.items()} == dict.fromkeys(endpoints, True)


def test_interface_endpoints_sit_in_every_private_subnet(govcloud_fips: PlanResult) -> None:
    endpoints = _interface_endpoints(govcloud_fips)
    assert endpoints, "no interface endpoint in the plan"
    for res in endpoints.values():
        assert res.inputs["subnetIds"] == SUBNETS


def test_interface_endpoints_use_the_endpoint_security_group(govcloud_fips: PlanResult) -> None:
    group = govcloud_fips.one(SECURITY_GROUP)
    endpoints = _interface_endpoints(govcloud_fips)
    assert endpoints, "no interface endpoint in the plan"
    for res in endpoints.values():
        assert group.urn in res.property_dependencies["securityGroupIds"]


def test_security_group_allows_only_https_from_the_vpc(govcloud_fips: PlanResult) -> None:
    ingress = govcloud_fips.one(SECURITY_GROUP).inputs["ingress"]
    assert [(rule["protocol"], rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) for rule in ingress] == [
        ("tcp", 443, 443, [VPC_CIDR])
    ]


def test_security_group_has_no_egress(govcloud_fips: PlanResult) -> None:
    assert govcloud_fips.one(SECURITY_GROUP).inputs["egress"] == []


def test_s3_is_a_gateway_endpoint_on_the_private_route_tables(govcloud_fips: PlanResult) -> None:
    gateways = [res for res in govcloud_fips.by_type(ENDPOINT) if res.inputs["vpcEndpointType"] == "Gateway"]
    assert [(res.inputs["serviceName"], res.inputs["routeTableIds"]) for res in gateways] == [
        (_gov("s3"), ROUTE_TABLES)
    ]


def test_govcloud_fips_adds_only_the_kms_fips_endpoint(govcloud_fips: PlanResult) -> None:
    names = set(_interface_endpoints(govcloud_fips))
    extra = names - {_gov(service) for service in REQUIRED_INTERFACE_SERVICES}
    assert extra == {_gov("kms-fips")}


def test_commercial_fips_adds_the_commercial_fips_services(commercial_fips: PlanResult) -> None:
    names = set(_interface_endpoints(commercial_fips))
    fips = {f"com.amazonaws.us-east-1.{service}" for service in FIPS_ENDPOINT_SERVICES["aws"].values()}
    assert fips == {
        "com.amazonaws.us-east-1.kms-fips",
        "com.amazonaws.us-east-1.ec2-fips",
        "com.amazonaws.us-east-1.sts-fips",
    }
    assert fips <= names


def test_without_fips_no_fips_endpoint_is_created() -> None:
    plan = _plan(_args(use_fips=False))
    assert not [name for name in _interface_endpoints(plan) if "fips" in name]


def test_fips_services_override_replaces_the_table() -> None:
    plan = _plan(_args(use_fips=True, services=("ecr.api", "kms"), fips_services={"ecr.api": "ecr-fips.api"}))
    assert set(_interface_endpoints(plan)) == {_gov("ecr.api"), _gov("kms"), _gov("ecr-fips.api")}


def test_endpoints_are_tagged(govcloud_fips: PlanResult) -> None:
    endpoints = govcloud_fips.by_type(ENDPOINT)
    assert endpoints, "no VPC endpoint in the plan"
    for res in endpoints:
        assert res.inputs["tags"]["owner"] == "mission-ai"


def test_endpoints_reference_the_vpc(govcloud_fips: PlanResult) -> None:
    endpoints = govcloud_fips.by_type(ENDPOINT)
    assert endpoints, "no VPC endpoint in the plan"
    for res in endpoints:
        assert res.inputs["vpcId"] == "vpc-0123456789abcdef0"
        assert not is_resource_ref(res.inputs["vpcId"])


def test_children_are_parented_to_the_component(govcloud_fips: PlanResult) -> None:
    component = govcloud_fips.one("inference:network:VpcEndpoints")
    assert {res.parent for res in govcloud_fips.by_type(ENDPOINT)} == {component.urn}


def test_two_instances_do_not_collide() -> None:
    plan = _plan(_args(), "a", "b")
    assert len(plan.by_type("inference:network:VpcEndpoints")) == 2
    assert len({res.urn for res in plan.resources}) == len(plan.resources)


def test_no_subnet_is_an_error() -> None:
    with pytest.raises(ValueError, match="subnet_ids"):
        VpcEndpoints("bad", _args(subnet_ids=[]))


def test_govcloud_standard_endpoints_serve_fips_clients_of_ec2_elb_and_sts() -> None:
    assert fips_served("us-gov-west-1", ["ec2", "elasticloadbalancing", "sts", "s3", "kms"])


def test_commercial_fips_elb_has_no_endpoint_here() -> None:
    assert fips_served("us-east-1", ["s3", "sts", "kms"])
    assert not fips_served("us-east-1", ["elasticloadbalancing"])
