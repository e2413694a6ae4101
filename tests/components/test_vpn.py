"""Site-to-site VPN block: hardened IPsec proposals on both tunnels, logs, routes, secret keys."""

from __future__ import annotations

import pulumi
import pytest

from components.vpn import SiteToSiteVpn, SiteToSiteVpnArgs
from preflight.engine import PlanResult, is_secret, run_program, unwrap_secret

PROJECT = "inference-platform"
ONPREM_CIDRS = ["192.168.0.0/16", "172.20.0.0/14"]
ROUTE_TABLES = ["rtb-0aaa", "rtb-0bbb"]
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555"
PSK = "Abc.def_0123456789"


def _args(**overrides: object) -> SiteToSiteVpnArgs:
    values: dict[str, object] = {
        "vpc_id": "vpc-0123456789abcdef0",
        "route_table_ids": ROUTE_TABLES,
        "customer_gateway_ip": "203.0.113.10",
        "bgp_asn": 65010,
        "onprem_cidrs": ONPREM_CIDRS,
        "log_kms_key_arn": KEY_ARN,
        "log_retention_days": 365,
        "tags": {"owner": "net"},
    }
    values.update(overrides)
    return SiteToSiteVpnArgs(**values)  # type: ignore[arg-type]


def _plan(args: SiteToSiteVpnArgs, name: str = "link") -> PlanResult:
    return run_program(
        lambda: pulumi.export("vpn", SiteToSiteVpn(name, args).network_team),
        project=PROJECT,
        stack="test",
        config={"aws:region": "us-east-1"},
    )


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return _plan(_args(protect=False))


@pytest.fixture(scope="module")
def plan_with_psk() -> PlanResult:
    return _plan(_args(preshared_key=PSK))  # protect left at its default


def _connection(plan: PlanResult) -> dict[str, object]:
    return plan.one("aws:ec2/vpnConnection:VpnConnection").inputs


@pytest.mark.parametrize("tunnel", ["tunnel1", "tunnel2"])
def test_tunnels_negotiate_ikev2_only(plan: PlanResult, tunnel: str) -> None:
    assert _connection(plan)[f"{tunnel}IkeVersions"] == ["ikev2"]


@pytest.mark.parametrize("tunnel", ["tunnel1", "tunnel2"])
@pytest.mark.parametrize("phase", ["Phase1", "Phase2"])
def test_tunnels_encrypt_with_aes256_only(plan: PlanResult, tunnel: str, phase: str) -> None:
    assert _connection(plan)[f"{tunnel}{phase}EncryptionAlgorithms"] == ["AES256-GCM-16", "AES256"]


@pytest.mark.parametrize("tunnel", ["tunnel1", "tunnel2"])
@pytest.mark.parametrize("phase", ["Phase1", "Phase2"])
def test_tunnels_use_sha2_256_or_stronger(plan: PlanResult, tunnel: str, phase: str) -> None:
    assert _connection(plan)[f"{tunnel}{phase}IntegrityAlgorithms"] == ["SHA2-256", "SHA2-384", "SHA2-512"]


@pytest.mark.parametrize("tunnel", ["tunnel1", "tunnel2"])
@pytest.mark.parametrize("phase", ["Phase1", "Phase2"])
def test_tunnels_use_dh_group_15_or_higher(plan: PlanResult, tunnel: str, phase: str) -> None:
    groups = _connection(plan)[f"{tunnel}{phase}DhGroupNumbers"]
    assert isinstance(groups, list)
    assert groups
    assert min(groups) >= 15  # fedramp-high's minDhGroup


@pytest.mark.parametrize("tunnel", ["tunnel1", "tunnel2"])
def test_tunnel_logs_go_to_the_encrypted_log_group(plan: PlanResult, tunnel: str) -> None:
    options = _connection(plan)[f"{tunnel}LogOptions"]
    assert isinstance(options, dict)
    cloudwatch = options["cloudwatchLogOptions"]
    assert cloudwatch["logEnabled"] is True
    log_group = plan.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.urn in plan.one("aws:ec2/vpnConnection:VpnConnection").property_dependencies[f"{tunnel}LogOptions"]


