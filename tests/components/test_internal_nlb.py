"""Internal NLB block: internal, TLS-only listeners, IP targets, a security group limited to the given networks."""

from __future__ import annotations

import pytest
from component_harness import TAGS, plan_block

from components.inference_service import FIPS_TLS_SSL_POLICY, TLS_SSL_POLICY
from components.internal_nlb import InternalNlb, InternalNlbArgs, NlbListener
from preflight.engine import PlanResult, RecordedResource

CERT = "arn:aws-us-gov:acm:us-gov-west-1:111122223333:certificate/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
SUBNETS = ["subnet-0aaa", "subnet-0bbb"]
CLIENTS = ["10.30.0.0/16", "172.20.0.0/16"]
TARGETS = ["10.30.0.0/19", "10.30.32.0/19"]
LISTENERS = (
    NlbListener("https", 443, 8000, health_check_path="/v2/health/ready"),
    NlbListener("grpcs", 8443, 8001, alpn_policy="HTTP2Only"),
)
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"


def _args(**overrides: object) -> InternalNlbArgs:
    values: dict[str, object] = {
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": SUBNETS,
        "certificate_arn": CERT,
        "listeners": LISTENERS,
        "client_cidrs": CLIENTS,
        "target_cidrs": TARGETS,
        "tags": TAGS,
        "listener_tags": {"inference.auth/mode": "oidc"},
    }
    values.update(overrides)
    return InternalNlbArgs(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    def build() -> None:
        # "svc" keeps the defaults (deletion protection, FIPS TLS policy); "other" opts out of both.
        InternalNlb("svc", _args(private_link=True))
        InternalNlb("other", _args(listeners=LISTENERS[:1], deletion_protection=False, ssl_policy=TLS_SSL_POLICY))

    return plan_block(build)


def _named(plan: PlanResult, token: str, prefix: str) -> list[RecordedResource]:
    return [res for res in plan.by_type(token) if res.name.startswith(f"{prefix}-")]


def _balancer(plan: PlanResult, prefix: str = "svc") -> RecordedResource:
    (balancer,) = _named(plan, LB, prefix)
    return balancer


def test_load_balancer_is_an_internal_nlb(plan: PlanResult) -> None:
    inputs = _balancer(plan).inputs
    assert (inputs["internal"], inputs["loadBalancerType"]) == (True, "network")


def test_load_balancer_sits_in_the_given_subnets(plan: PlanResult) -> None:
    assert _balancer(plan).inputs["subnets"] == SUBNETS


def test_deletion_protection_is_on_unless_opted_out(plan: PlanResult) -> None:
    assert _balancer(plan).inputs["enableDeletionProtection"] is True
    assert _balancer(plan, "other").inputs["enableDeletionProtection"] is False


def test_private_link_traffic_bypasses_cidr_rules_only_when_published(plan: PlanResult) -> None:
    key = "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic"
    assert (_balancer(plan).inputs[key], _balancer(plan, "other").inputs[key]) == ("off", "on")


def test_every_listener_is_tls_with_the_certificate_and_the_fips_policy_by_default(plan: PlanResult) -> None:
    listeners = _named(plan, LISTENER, "svc")
    assert len(listeners) == 2
    for listener in listeners:
        assert (listener.inputs["protocol"], listener.inputs["certificateArn"], listener.inputs["sslPolicy"]) == (
            "TLS",
            CERT,
            FIPS_TLS_SSL_POLICY,
        )


def test_listener_policy_follows_the_argument(plan: PlanResult) -> None:
    assert [listener.inputs["sslPolicy"] for listener in _named(plan, LISTENER, "other")] == [TLS_SSL_POLICY]


def test_listeners_carry_the_listener_tags(plan: PlanResult) -> None:
    listeners = _named(plan, LISTENER, "svc")
    assert listeners, "no listener in the plan"
    for listener in listeners:
        assert listener.inputs["tags"]["inference.auth/mode"] == "oidc"
        assert listener.inputs["tags"]["owner"] == TAGS["owner"]


def test_grpc_listener_negotiates_http2(plan: PlanResult) -> None:
    ports = {res.inputs["port"]: res.inputs.get("alpnPolicy") for res in _named(plan, LISTENER, "svc")}
    assert ports == {443: None, 8443: "HTTP2Only"}


def test_target_groups_are_ip_targets_on_the_serving_ports(plan: PlanResult) -> None:
    groups = {res.inputs["port"]: res.inputs["targetType"] for res in _named(plan, TARGET_GROUP, "svc")}
    assert groups == {8000: "ip", 8001: "ip"}


def test_http_port_is_health_checked_on_the_readiness_path(plan: PlanResult) -> None:
    checks = {res.inputs["port"]: res.inputs["healthCheck"] for res in _named(plan, TARGET_GROUP, "svc")}
    assert (checks[8000]["protocol"], checks[8000]["path"]) == ("HTTP", "/v2/health/ready")
    assert checks[8001]["protocol"] == "TCP"


def test_listeners_forward_to_their_target_group(plan: PlanResult) -> None:
    listeners = _named(plan, LISTENER, "svc")
    assert listeners, "no listener in the plan"
    for listener in listeners:
        target = next(res for res in _named(plan, TARGET_GROUP, "svc") if res.name == f"{listener.name}-tg")
        assert target.urn in listener.property_dependencies["defaultActions"]


def test_security_group_admits_only_the_client_networks_on_listener_ports(plan: PlanResult) -> None:
    (group,) = _named(plan, SG, "svc")
    rules = {(rule["fromPort"], rule["toPort"], tuple(rule["cidrBlocks"])) for rule in group.inputs["ingress"]}
    assert rules == {(443, 443, tuple(CLIENTS)), (8443, 8443, tuple(CLIENTS))}


def test_security_group_egress_reaches_only_the_targets(plan: PlanResult) -> None:
    (group,) = _named(plan, SG, "svc")
    rules = {(rule["fromPort"], rule["toPort"], tuple(rule["cidrBlocks"])) for rule in group.inputs["egress"]}
    assert rules == {(8000, 8000, tuple(TARGETS)), (8001, 8001, tuple(TARGETS))}


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        ({"listeners": ()}, "listeners"),
        ({"client_cidrs": []}, "client_cidrs"),
        ({"client_cidrs": ["0.0.0.0/0"]}, "client_cidrs"),
        ({"subnet_ids": []}, "subnet_ids"),
    ],
)
def test_bad_arguments_are_named(overrides: dict[str, object], argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        _args(**overrides)
