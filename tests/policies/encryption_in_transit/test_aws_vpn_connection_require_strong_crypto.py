"""aws-vpn-connection-require-strong-crypto."""

from __future__ import annotations

import pytest
from guardrails.encryption_in_transit.aws_vpn_connection_require_strong_crypto import POLICY

from tests.policies.harness import DELETE, UNKNOWN, analyze, patched, secret

TYPE = "aws:ec2/vpnConnection:VpnConnection"


def _tunnel(n: int) -> dict:
    return {
        f"tunnel{n}IkeVersions": ["ikev2"],
        f"tunnel{n}Phase1EncryptionAlgorithms": ["AES256-GCM-16"],
        f"tunnel{n}Phase2EncryptionAlgorithms": ["AES256-GCM-16"],
        f"tunnel{n}Phase1IntegrityAlgorithms": ["SHA2-256"],
        f"tunnel{n}Phase2IntegrityAlgorithms": ["SHA2-256"],
        f"tunnel{n}Phase1DhGroupNumbers": [20],
        f"tunnel{n}Phase2DhGroupNumbers": [20],
        f"tunnel{n}PresharedKey": secret("not-a-real-key"),
    }


COMPLIANT = {"customerGatewayId": UNKNOWN, "transitGatewayId": UNKNOWN, "type": "ipsec.1", **_tunnel(1), **_tunnel(2)}


def test_strong_tunnels_pass() -> None:
    assert analyze(POLICY, TYPE, COMPLIANT).passed


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("tunnel1IkeVersions", ["ikev1", "ikev2"], "tunnel1 IKE versions includes ['ikev1']"),
        ("tunnel2IkeVersions", DELETE, "tunnel2 IKE versions is not set"),
        ("tunnel1Phase1EncryptionAlgorithms", ["AES128"], "tunnel1 phase1 encryption includes ['AES128']"),
        ("tunnel2Phase2IntegrityAlgorithms", ["SHA1"], "tunnel2 phase2 integrity includes ['SHA1']"),
        ("tunnel1Phase2DhGroupNumbers", [2, 14], "tunnel1 phase2 DH groups [2, 14] include a group below 14"),
        ("tunnel2Phase1DhGroupNumbers", DELETE, "tunnel2 phase1 DH groups are not set"),
    ],
)
def test_each_weak_setting_violates(path: str, value: object, fragment: str) -> None:
    result = analyze(POLICY, TYPE, patched(COMPLIANT, path, value))
    assert result.has(fragment), result.messages
    assert len(result.violations) == 1


def test_connection_with_defaults_only_reports_every_gap() -> None:
    result = analyze(POLICY, TYPE, {"customerGatewayId": "cgw-1", "type": "ipsec.1"})
    assert len(result.violations) == 14  # 2 tunnels x (IKE + 2 phases x 3 settings)


def test_min_dh_group_is_configurable() -> None:
    props = patched(COMPLIANT, "tunnel1Phase1DhGroupNumbers", [14])
    assert analyze(POLICY, TYPE, props).passed
    assert analyze(POLICY, TYPE, props, config={"minDhGroup": 15}).has("include a group below 15")


def test_unknown_setting_is_undecided_while_the_rest_still_reports() -> None:
    props = patched(patched(COMPLIANT, "tunnel1IkeVersions", UNKNOWN), "tunnel2IkeVersions", ["ikev1"])
    result = analyze(POLICY, TYPE, props)
    assert result.has("tunnel2 IKE versions includes ['ikev1']")
    assert len(result.undecided) == 1
