"""aws-lb-listener-require-authentication."""

from __future__ import annotations

import pytest
from guardrails.exposure.aws_lb_listener_require_authentication import POLICY

from tests.policies.harness import UNKNOWN, analyze

TYPE = "aws:lb/listener:Listener"
FORWARD = [{"type": "forward", "targetGroupArn": UNKNOWN}]


@pytest.mark.parametrize(
    "props",
    [
        {
            "protocol": "HTTPS",
            "mutualAuthentication": {"mode": "verify", "trustStoreArn": UNKNOWN},
            "defaultActions": FORWARD,
        },
        {
            "protocol": "HTTPS",
            "defaultActions": [{"type": "authenticate-oidc", "order": 1}, {"type": "forward", "order": 2}],
        },
        {"protocol": "TLS", "defaultActions": FORWARD, "tags": {"inference.auth/mode": "mtls"}},
    ],
)
def test_authenticating_listeners_pass(props: dict) -> None:
    assert analyze(POLICY, TYPE, props).passed


def test_forwarding_without_authentication_violates() -> None:
    result = analyze(POLICY, TYPE, {"protocol": "HTTPS", "defaultActions": FORWARD})
    assert result.has("listener 'res' does not authenticate clients")


def test_passthrough_tag_counts_only_on_tls_or_tcp_listeners() -> None:
    props = {"protocol": "HTTPS", "defaultActions": FORWARD, "tags": {"inference.auth/mode": "mtls"}}
    assert analyze(POLICY, TYPE, props).has("does not authenticate clients")


def test_redirect_only_listener_is_not_applicable() -> None:
    redirect = {"protocol": "HTTP", "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS"}}]}
    result = analyze(POLICY, TYPE, redirect)
    assert not result.diagnostics and result.not_applicable


def test_mutual_tls_in_passthrough_mode_does_not_count() -> None:
    props = {"protocol": "HTTPS", "mutualAuthentication": {"mode": "passthrough"}, "defaultActions": FORWARD}
    assert analyze(POLICY, TYPE, props).has("does not authenticate clients")