def test_log_group_is_kms_encrypted_with_retention(plan: PlanResult) -> None:
    inputs = plan.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert inputs["kmsKeyId"] == KEY_ARN
    assert inputs["retentionInDays"] == 365


def test_log_group_is_protected_unless_opted_out(plan: PlanResult, plan_with_psk: PlanResult) -> None:
    assert not plan.one("aws:cloudwatch/logGroup:LogGroup").protect
    retained = plan_with_psk.one("aws:cloudwatch/logGroup:LogGroup")
    assert retained.protect
    assert retained.retain_on_delete


def test_customer_gateway_uses_site_ip_and_asn(plan: PlanResult) -> None:
    inputs = plan.one("aws:ec2/customerGateway:CustomerGateway").inputs
    assert inputs["ipAddress"] == "203.0.113.10"
    assert inputs["bgpAsn"] == "65010"
    assert inputs["type"] == "ipsec.1"


def test_vpn_gateway_is_attached_to_the_vpc(plan: PlanResult) -> None:
    attachment = plan.one("aws:ec2/vpnGatewayAttachment:VpnGatewayAttachment")
    assert attachment.inputs["vpcId"] == "vpc-0123456789abcdef0"
    assert plan.one("aws:ec2/vpnGateway:VpnGateway").urn in attachment.dependencies


def test_static_routes_for_every_onprem_cidr(plan: PlanResult) -> None:
    assert _connection(plan)["staticRoutesOnly"] is True
    routes = plan.by_type("aws:ec2/vpnConnectionRoute:VpnConnectionRoute")
    assert sorted(route.inputs["destinationCidrBlock"] for route in routes) == sorted(ONPREM_CIDRS)


def test_routes_propagate_into_every_route_table(plan: PlanResult) -> None:
    propagations = plan.by_type("aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation")
    assert sorted(p.inputs["routeTableId"] for p in propagations) == sorted(ROUTE_TABLES)


def test_preshared_keys_are_left_to_aws_by_default(plan: PlanResult) -> None:
    connection = _connection(plan)
    assert "tunnel1PresharedKey" not in connection
    assert "tunnel2PresharedKey" not in connection


@pytest.mark.parametrize("tunnel", ["tunnel1", "tunnel2"])
def test_given_preshared_key_is_sent_as_secret(plan_with_psk: PlanResult, tunnel: str) -> None:
    value = _connection(plan_with_psk)[f"{tunnel}PresharedKey"]
    assert is_secret(value)
    assert unwrap_secret(value) == PSK


def test_network_team_output_is_secret(plan_with_psk: PlanResult) -> None:
    assert is_secret(plan_with_psk.outputs["vpn"])


@pytest.mark.parametrize("key", ["customerGatewayConfiguration", "networkTeam"])
def test_gateway_configuration_outputs_are_secret(plan: PlanResult, key: str) -> None:
    # Secret even when AWS generated the keys: the device configuration embeds them.
    assert is_secret(plan.one("inference:network:SiteToSiteVpn").outputs[key])


def test_children_are_parented_and_named_from_the_component(plan: PlanResult) -> None:
    component = plan.one("inference:network:SiteToSiteVpn")
    children = plan.children(component.urn)
    assert children
    assert all(child.name.startswith("link-") for child in children)


def test_two_links_do_not_collide() -> None:
    def program() -> None:
        SiteToSiteVpn("site-a", _args())
        SiteToSiteVpn("site-b", _args(customer_gateway_ip="198.51.100.7"))

    result = run_program(program, project=PROJECT, stack="test", config={"aws:region": "us-east-1"})
    assert len(result.by_type("aws:ec2/vpnConnection:VpnConnection")) == 2


def test_a_link_without_onprem_cidrs_is_refused() -> None:
    with pytest.raises(ValueError, match="onprem_cidrs must list at least one"):
        _args(onprem_cidrs=[])
