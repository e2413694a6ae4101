"""kubernetes-service-require-tls-load-balancer."""

from __future__ import annotations

import pytest
from guardrails.encryption_in_transit.kubernetes_service_require_tls_load_balancer import POLICY

from tests.policies.harness import DELETE, analyze, patched

TYPE = "kubernetes:core/v1:Service"
A = "service.beta.kubernetes.io/aws-load-balancer-"
COMPLIANT = {
    "metadata": {
        "name": "inference-lb",
        "namespace": "inference",
        "annotations": {
            f"{A}scheme": "internal",
            f"{A}ssl-cert": "arn:aws:acm:us-east-2:111122223333:certificate/abc",
            f"{A}ssl-ports": "https,grpcs",
            f"{A}ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        },
    },
    "spec": {
        "type": "LoadBalancer",
        "ports": [
            {"name": "https", "port": 443, "targetPort": "http"},
            {"name": "grpcs", "port": 8443, "targetPort": "grpc"},
        ],
    },
}


def note(suffix: str) -> tuple[str, str, str]:
    """Path to an AWS load-balancer annotation (annotation keys contain dots)."""
    return ("metadata", "annotations", f"{A}{suffix}")


def test_tls_load_balancer_passes() -> None:
    assert analyze(POLICY, TYPE, COMPLIANT).passed


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (note("ssl-cert"), DELETE, f"without the {A}ssl-cert annotation"),
        (note("ssl-ports"), "https", "port grpcs is not in"),
        (note("ssl-negotiation-policy"), "ELBSecurityPolicy-2016-08", "uses TLS policy 'ELBSecurityPolicy-2016-08'"),
        (note("ssl-negotiation-policy"), DELETE, "uses TLS policy None"),
    ],
)
def test_each_gap_violates(path: tuple[str, ...], value: object, fragment: str) -> None:
    result = analyze(POLICY, TYPE, patched(COMPLIANT, path, value))
    assert result.has(fragment), result.messages
    assert all(d.level == "mandatory" for d in result.violations)


def test_ssl_ports_by_number_and_default_all_ports() -> None:
    assert analyze(POLICY, TYPE, patched(COMPLIANT, note("ssl-ports"), "443, 8443")).passed
    assert analyze(POLICY, TYPE, patched(COMPLIANT, note("ssl-ports"), DELETE)).passed


def test_fips_profile_rejects_a_commercial_policy() -> None:
    config = {"allowedTlsPolicies": ["ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04"]}
    assert analyze(POLICY, TYPE, COMPLIANT, config=config).has(
        "not one of ['ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04']"
    )


def test_cluster_ip_and_empty_services_are_ignored() -> None:
    assert analyze(POLICY, TYPE, {"spec": {"type": "ClusterIP"}}).passed
    assert analyze(POLICY, TYPE, {}).passed


def test_passthrough_profile_makes_it_not_applicable() -> None:
    plain = patched(COMPLIANT, note("ssl-cert"), DELETE)
    result = analyze(POLICY, TYPE, plain, config={"allowTcpPassthrough": True})
    assert not result.diagnostics and result.not_applicable
