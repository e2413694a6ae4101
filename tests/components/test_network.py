"""Network block: private node subnets, egress only when asked, encrypted flow logs, tenancy."""

from __future__ import annotations

import ipaddress

import pytest
from component_harness import KEY_ARN, TAGS, plan_block

from components.network import Network, NetworkArgs, subnet_layout
from preflight.engine import PlanResult

SUBNET = "aws:ec2/subnet:Subnet"


def _args(**overrides: object) -> NetworkArgs:
    values: dict[str, object] = {
        "cidr": "10.30.0.0/16",
        "az_count": 3,
        "flow_log_key_arn": KEY_ARN,
        "flow_log_retention_days": 90,
        "tags": TAGS,
    }
    values.update(overrides)
    return NetworkArgs(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def egress_plan() -> PlanResult:
    # Two instances in one program: also checks that their names do not collide.
    def build() -> None:
        Network("net", _args(egress=True, nat_per_az=True))
        Network("other", _args(egress=True, cidr="10.40.0.0/16", az_count=2, protect=False))

    return plan_block(build)


@pytest.fixture(scope="module")
def isolated_plan() -> PlanResult:
    # egress left at its default: no internet path unless a model asks for one.
    return plan_block(lambda: Network("net", _args(instance_tenancy="dedicated")))


def _of(plan: PlanResult, token: str, component: str) -> list:
    return [res for res in plan.by_type(token) if res.name.startswith(f"{component}-")]


def test_private_subnets_never_map_public_ips(egress_plan: PlanResult) -> None:
    subnets = _of(egress_plan, SUBNET, "net")
    assert len(subnets) == 6  # 3 private + 3 public
    assert all(subnet.inputs["mapPublicIpOnLaunch"] is False for subnet in subnets)


def test_subnets_spread_over_distinct_zones(egress_plan: PlanResult) -> None:
    private = [res for res in _of(egress_plan, SUBNET, "net") if "-private-" in res.name]
    assert sorted(res.inputs["availabilityZone"] for res in private) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert sorted(res.inputs["cidrBlock"] for res in private) == ["10.30.0.0/19", "10.30.32.0/19", "10.30.64.0/19"]


def test_private_subnets_are_tagged_for_internal_load_balancers(egress_plan: PlanResult) -> None:
    private = [res for res in _of(egress_plan, SUBNET, "net") if "-private-" in res.name]
    assert private, "no private subnet in the plan"
    assert all(res.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for res in private)


def test_nat_per_zone_when_asked(egress_plan: PlanResult) -> None:
    assert len(_of(egress_plan, "aws:ec2/natGateway:NatGateway", "net")) == 3
    assert len(_of(egress_plan, "aws:ec2/natGateway:NatGateway", "other")) == 1


def test_private_default_routes_go_to_nat_not_internet(egress_plan: PlanResult) -> None:
    routes = [r for r in _of(egress_plan, "aws:ec2/route:Route", "net") if "-private-default-" in r.name]
    assert len(routes) == 3
    assert all("natGatewayId" in r.inputs and "gatewayId" not in r.inputs for r in routes)


def test_no_internet_path_by_default(isolated_plan: PlanResult) -> None:
    assert isolated_plan.by_type("aws:ec2/internetGateway:InternetGateway") == []
    assert isolated_plan.by_type("aws:ec2/natGateway:NatGateway") == []
    assert isolated_plan.by_type("aws:ec2/eip:Eip") == []
    assert isolated_plan.by_type("aws:ec2/route:Route") == []
    assert len(isolated_plan.by_type(SUBNET)) == 3


def test_dedicated_tenancy_is_passed_to_the_vpc(isolated_plan: PlanResult) -> None:
    assert isolated_plan.one("aws:ec2/vpc:Vpc").inputs["instanceTenancy"] == "dedicated"


def test_flow_logs_capture_all_traffic_to_an_encrypted_group(egress_plan: PlanResult) -> None:
    group = next(r for r in _of(egress_plan, "aws:cloudwatch/logGroup:LogGroup", "net"))
    assert group.inputs["kmsKeyId"] == KEY_ARN
    assert group.inputs["retentionInDays"] == 90
    flow_log = next(r for r in _of(egress_plan, "aws:ec2/flowLog:FlowLog", "net"))
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert group.urn in flow_log.dependencies


def test_flow_log_group_is_protected_unless_opted_out(egress_plan: PlanResult) -> None:
    protected = {
        r.name: (r.protect, r.retain_on_delete) for r in egress_plan.by_type("aws:cloudwatch/logGroup:LogGroup")
    }
    assert protected == {"net-flow-logs": (True, True), "other-flow-logs": (False, False)}


def test_default_security_group_is_emptied(egress_plan: PlanResult) -> None:
    default_sg = _of(egress_plan, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "net")[0]
    assert default_sg.inputs.get("ingress", []) == []
    assert default_sg.inputs.get("egress", []) == []


def test_two_instances_do_not_collide(egress_plan: PlanResult) -> None:
    urns = [res.urn for res in egress_plan.resources]
    assert len(urns) == len(set(urns))
    assert len(egress_plan.by_type("aws:ec2/vpc:Vpc")) == 2


def test_every_resource_is_parented_to_its_network(egress_plan: PlanResult) -> None:
    component = {r.name: r.urn for r in egress_plan.by_type("inference:network:Network")}
    children = [res for res in egress_plan.resources if res.name.startswith("net-")]
    assert children, "no child of the net network in the plan"
    for res in children:
        assert res.parent == component["net"], res.name


@pytest.mark.parametrize(
    ("cidr", "az_count", "message"),
    [("10.0.0.0/24", 2, "/16 to /20"), ("10.0.0.0/16", 7, "azCount")],
)
def test_subnet_layout_rejects_what_does_not_fit(cidr: str, az_count: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        subnet_layout(cidr, az_count)


def test_public_subnets_do_not_overlap_private_ones() -> None:
    private, public = subnet_layout("10.0.0.0/20", 6)
    nets = [ipaddress.IPv4Network(c) for c in private + public]
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
