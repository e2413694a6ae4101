"""Rollout config: bad weights, candidates and router settings are refused with the key and what is allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.config import validate
from components.config.models import TrafficRouter
from tests.components.component_harness import config_error, raw_stack

ROOT = Path(__file__).resolve().parents[3]
PROJECT = "inference-platform"
DIGEST = "sha256:" + "9" * 64


def _with_rollout(name: str = "dev", **rollout: Any) -> dict[str, Any]:
    raw = raw_stack(name)
    raw["rollout"] = rollout
    return raw


def _candidate(image: str = f"nvcr.io/nvidia/tritonserver:24.09-py3@{DIGEST}") -> dict[str, str]:
    return {"image": image, "modelVersion": "2024.08.0"}


@pytest.mark.parametrize(
    ("weight", "allowed"),
    [(-1, "greater than or equal to 0"), (101, "less than or equal to 100"), (250, "less than or equal to 100")],
)
def test_weight_outside_0_to_100_is_refused(weight: int, allowed: str) -> None:
    message = config_error(_with_rollout(candidate=_candidate(), canaryWeight=weight))
    assert f"{PROJECT}:rollout.canaryWeight: Input should be {allowed} (got {weight})" in message


def test_weight_must_be_a_whole_number() -> None:
    assert f"{PROJECT}:rollout.canaryWeight:" in config_error(_with_rollout(candidate=_candidate(), canaryWeight=10.5))


def test_candidate_identical_to_stable_is_refused() -> None:
    raw = raw_stack("dev")
    raw["rollout"] = {"candidate": {"image": raw["inference"]["image"]["reference"], "modelVersion": "9.9.9"}}
    message = config_error(raw)
    assert "rollout.candidate.image has the same digest as the stable inference.image.reference" in message
    assert "promote by setting the stable image" in message


def test_candidate_with_another_tag_but_the_same_digest_is_identical() -> None:
    raw = raw_stack("dev")
    digest = raw["inference"]["image"]["reference"].split("@", 1)[1]
    raw["rollout"] = {"candidate": _candidate(f"nvcr.io/nvidia/tritonserver:latest@{digest}")}
    assert "identical to stable" in config_error(raw)


def test_candidate_without_a_digest_is_refused() -> None:
    message = config_error(_with_rollout(candidate=_candidate("nvcr.io/nvidia/tritonserver:24.09-py3")))
    assert f"{PROJECT}:rollout.candidate.image: must be pinned by digest" in message
    assert "'nvcr.io/nvidia/tritonserver:24.09-py3'" in message


def test_a_weight_without_a_candidate_is_refused() -> None:
    assert "canaryWeight > 0 or active: candidate needs a 'candidate'" in config_error(_with_rollout(canaryWeight=10))


def test_blue_green_takes_active_not_a_weight() -> None:
    message = config_error(_with_rollout(strategy="blue-green", candidate=_candidate(), canaryWeight=10))
    assert "canaryWeight applies to strategy 'canary'" in message
    assert "got canaryWeight 10" in message


def test_canary_takes_a_weight_not_active() -> None:
    assert "active applies to strategy 'blue-green'" in config_error(
        _with_rollout(candidate=_candidate(), active="candidate")
    )


def test_unknown_router_lists_the_allowed_ones() -> None:
    message = config_error(_with_rollout(trafficRouter="istio"))
    assert f"{PROJECT}:rollout.trafficRouter:" in message
    for router in TrafficRouter:
        assert f"'{router}'" in message


def test_gateway_settings_need_the_gateway_router() -> None:
    assert "gatewayName and gatewayNamespace apply only to trafficRouter 'gateway-api'" in config_error(
        _with_rollout(gatewayName="shared")
    )
    assert "trafficRouter 'gateway-api' needs gatewayName" in config_error(_with_rollout(trafficRouter="gateway-api"))


def test_cloud_models_do_not_take_ingress_nginx() -> None:
    message = config_error(_with_rollout(trafficRouter="ingress-nginx"))
    assert "rollout.trafficRouter 'ingress-nginx' is for deploymentModel 'onprem'" in message


def test_onprem_does_not_take_the_alb() -> None:
    message = config_error(_with_rollout("onprem", trafficRouter="aws-alb"))
    assert "rollout.trafficRouter 'aws-alb' needs the AWS Load Balancer Controller" in message


def test_edge_has_no_traffic_router() -> None:
    raw = raw_stack("edge")
    raw["rollout"]["trafficRouter"] = "gateway-api"
    raw["rollout"]["gatewayName"] = "shared"
    assert "rollout.trafficRouter does not apply to deploymentModel 'edge'" in config_error(raw)


def test_onprem_candidate_comes_from_the_site_registry() -> None:
    message = config_error(_with_rollout("onprem", candidate=_candidate()))
    assert "rollout.candidate.image must come from the on-site registry" in message
    assert "registry.site-a.example.internal:5000" in message


def test_sample_payload_must_be_json() -> None:
    raw = _with_rollout(acceptanceTest={"samplePayload": "{inputs: "})
    assert f"{PROJECT}:rollout.acceptanceTest.samplePayload: must be a JSON document" in config_error(raw)


def test_grpc_only_service_needs_a_check_image_or_no_acceptance_test() -> None:
    raw = raw_stack("dev")
    raw["inference"]["ports"] = {"http": None, "grpc": 8001}
    assert "rollout.acceptanceTest: the built-in check speaks REST" in config_error(raw)
    raw["rollout"] = {"acceptanceTest": {"enabled": False}}
    assert validate(raw, PROJECT).rollout.acceptance_test.enabled is False


def test_a_valid_canary_step_is_accepted() -> None:
    config = validate(_with_rollout(candidate=_candidate(), canaryWeight=10), PROJECT)
    assert config.rollout.canary_weight == 10
    assert config.rollout.candidate is not None
    assert config.traffic_routers() == (TrafficRouter.AWS_ALB,)
