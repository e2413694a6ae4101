"""kubernetes-endpoint-require-authentication (regulated profiles refuse unauthenticated endpoints)."""

from __future__ import annotations

import pytest
from guardrails.exposure.kubernetes_endpoint_require_authentication import POLICY

from tests.policies.harness import analyze

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
SERVICE = "kubernetes:core/v1:Service"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
N = "nginx.ingress.kubernetes.io/"
MTLS_NGINX = {
    "inference.auth/mode": "mtls",
    f"{N}auth-tls-verify-client": "on",
    f"{N}auth-tls-secret": "inference/client-ca",
}
OIDC_NGINX = {"inference.auth/mode": "oidc", f"{N}auth-url": "https://oauth2-proxy.auth.svc/oauth2/auth"}


def _ingress(annotations: dict, ingress_class: str = "nginx") -> dict:
    return {"metadata": {"name": "inference", "annotations": annotations}, "spec": {"ingressClassName": ingress_class}}


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (INGRESS, _ingress(MTLS_NGINX)),
        (INGRESS, _ingress(OIDC_NGINX)),
        (INGRESS, _ingress({"inference.auth/mode": "oidc", "alb.ingress.kubernetes.io/auth-type": "oidc"}, "alb")),
        (ROUTE, {"metadata": {"name": "canary", "annotations": {"inference.auth/mode": "oidc"}}, "spec": {}}),
        (
            SERVICE,
            {
                "metadata": {"name": "lb", "annotations": {"inference.auth/mode": "mtls"}},
                "spec": {"type": "LoadBalancer"},
            },
        ),
    ],
)
def test_authenticated_endpoints_pass(type_: str, props: dict) -> None:
    assert analyze(POLICY, type_, props).passed


@pytest.mark.parametrize(
    ("type_", "props", "fragment"),
    [
        (
            INGRESS,
            _ingress({}),
            "Ingress 'inference' is an unauthenticated endpoint (no inference.auth/mode annotation)",
        ),
        (INGRESS, _ingress({"inference.auth/mode": "none"}), "inference.auth/mode='none'"),
        (ROUTE, {"metadata": {"name": "canary"}}, "HTTPRoute 'canary' is an unauthenticated endpoint"),
        (SERVICE, {"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer"}}, "Service 'lb' is an unauthenticated"),
        (SERVICE, {"metadata": {"name": "np"}, "spec": {"type": "NodePort"}}, "Service 'np' is an unauthenticated"),
    ],
)
def test_unauthenticated_endpoints_violate(type_: str, props: dict, fragment: str) -> None:
    result = analyze(POLICY, type_, props)
    assert result.has(fragment), result.messages
    assert result.violations[0].level == "mandatory"


def test_declared_mode_must_be_implemented_by_the_controller() -> None:
    assert analyze(POLICY, INGRESS, _ingress({"inference.auth/mode": "mtls"})).has("declares mtls but lacks")
    assert analyze(POLICY, INGRESS, _ingress({"inference.auth/mode": "oidc"})).has(f"lacks {N}auth-url")
    alb = _ingress({"inference.auth/mode": "oidc"}, "alb")
    assert analyze(POLICY, INGRESS, alb).has("lacks alb.ingress.kubernetes.io/auth-type: oidc")
    assert analyze(POLICY, INGRESS, alb, config={"verifyControllerAnnotations": False}).passed


def test_canary_ingress_inherits_the_main_ingress_auth() -> None:
    canary = _ingress({"inference.auth/mode": "mtls", f"{N}canary": "true", f"{N}canary-weight": "10"})
    assert analyze(POLICY, INGRESS, canary).passed


def test_allowed_modes_are_configurable() -> None:
    assert analyze(POLICY, INGRESS, _ingress(OIDC_NGINX), config={"allowedModes": ["mtls"]}).has("accepted modes")


def test_cluster_ip_services_and_empty_resources() -> None:
    assert analyze(POLICY, SERVICE, {"spec": {"type": "ClusterIP"}}).passed
    assert analyze(POLICY, INGRESS, {}).has("unauthenticated endpoint")
