"""Endpoint service block: the internal NLB published over PrivateLink, acceptance always required."""

from __future__ import annotations

import pulumi
import pytest

from components.endpoint_service import EndpointService, EndpointServiceArgs
from preflight.engine import PlanResult, RecordedResource, run_program

PROJECT = "inference-platform"
NLB_ARN = "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:111122223333:loadbalancer/net/svc/0123456789abcdef"
PRINCIPALS = ["arn:aws-us-gov:iam::444455556666:root", "arn:aws-us-gov:iam::777788889999:role/consumer"]
SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"


def _args(**overrides: object) -> EndpointServiceArgs:
    values: dict[str, object] = {
        "network_load_balancer_arns": [NLB_ARN],
        "allowed_principals": PRINCIPALS,
        "tags": {"owner": "mission-ai"},
    }
    values.update(overrides)
    return EndpointServiceArgs(**values)  # type: ignore[arg-type]


def _plan(*names: str) -> PlanResult:
    def program() -> None:
        for name in names:
            pulumi.export(name, EndpointService(name, _args()).service_name)

    return run_program(program, project=PROJECT, stack="test", config={"aws:region": "us-gov-west-1"})


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return _plan("published")


@pytest.fixture(scope="module")
def service(plan: PlanResult) -> RecordedResource:
    return plan.one(SERVICE)


def test_acceptance_is_required(service: RecordedResource) -> None:
    assert service.inputs["acceptanceRequired"] is True


def test_only_the_configured_principals_are_allowed(service: RecordedResource) -> None:
    assert service.inputs["allowedPrincipals"] == PRINCIPALS


def test_fronts_the_given_network_load_balancer(service: RecordedResource) -> None:
    assert service.inputs["networkLoadBalancerArns"] == [NLB_ARN]


def test_ipv4_only(service: RecordedResource) -> None:
    assert service.inputs["supportedIpAddressTypes"] == ["ipv4"]


def test_is_tagged(service: RecordedResource) -> None:
    assert service.inputs["tags"]["owner"] == "mission-ai"


def test_parented_to_the_component(plan: PlanResult, service: RecordedResource) -> None:
    assert service.parent == plan.one("inference:network:EndpointService").urn


def test_two_instances_do_not_collide() -> None:
    plan = _plan("a", "b")
    assert len(plan.by_type(SERVICE)) == 2
    assert len({res.urn for res in plan.resources}) == len(plan.resources)


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        ({"allowed_principals": []}, "allowed_principals"),
        ({"allowed_principals": ["*"]}, "allowed_principals"),
        ({"network_load_balancer_arns": []}, "network_load_balancer_arns"),
    ],
)
def test_bad_arguments_are_named(overrides: dict[str, object], argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        EndpointService("bad", _args(**overrides))
