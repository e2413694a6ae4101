"""aws-lb-listener-require-tls."""

from __future__ import annotations

import pytest
from guardrails.encryption_in_transit.aws_lb_listener_require_tls import POLICY

from tests.policies.harness import DELETE, UNKNOWN, analyze, patched

TYPE = "aws:lb/listener:Listener"
COMPLIANT = {
    "loadBalancerArn": UNKNOWN,
    "port": 443,
    "protocol": "HTTPS",
    "certificateArn": "arn:aws:acm:us-east-2:111122223333:certificate/abc",
    "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "defaultActions": [{"type": "forward", "targetGroupArn": UNKNOWN}],
}
REDIRECT = {
    "port": 80,
    "protocol": "HTTP",
    "defaultActions": [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ],
}
FIPS_ONLY = {"allowedTlsPolicies": ["ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04"]}


@pytest.mark.parametrize("props", [COMPLIANT, REDIRECT, {**COMPLIANT, "protocol": "TLS"}])
def test_tls_and_redirect_listeners_pass(props: dict) -> None:
    assert analyze(POLICY, TYPE, props).passed


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("sslPolicy", "ELBSecurityPolicy-2016-08", "uses TLS policy 'ELBSecurityPolicy-2016-08'"),
        ("sslPolicy", DELETE, "uses TLS policy None"),
        ("certificateArn", DELETE, "has no certificateArn"),
        ("protocol", "HTTP", "accepts plain HTTP"),
        ("protocol", DELETE, "accepts plain HTTP"),
        ("protocol", "TCP", "uses protocol TCP"),
    ],
)
def test_each_gap_violates(path: str, value: object, fragment: str) -> None:
    result = analyze(POLICY, TYPE, patched(COMPLIANT, path, value))
    assert result.has(fragment), result.messages


def test_fips_profile_rejects_a_non_fips_policy() -> None:
    assert analyze(POLICY, TYPE, COMPLIANT, config=FIPS_ONLY).has("not in allowedTlsPolicies")
    fips = {**COMPLIANT, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04"}
    assert analyze(POLICY, TYPE, fips, config=FIPS_ONLY).passed


def test_redirect_and_passthrough_switches_change_the_verdict() -> None:
    assert analyze(POLICY, TYPE, REDIRECT, config={"allowHttpRedirect": False}).has("accepts plain HTTP")
    tcp = {**COMPLIANT, "protocol": "TCP"}
    assert analyze(POLICY, TYPE, tcp, config={"allowTcpPassthrough": True}).passed


def test_http_forwarding_listener_violates() -> None:
    result = analyze(POLICY, TYPE, patched(REDIRECT, "defaultActions.0", {"type": "forward"}))
    assert result.has("accepts plain HTTP")


def test_alb_alias_token_is_checked() -> None:
    assert analyze(POLICY, "aws:alb/listener:Listener", {**COMPLIANT, "protocol": "HTTP"}).has("plain HTTP")


def test_geneve_listener_is_not_applicable() -> None:
    result = analyze(POLICY, TYPE, {"protocol": "GENEVE"})
    assert not result.diagnostics and result.not_applicable
