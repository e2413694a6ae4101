"""kubernetes-ingress-require-tls."""

from __future__ import annotations

import pytest
from guardrails.encryption_in_transit.kubernetes_ingress_require_tls import POLICY

from tests.policies.harness import DELETE, analyze, patched

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
HOST = "inference.site-a.example.internal"
COMPLIANT = {
    "metadata": {"name": "inference", "namespace": "inference", "annotations": {"inference.auth/mode": "mtls"}},
    "spec": {
        "ingressClassName": "nginx",
        "tls": [{"hosts": [HOST], "secretName": "inference-tls"}],
        "rules": [{"host": HOST, "http": {"paths": [{"path": "/", "pathType": "Prefix"}]}}],
    },
}
ALB = {
    "metadata": {
        "name": "inference",
        "annotations": {
            "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:us-east-2:1:certificate/x",
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
        },
    },
    "spec": {"ingressClassName": "alb", "rules": [{"host": HOST}]},
}
GW = {"metadata": {"name": "gw"}, "spec": {"listeners": [{"name": "https", "protocol": "HTTPS", "port": 443}]}}


@pytest.mark.parametrize(("type_", "props"), [(INGRESS, COMPLIANT), (INGRESS, ALB), (GATEWAY, GW)])
def test_tls_endpoints_pass(type_: str, props: dict) -> None:
    assert analyze(POLICY, type_, props).passed


@pytest.mark.parametrize(
    ("type_", "props", "fragment"),
    [
        (INGRESS, patched(COMPLIANT, "spec.tls", DELETE), "Ingress 'inference' has no spec.tls"),
        (INGRESS, patched(COMPLIANT, "spec.tls.0.secretName", DELETE), "spec.tls entry without secretName"),
        (INGRESS, patched(COMPLIANT, "spec.rules.0.host", "other.example.internal"), "which no spec.tls entry covers"),
        (GATEWAY, patched(GW, "spec.listeners.0.protocol", "HTTP"), "uses protocol 'HTTP'"),
    ],
)
def test_each_gap_violates(type_: str, props: dict, fragment: str) -> None:
    result = analyze(POLICY, type_, props)
    assert result.has(fragment), result.messages


def test_ssl_redirect_disabled_violates() -> None:
    props = patched(COMPLIANT, "metadata.annotations", {"nginx.ingress.kubernetes.io/ssl-redirect": "false"})
    assert analyze(POLICY, INGRESS, props).has("disables the TLS redirect")


def test_alb_without_certificate_or_with_plain_http_violates() -> None:
    no_cert = patched(ALB, "metadata.annotations", {})
    assert analyze(POLICY, INGRESS, no_cert).has("has no spec.tls and no alb.ingress.kubernetes.io/certificate-arn")
    http = dict(ALB["metadata"]["annotations"])  # type: ignore[index]
    http["alb.ingress.kubernetes.io/listen-ports"] = '[{"HTTP": 80}, {"HTTPS": 443}]'
    assert analyze(POLICY, INGRESS, patched(ALB, "metadata.annotations", http)).has("listens on plain HTTP")


def test_empty_ingress_violates_without_crashing() -> None:
    assert analyze(POLICY, INGRESS, {}).has("has no spec.tls")
    assert analyze(POLICY, GATEWAY, {}).passed
