"""Traffic split: each router puts the weights on the right backends; blue-green flips the Service selector."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from component_harness import LABELS, named, plan_block

from components.config.models import ActiveVersion, AuthMode, RolloutStrategy
from components.endpoint_auth import EndpointPolicy, Oidc
from components.inference_service import (
    Autoscaling,
    CandidateVersion,
    ComputeResources,
    InferenceService,
    InferenceServiceArgs,
    ServingPorts,
)
from components.traffic_split import (
    AlbRouter,
    Backend,
    GatewayApiRouter,
    NginxRouter,
    Rollout,
    backends,
    serving_track,
)
from preflight.engine import PlanResult

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
STABLE_IMAGE = "registry.example/triton@sha256:" + "a" * 64
CANDIDATE_IMAGE = "registry.example/triton@sha256:" + "c" * 64
CERT = "arn:aws:acm:us-east-1:111122223333:certificate/abc"
CANARY_10 = Rollout(canary_weight=10)
OIDC = EndpointPolicy(
    auth_mode=AuthMode.OIDC,
    oidc=Oidc(issuer="https://idp.example/realms/x", audiences=["api"], jwks_uri="https://idp.example/certs"),
)


def _args(namespace: str, **overrides: Any) -> InferenceServiceArgs:
    values: dict[str, Any] = {
        "name": "llm",
        "namespace": namespace,
        "model_name": "summarizer",
        "model_version": "3.2.0",
        "image": STABLE_IMAGE,
        "labels": LABELS,
        "replicas": 3,
        "resources": ComputeResources("1", "2", "4Gi", "4Gi", gpus=1),
        "autoscaling": Autoscaling(min_replicas=2, max_replicas=6),
        "candidate": CandidateVersion(image=CANDIDATE_IMAGE, model_version="3.3.0"),
        "rollout": CANARY_10,
    }
    values.update(overrides)
    return InferenceServiceArgs(**values)


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    def build() -> None:
        InferenceService(
            "gw",
            _args(
                "gw",
                router=GatewayApiRouter(gateway_name="shared", gateway_namespace="gateways", hostnames=["llm.example"]),
                endpoint=OIDC,
            ),
        )
        alb = AlbRouter(certificate_arn=CERT, ssl_policy="P", source_ranges=["10.0.0.0/16"], waf_acl_name="acl")
        InferenceService("alb", _args("alb", router=alb))
        InferenceService(
            "ngx",
            _args(
                "ngx",
                router=NginxRouter(
                    ingress_class="nginx", host="llm.site", cluster_issuer="ca", grpc_host="grpc.llm.site"
                ),
            ),
        )
        InferenceService(
            "bg",
            _args(
                "bg",
                ports=ServingPorts(http=8000, grpc=None),
                rollout=Rollout(strategy=RolloutStrategy.BLUE_GREEN, active=ActiveVersion.CANDIDATE),
                router=NginxRouter(ingress_class="nginx", host="bg.site", tls_secret_name="bg-tls"),
            ),
        )
        only = InferenceService(
            "only",
            _args(
                "only",
                candidate=None,
                rollout=Rollout(),
                router=AlbRouter(certificate_arn=CERT, ssl_policy="P", source_ranges=["10.0.0.0/16"]),
            ),
        )
        pulumi.export("onlyWeights", only.weights)
        InferenceService(
            "grpconly",
            _args(
                "grpconly",
                ports=ServingPorts(http=None, grpc=9001),
                router=NginxRouter(ingress_class="nginx", host="g.site", tls_secret_name="g-tls"),
            ),
        )

    return plan_block(build)


def _refs(route: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(ref["name"], ref["port"], ref["weight"]) for ref in route["spec"]["rules"][0]["backendRefs"]]


def _alb_targets(ingress: dict[str, Any]) -> list[tuple[str, str, int]]:
    action = json.loads(ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/actions.weighted"])
    assert action["type"] == "forward"
    return [(tg["serviceName"], tg["servicePort"], tg["weight"]) for tg in action["forwardConfig"]["targetGroups"]]


def _backend(ingress: dict[str, Any]) -> dict[str, Any]:
    return ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]


# -- the split itself -----------------------------------------------------------------------------


def test_canary_weights_go_to_the_per_track_services() -> None:
    assert backends("llm", CANARY_10, has_candidate=True) == [
        Backend("stable", "llm-stable", 90),
        Backend("candidate", "llm-candidate", 10),
    ]


def test_stable_only_sends_everything_to_stable() -> None:
    assert backends("llm", Rollout(), has_candidate=False) == [Backend("stable", "llm-stable", 100)]


def test_blue_green_routes_to_the_stable_named_service() -> None:
    flipped = Rollout(strategy=RolloutStrategy.BLUE_GREEN, active=ActiveVersion.CANDIDATE)
    assert backends("llm", flipped, has_candidate=True) == [Backend("candidate", "llm", 100)]
    assert serving_track(flipped, has_candidate=True) == "candidate"
    assert serving_track(Rollout(strategy=RolloutStrategy.BLUE_GREEN), has_candidate=True) == "stable"


@pytest.mark.parametrize("weight", [-1, 101])
def test_weight_outside_0_to_100_is_refused(weight: int) -> None:
    with pytest.raises(ValueError, match=r"canary_weight must be within 0\.\.100"):
        Rollout(canary_weight=weight)


def test_a_canary_weight_without_a_candidate_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a candidate"):
        backends("llm", CANARY_10, has_candidate=False)


# -- per router -----------------------------------------------------------------------------------


def test_gateway_route_weights_the_track_services(plan: PlanResult) -> None:
    route = named(plan, ROUTE, "gw-traffic-http-route").inputs
    assert route["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "shared", "namespace": "gateways"}
    ]
    assert route["spec"]["hostnames"] == ["llm.example"]
    assert _refs(route) == [("llm-stable", 8000, 90), ("llm-candidate", 8000, 10)]


def test_gateway_grpc_route_matches_grpc_requests_to_the_grpc_port(plan: PlanResult) -> None:
    route = named(plan, ROUTE, "gw-traffic-grpc-route").inputs
    assert route["spec"]["rules"][0]["matches"][0]["headers"] == [
        {"type": "Exact", "name": "content-type", "value": "application/grpc"}
    ]
    assert _refs(route) == [("llm-stable", 8001, 90), ("llm-candidate", 8001, 10)]


def test_alb_forward_action_weights_the_track_services(plan: PlanResult) -> None:
    ingress = named(plan, INGRESS, "alb-traffic-http-ingress").inputs
    assert _alb_targets(ingress) == [("llm-stable", "8000", 90), ("llm-candidate", "8000", 10)]
    # The rule forwards to the annotation's action, not to a Service.
    assert _backend(ingress) == {"name": "weighted", "port": {"name": "use-annotation"}}
    assert ingress["spec"]["ingressClassName"] == "alb"


def test_alb_is_internal_with_a_tls_listener(plan: PlanResult) -> None:
    annotations = named(plan, INGRESS, "alb-traffic-http-ingress").inputs["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internal"
    assert json.loads(annotations["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTPS": 443}]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == CERT
    assert annotations["alb.ingress.kubernetes.io/ssl-policy"] == "P"
    assert annotations["alb.ingress.kubernetes.io/inbound-cidrs"] == "10.0.0.0/16"
    # The rate limit: a WAF web ACL, by name so the annotations are known at preview.
    assert annotations["alb.ingress.kubernetes.io/wafv2-acl-name"] == "acl"


def test_alb_has_deletion_protection_by_default(plan: PlanResult) -> None:
    annotations = named(plan, INGRESS, "alb-traffic-http-ingress").inputs["metadata"]["annotations"]
    attributes = annotations["alb.ingress.kubernetes.io/load-balancer-attributes"].split(",")
    assert "deletion_protection.enabled=true" in attributes


def test_alb_grpc_shares_the_alb_on_its_own_tls_listener(plan: PlanResult) -> None:
    rest = named(plan, INGRESS, "alb-traffic-http-ingress").inputs["metadata"]["annotations"]
    grpc = named(plan, INGRESS, "alb-traffic-grpc-ingress").inputs
    notes = grpc["metadata"]["annotations"]
    assert notes["alb.ingress.kubernetes.io/group.name"] == rest["alb.ingress.kubernetes.io/group.name"] == "alb-llm"
    assert json.loads(notes["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTPS": 8443}]
    assert notes["alb.ingress.kubernetes.io/backend-protocol-version"] == "GRPC"
    assert _alb_targets(grpc) == [("llm-stable", "8001", 90), ("llm-candidate", "8001", 10)]


def test_nginx_primary_goes_to_stable_and_the_canary_ingress_carries_the_weight(plan: PlanResult) -> None:
    primary = named(plan, INGRESS, "ngx-traffic-http-ingress").inputs
    canary = named(plan, INGRESS, "ngx-traffic-http-canary").inputs
    assert _backend(primary) == {"name": "llm-stable", "port": {"number": 8000}}
    assert "nginx.ingress.kubernetes.io/canary" not in primary["metadata"]["annotations"]
    assert _backend(canary) == {"name": "llm-candidate", "port": {"number": 8000}}
    assert canary["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary"] == "true"
    assert canary["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"] == "10"
    # ingress-nginx pairs a canary with the primary Ingress of the same host and path.
    assert canary["spec"]["rules"][0]["host"] == primary["spec"]["rules"][0]["host"] == "llm.site"
    assert canary["spec"]["tls"] == primary["spec"]["tls"]


def test_nginx_grpc_pair_uses_its_own_host_and_the_grpc_backend_protocol(plan: PlanResult) -> None:
    for suffix in ("ngx-traffic-grpc-ingress", "ngx-traffic-grpc-canary"):
        ingress = named(plan, INGRESS, suffix).inputs
        assert ingress["spec"]["rules"][0]["host"] == "grpc.llm.site"
        assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/backend-protocol"] == "GRPC"
        assert _backend(ingress)["port"] == {"number": 8001}


def test_stable_only_has_one_target_and_no_candidate(plan: PlanResult) -> None:
    assert _alb_targets(named(plan, INGRESS, "only-traffic-http-ingress").inputs) == [("llm-stable", "8000", 100)]
    assert [res.name for res in plan.by_type(DEPLOYMENT) if res.name.startswith("only-")] == ["only-stable"]
    assert plan.outputs["onlyWeights"] == {"stable": 100}


# -- tracks -----------------------------------------------------------------------------------------


def test_candidate_runs_its_own_image_and_version(plan: PlanResult) -> None:
    candidate = named(plan, DEPLOYMENT, "ngx-candidate").inputs
    template = candidate["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == CANDIDATE_IMAGE
    assert template["metadata"]["labels"]["app.kubernetes.io/version"] == "3.3.0"
    assert template["metadata"]["labels"]["inference.platform/track"] == "candidate"
    stable = named(plan, DEPLOYMENT, "ngx-stable").inputs["spec"]["template"]["spec"]["containers"][0]
    assert stable["image"] == STABLE_IMAGE


def test_canary_candidate_starts_small_and_blue_green_candidate_at_full_size(plan: PlanResult) -> None:
    assert named(plan, DEPLOYMENT, "ngx-candidate").inputs["spec"]["replicas"] == 2  # autoscaling minimum
    assert named(plan, DEPLOYMENT, "bg-candidate").inputs["spec"]["replicas"] == 3  # the stable replica count


def test_each_track_has_its_own_service(plan: PlanResult) -> None:
    for track in ("stable", "candidate"):
        service = named(plan, SERVICE, f"ngx-svc-{track}").inputs
        assert service["metadata"]["name"] == f"llm-{track}"
        assert service["spec"]["selector"] == {"app.kubernetes.io/name": "llm", "inference.platform/track": track}


def test_each_track_has_its_own_autoscaler_and_disruption_budget(plan: PlanResult) -> None:
    hpa = named(plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "ngx-candidate-hpa").inputs
    assert hpa["spec"]["scaleTargetRef"]["name"] == "llm-candidate"
    pdb = named(plan, "kubernetes:policy/v1:PodDisruptionBudget", "ngx-candidate-pdb").inputs
    assert pdb["spec"]["selector"]["matchLabels"]["inference.platform/track"] == "candidate"


def test_canary_keeps_the_stable_named_service_on_stable(plan: PlanResult) -> None:
    selector = named(plan, SERVICE, "ngx-svc").inputs["spec"]["selector"]
    assert selector == {"app.kubernetes.io/name": "llm", "inference.platform/track": "stable"}


def test_blue_green_flip_points_the_stable_named_service_at_the_candidate(plan: PlanResult) -> None:
    service = named(plan, SERVICE, "bg-svc").inputs
    assert service["metadata"]["name"] == "llm"
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "llm", "inference.platform/track": "candidate"}
    # The route itself does not change at the flip: it always targets the stable-named Service.
    primary = named(plan, INGRESS, "bg-traffic-http-ingress").inputs
    assert _backend(primary) == {"name": "llm", "port": {"number": 8000}}
    assert [res.name for res in plan.by_type(INGRESS) if res.name.startswith("bg-")] == ["bg-traffic-http-ingress"]


def test_grpc_alone_is_exposed_on_the_main_host(plan: PlanResult) -> None:
    names = sorted(res.name for res in plan.by_type(INGRESS) if res.name.startswith("grpconly-"))
    assert names == ["grpconly-traffic-grpc-canary", "grpconly-traffic-grpc-ingress"]
    ingress = named(plan, INGRESS, "grpconly-traffic-grpc-ingress").inputs
    assert ingress["spec"]["rules"][0]["host"] == "g.site"
    assert _backend(ingress) == {"name": "llm-stable", "port": {"number": 9001}}


def test_rest_alone_gets_no_grpc_route(plan: PlanResult) -> None:
    assert not [res for res in plan.by_type(INGRESS) if res.name.startswith("bg-traffic-grpc")]
