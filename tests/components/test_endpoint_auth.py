"""Endpoint auth and limits: mTLS/OIDC annotations, timeouts, body size, rate limits, fallback, per router."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
from component_harness import LABELS, config_error, named, plan_block, raw_stack

from components.config import validate
from components.config.models import AuthMode
from components.endpoint_auth import (
    AlbRateLimit,
    AlbRateLimitArgs,
    EndpointPolicy,
    Oidc,
    create_envoy_gateway_policies,
)
from components.inference_service import Autoscaling, ComputeResources, InferenceService, InferenceServiceArgs
from components.labels import AUTH_MODE_KEY
from components.traffic_split import AlbRouter, GatewayApiRouter, NginxRouter
from preflight.engine import PlanResult
from tests.policies.harness import analyze  # puts policies/ on sys.path, as the engine runs the pack

POLICY = importlib.import_module("guardrails.exposure.kubernetes_endpoint_require_authentication").POLICY
CONVENTIONS = importlib.import_module("guardrails.conventions")

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "inference-platform"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
SERVICE = "kubernetes:core/v1:Service"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
ENVOY = "kubernetes:gateway.envoyproxy.io/v1alpha1"
N = "nginx.ingress.kubernetes.io/"
A = "alb.ingress.kubernetes.io/"
IMAGE = "registry.example/triton@sha256:" + "a" * 64
CERT = "arn:aws:acm:us-east-1:111122223333:certificate/abc"
TRUST_STORE = "arn:aws:elasticloadbalancing:us-east-1:111122223333:truststore/clients/0123456789abcdef"
ISSUER = "https://idp.example/realms/clinical"
OIDC = Oidc(
    issuer=ISSUER,
    audiences=["inference-api"],
    jwks_uri=f"{ISSUER}/certs",
    authorization_endpoint=f"{ISSUER}/auth",
    token_endpoint=f"{ISSUER}/token",
    user_info_endpoint=f"{ISSUER}/userinfo",
    client_secret_name="oidc-client",
    auth_url="https://oauth2-proxy.example/oauth2/auth",
)


def _limited(**settings: Any) -> EndpointPolicy:
    """An endpoint with non-default limits (so the tests see them passed through)."""
    return EndpointPolicy(request_timeout_seconds=90, max_body_size_mb=32, rate_limit_rps=20, **settings)


MTLS = _limited(auth_mode=AuthMode.MTLS, client_ca_secret="client-ca", fallback_service="fallback")


def _service(name: str, router: Any, endpoint: EndpointPolicy) -> InferenceService:
    return InferenceService(
        name,
        InferenceServiceArgs(
            name="llm",
            namespace=name,
            model_name="m",
            model_version="1.0.0",
            image=IMAGE,
            labels=LABELS,
            resources=ComputeResources("1", "1", "1Gi", "1Gi", gpus=0),
            autoscaling=Autoscaling(min_replicas=1, max_replicas=2),
            router=router,
            endpoint=endpoint,
        ),
    )


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    def build() -> None:
        nginx = NginxRouter(ingress_class="nginx", host="llm.site", cluster_issuer="ca", grpc_host="grpc.llm.site")
        # Without deletion protection, the attributes annotation carries the idle timeout alone.
        alb = AlbRouter(certificate_arn=CERT, ssl_policy="P", source_ranges=["10.0.0.0/16"], deletion_protection=False)
        _service("ngx-mtls", nginx, MTLS)
        _service("ngx-oidc", nginx, EndpointPolicy(auth_mode=AuthMode.OIDC, oidc=OIDC))
        _service("ngx-none", nginx, EndpointPolicy())
        _service("alb-oidc", alb, _limited(auth_mode=AuthMode.OIDC, oidc=OIDC))
        _service("alb-mtls", alb, EndpointPolicy(auth_mode=AuthMode.MTLS, alb_trust_store_arn=TRUST_STORE))
        _service("gw", GatewayApiRouter(gateway_name="shared"), _limited(auth_mode=AuthMode.OIDC, oidc=OIDC))
        limit = AlbRateLimit(
            "waf", AlbRateLimitArgs(acl_name="stack-rate-limit", rate_limit_rps=20, tags={"owner": "ml"})
        )
        pulumi.export("wafArn", limit.arn)

    return plan_block(build)


def _notes(plan: PlanResult, suffix: str, token: str = INGRESS) -> dict[str, str]:
    return named(plan, token, suffix).inputs["metadata"]["annotations"]


# -- ingress-nginx ---------------------------------------------------------------------------------


def test_nginx_mtls_verifies_clients_against_the_ca_secret(plan: PlanResult) -> None:
    notes = _notes(plan, "ngx-mtls-traffic-http-ingress")
    assert notes[f"{N}auth-tls-secret"] == "ngx-mtls/client-ca"
    assert notes[f"{N}auth-tls-verify-client"] == "on"
    assert notes[AUTH_MODE_KEY] == "mtls"


def test_nginx_limits_timeouts_body_size_and_rate(plan: PlanResult) -> None:
    notes = _notes(plan, "ngx-mtls-traffic-http-ingress")
    assert (notes[f"{N}proxy-read-timeout"], notes[f"{N}proxy-send-timeout"]) == ("90", "90")
    assert notes[f"{N}proxy-body-size"] == "32m"
    assert notes[f"{N}limit-rps"] == "20"


def test_nginx_sends_failing_requests_to_the_fallback_service(plan: PlanResult) -> None:
    notes = _notes(plan, "ngx-mtls-traffic-http-ingress")
    assert notes[f"{N}default-backend"] == "fallback"
    assert notes[f"{N}custom-http-errors"] == "502,503,504"


def test_nginx_oidc_delegates_token_checks_to_the_auth_url(plan: PlanResult) -> None:
    notes = _notes(plan, "ngx-oidc-traffic-http-ingress")
    assert notes[f"{N}auth-url"] == OIDC.auth_url
    assert notes[AUTH_MODE_KEY] == "oidc"


# -- AWS Load Balancer Controller ------------------------------------------------------------------


def test_alb_oidc_authenticates_with_the_client_secret_and_denies_anonymous_calls(plan: PlanResult) -> None:
    notes = _notes(plan, "alb-oidc-traffic-http-ingress")
    assert notes[f"{A}auth-type"] == "oidc"
    assert json.loads(notes[f"{A}auth-idp-oidc"]) == {
        "issuer": ISSUER,
        "authorizationEndpoint": f"{ISSUER}/auth",
        "tokenEndpoint": f"{ISSUER}/token",
        "userInfoEndpoint": f"{ISSUER}/userinfo",
        "secretName": "oidc-client",
    }
    assert notes[f"{A}auth-on-unauthenticated-request"] == "deny"


def test_alb_mtls_verifies_clients_on_each_listener(plan: PlanResult) -> None:
    for suffix, port in (("alb-mtls-traffic-http-ingress", 443), ("alb-mtls-traffic-grpc-ingress", 8443)):
        verify = json.loads(_notes(plan, suffix)[f"{A}mutual-authentication"])
        assert verify == [{"port": port, "mode": "verify", "trustStore": TRUST_STORE}], suffix


def test_alb_idle_timeout_follows_the_request_timeout(plan: PlanResult) -> None:
    notes = _notes(plan, "alb-oidc-traffic-http-ingress")
    assert notes[f"{A}load-balancer-attributes"] == "idle_timeout.timeout_seconds=90"


def test_alb_rate_limit_is_a_per_ip_waf_rule(plan: PlanResult) -> None:
    acl = named(plan, "aws:wafv2/webAcl:WebAcl", "waf-acl").inputs
    assert (acl["name"], acl["scope"]) == ("stack-rate-limit", "REGIONAL")
    (rule,) = acl["rules"]
    statement = rule["statement"]["rateBasedStatement"]
    assert (statement["aggregateKeyType"], statement["limit"], statement["evaluationWindowSec"]) == ("IP", 1200, 60)
    assert "block" in rule["action"]
    assert acl["tags"] == {"owner": "ml"}


def test_alb_cannot_fall_back_to_another_service() -> None:
    with pytest.raises(ValueError, match="fallback"):
        MTLS.alb_annotations(listener_port=443)


# -- Gateway API (Envoy Gateway) -------------------------------------------------------------------


def test_gateway_routes_time_out_rest_requests(plan: PlanResult) -> None:
    rule = named(plan, ROUTE, "gw-traffic-http-route").inputs["spec"]["rules"][0]
    assert rule["timeouts"] == {"request": "90s"}


def test_gateway_oidc_validates_jwts_on_every_route(plan: PlanResult) -> None:
    policy = named(plan, f"{ENVOY}:SecurityPolicy", "gw-traffic-jwt").inputs["spec"]
    assert [ref["name"] for ref in policy["targetRefs"]] == ["llm", "llm-grpc"]
    assert policy["jwt"]["providers"] == [
        {"name": "oidc", "issuer": ISSUER, "audiences": ["inference-api"], "remoteJWKS": {"uri": f"{ISSUER}/certs"}}
    ]


def test_gateway_limits_rate_everywhere_and_body_size_on_rest_only(plan: PlanResult) -> None:
    rest = named(plan, f"{ENVOY}:BackendTrafficPolicy", "gw-traffic-http-limits").inputs["spec"]
    grpc = named(plan, f"{ENVOY}:BackendTrafficPolicy", "gw-traffic-grpc-limits").inputs["spec"]
    for spec in (rest, grpc):
        assert spec["rateLimit"]["local"]["rules"] == [{"limit": {"requests": 20, "unit": "Second"}}]
    assert rest["requestBuffer"] == {"limit": "32Mi"}
    assert "requestBuffer" not in grpc


def test_gateway_cannot_verify_client_certificates_itself() -> None:
    with pytest.raises(ValueError, match="Gateway's listener"):
        create_envoy_gateway_policies(
            "x",
            namespace="n",
            labels={},
            routes=[("llm", False)],
            endpoint=EndpointPolicy(auth_mode=AuthMode.MTLS, client_ca_secret="ca"),
            opts=pulumi.ResourceOptions(),
        )


# -- the declared mode, for the policy pack ---------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "suffix"),
    [
        (INGRESS, "ngx-mtls-traffic-http-ingress"),
        (INGRESS, "ngx-mtls-traffic-grpc-ingress"),
        (INGRESS, "alb-oidc-traffic-http-ingress"),
        (ROUTE, "gw-traffic-grpc-route"),
        (SERVICE, "gw-svc"),
    ],
)
def test_every_endpoint_declares_its_auth_mode(plan: PlanResult, token: str, suffix: str) -> None:
    assert _notes(plan, suffix, token)[AUTH_MODE_KEY] in ("mtls", "oidc")


def test_the_annotation_key_is_the_one_the_policy_pack_reads() -> None:
    assert CONVENTIONS.AUTH_MODE == AUTH_MODE_KEY == "inference.auth/mode"


@pytest.mark.parametrize(
    "suffix", ["ngx-mtls-traffic-http-ingress", "ngx-oidc-traffic-http-ingress", "alb-oidc-traffic-http-ingress"]
)
def test_the_policy_accepts_the_rendered_authenticated_ingresses(plan: PlanResult, suffix: str) -> None:
    result = analyze(POLICY, INGRESS, named(plan, INGRESS, suffix).inputs)
    assert result.passed, result.messages


def test_an_unauthenticated_endpoint_says_none_and_the_policy_refuses_it(plan: PlanResult) -> None:
    ingress = named(plan, INGRESS, "ngx-none-traffic-http-ingress").inputs
    assert ingress["metadata"]["annotations"][AUTH_MODE_KEY] == "none"
    assert analyze(POLICY, INGRESS, ingress).has("inference.auth/mode='none'")


# -- config: what each router can enforce ----------------------------------------------------------


def test_regulated_profile_refuses_an_unauthenticated_endpoint() -> None:
    raw = raw_stack("prod")
    raw["integration"]["auth"] = {"mode": "none"}
    message = config_error(raw)
    assert "compliance.profile 'hipaa' refuses an unauthenticated endpoint" in message
    assert "integration.auth.mode" in message


def test_alb_oidc_without_the_idp_endpoints_is_refused() -> None:
    raw = raw_stack("prod")
    raw["integration"]["auth"]["oidc"] = {"issuer": ISSUER, "audiences": ["api"]}
    message = config_error(raw)
    assert (
        "integration.auth.oidc needs authorizationEndpoint, tokenEndpoint, userInfoEndpoint, clientSecretName"
        in message
    )
    assert "trafficRouter 'aws-alb'" in message


def test_alb_mtls_without_a_trust_store_is_refused() -> None:
    raw = raw_stack("prod")
    raw["integration"]["auth"] = {"mode": "mtls", "clientCaSecret": "client-ca"}
    assert "integration.auth.albTrustStoreArn is needed" in config_error(raw)


def test_nginx_oidc_without_an_auth_service_is_refused() -> None:
    raw = raw_stack("onprem")
    raw["integration"]["auth"] = {"mode": "oidc", "oidc": {"issuer": ISSUER, "audiences": ["api"]}}
    assert "integration.auth.oidc.authUrl is needed with trafficRouter 'ingress-nginx'" in config_error(raw)


def test_gateway_mtls_is_refused() -> None:
    raw = raw_stack("onprem")
    raw["rollout"] = {"trafficRouter": "gateway-api", "gatewayName": "shared"}
    assert "integration.auth.mode 'mtls' with trafficRouter 'gateway-api'" in config_error(raw)


def test_fallback_needs_ingress_nginx() -> None:
    raw = raw_stack("prod")
    raw["integration"]["fallbackService"] = "maintenance"
    assert "integration.fallbackService is not supported with trafficRouter 'aws-alb'" in config_error(raw)
    onprem = raw_stack("onprem")
    onprem["integration"]["fallbackService"] = "maintenance"
    assert validate(onprem, PROJECT).integration.fallback_service == "maintenance"
