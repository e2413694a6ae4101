"""Tenant link block: Transit Gateway attachment and a route per tenant CIDR in each private table."""

from __future__ import annotations

import pulumi
import pytest

from components.tenant_link import TransitGatewayLink, TransitGatewayLinkArgs
from preflight.engine import PlanResult, run_program

PROJECT = "inference-platform"
TGW = "tgw-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0aaa", "subnet-0bbb"]
ROUTE_TABLES = ["rtb-0aaa", "rtb-0bbb"]
TENANT_CIDRS = ["172.20.0.0/16", "192.168.10.0/24"]
ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
ROUTE = "aws:ec2/route:Route"


def _args(**overrides: object) -> TransitGatewayLinkArgs:
    values: dict[str, object] = {
        "transit_gateway_id": TGW,
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": SUBNETS,
        "route_table_ids": ROUTE_TABLES,
        "tenant_cidrs": TENANT_CIDRS,
        "tags": {"owner": "mission-ai"},
    }
    values.update(overrides)
    return TransitGatewayLinkArgs(**values)  # type: ignore[arg-type]


def _plan(args: TransitGatewayLinkArgs, *names: str) -> PlanResult:
    def program() -> None:
        for name in names or ("tenant",):
            pulumi.export(name, TransitGatewayLink(name, args).attachment_id)

    return run_program(program, project=PROJECT, stack="test", config={"aws:region": "us-gov-west-1"})


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return _plan(_args())


def test_attachment_joins_the_vpc_to_the_configured_transit_gateway(plan: PlanResult) -> None:
    inputs = plan.one(ATTACHMENT).inputs
    assert (inputs["transitGatewayId"], inputs["vpcId"], inputs["subnetIds"]) == (
        TGW,
        "vpc-0123456789abcdef0",
        SUBNETS,
    )


def test_attachment_resolves_dns_across_the_link(plan: PlanResult) -> None:
    assert plan.one(ATTACHMENT).inputs["dnsSupport"] == "enable"


def test_every_route_table_routes_every_tenant_cidr_to_the_tgw(plan: PlanResult) -> None:
    routes = {
        (res.inputs["routeTableId"], res.inputs["destinationCidrBlock"], res.inputs["transitGatewayId"])
        for res in plan.by_type(ROUTE)
    }
    assert routes == {(table, cidr, TGW) for table in ROUTE_TABLES for cidr in TENANT_CIDRS}


def test_routes_wait_for_the_attachment(plan: PlanResult) -> None:
    attachment = plan.one(ATTACHMENT)
    routes = plan.by_type(ROUTE)
    assert routes, "no route in the plan"
    for route in routes:
        assert attachment.urn in route.dependencies


def test_route_names_follow_the_cidr_not_its_position() -> None:
    reordered = _plan(_args(tenant_cidrs=list(reversed(TENANT_CIDRS))))
    original = _plan(_args())
    assert {res.name for res in reordered.by_type(ROUTE)} == {res.name for res in original.by_type(ROUTE)}


def test_no_tenant_cidr_means_no_route() -> None:
    assert _plan(_args(tenant_cidrs=[])).by_type(ROUTE) == []


def test_two_instances_do_not_collide() -> None:
    plan = _plan(_args(), "a", "b")
    assert len(plan.by_type(ATTACHMENT)) == 2
    assert len({res.urn for res in plan.resources}) == len(plan.resources)


def test_no_subnet_is_an_error() -> None:
    with pytest.raises(ValueError, match="subnet_ids"):
        TransitGatewayLink("bad", _args(subnet_ids=[]))
