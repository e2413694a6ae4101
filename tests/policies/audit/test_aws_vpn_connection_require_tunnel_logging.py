"""aws-vpn-connection-require-tunnel-logging."""

from __future__ import annotations

import copy

import pytest
from guardrails.audit.aws_vpn_connection_require_tunnel_logging import POLICY

from tests.policies.harness import DELETE, UNKNOWN, analyze, patched

TYPE = "aws:ec2/vpnConnection:VpnConnection"
LOG = {"cloudwatchLogOptions": {"logEnabled": True, "logGroupArn": UNKNOWN, "logOutputFormat": "json"}}
COMPLIANT = {"tunnel1LogOptions": copy.deepcopy(LOG), "tunnel2LogOptions": copy.deepcopy(LOG)}


def test_both_tunnels_logging_passes() -> None:
    assert analyze(POLICY, TYPE, COMPLIANT).passed


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("tunnel1LogOptions.cloudwatchLogOptions.logEnabled", False, "tunnel1 logging is off"),
        ("tunnel2LogOptions", DELETE, "tunnel2 logging is off"),
        ("tunnel1LogOptions.cloudwatchLogOptions.logGroupArn", DELETE, "tunnel1 logs to no log group"),
    ],
)
def test_each_gap_violates(path: str, value: object, fragment: str) -> None:
    result = analyze(POLICY, TYPE, patched(COMPLIANT, path, value))
    assert result.has(fragment), result.messages
    assert len(result.violations) == 1


def test_connection_without_options_reports_both_tunnels() -> None:
    assert len(analyze(POLICY, TYPE, {}).violations) == 2
