"""Encrypted site-to-site IPsec VPN between a VPC and an on-premises network.

Why a virtual private gateway and not a Transit Gateway: the hybrid model joins
exactly one VPC to one site. A VGW attached to the VPC does that with no extra
hourly attachment charge, no TGW route tables to keep in sync, and it can
propagate the VPN routes straight into the VPC's route tables. A Transit
Gateway pays off only once several VPCs or sites share the link (the
private-cloud model takes an existing TGW id for that case).

Why static routes and not BGP: the on-prem CIDRs are declared in config and
validated (RFC 1918, disjoint from the VPC). With static routes AWS routes
exactly those prefixes into the VPC, so the site cannot advertise something
else (a default route, the VPC's own range) and the plan shows every route.
The customer gateway still carries the site's ASN, which AWS requires and which
lets the site switch to dynamic routing later without replacing the gateway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .common import child_options, cidr_slug, retained

RESOURCE_TYPE = "inference:network:SiteToSiteVpn"

# Crypto proposals both tunnels accept; AWS otherwise also offers IKEv1, AES128,
# SHA1 and DH groups 2/5, which no regulated profile allows.
IKE_VERSIONS = ("ikev2",)
ENCRYPTION_ALGORITHMS = ("AES256-GCM-16", "AES256")
INTEGRITY_ALGORITHMS = ("SHA2-256", "SHA2-384", "SHA2-512")
# DH groups >= 15, the strictest profile's minimum (fedramp-high): 15-16 (MODP 3072-4096), 19-21 (ECP 256-521).
PHASE1_DH_GROUPS = (15, 16, 19, 20, 21)
PHASE2_DH_GROUPS = (15, 16, 19, 20, 21)


@dataclass(frozen=True)
class SiteToSiteVpnArgs:
    vpc_id: pulumi.Input[str]
    # Route tables that receive the on-prem routes (the VPC's private route tables).
    route_table_ids: Sequence[pulumi.Input[str]]
    customer_gateway_ip: str
    bgp_asn: int
    onprem_cidrs: Sequence[str]
    # CMK for the tunnel log group; its key policy must let CloudWatch Logs use it.
    log_kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    tags: Mapping[str, str]
    # None: AWS generates the keys. Either way they only leave this component as secrets.
    preshared_key: pulumi.Input[str] | None = None
    protect: bool = True
    """Protect and retain the tunnel-log group (audit data); on unless the caller opts out."""

    def __post_init__(self) -> None:
        if not self.onprem_cidrs:
            raise ValueError("SiteToSiteVpnArgs.onprem_cidrs must list at least one on-prem CIDR to route")


class SiteToSiteVpn(pulumi.ComponentResource):
    """Customer gateway + VPC-attached VPN gateway + one IPsec connection with two hardened tunnels."""

    tunnel_addresses: pulumi.Output[list[str]]
    """Outside (public) IPs of the two AWS tunnel endpoints, for the site's firewall."""
    customer_gateway_configuration: pulumi.Output[str]
    """The device configuration AWS generates for the site (includes the pre-shared keys): secret."""
    network_team: pulumi.Output[dict[str, object]]
    """Everything the site's network team configures, pre-shared keys included: secret."""
    vpn_connection_id: pulumi.Output[str]
    """Id of the VPN connection."""

    def __init__(self, name: str, args: SiteToSiteVpnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        child = child_options(self, opts)
        tags = dict(args.tags)

        customer_gateway = aws.ec2.CustomerGateway(
            f"{name}-cgw",
            ip_address=args.customer_gateway_ip,
            bgp_asn=str(args.bgp_asn),
            type="ipsec.1",
            tags={**tags, "Name": f"{name}-cgw"},
            opts=child,
        )
        vpn_gateway = aws.ec2.VpnGateway(f"{name}-vgw", tags={**tags, "Name": f"{name}-vgw"}, opts=child)
        # A separate attachment (not VpnGateway.vpc_id) so the gateway can be re-attached without replacement.
        attachment = aws.ec2.VpnGatewayAttachment(
            f"{name}-vgw-attachment", vpc_id=args.vpc_id, vpn_gateway_id=vpn_gateway.id, opts=child
        )
        log_group = self._create_log_group(name, args, tags, child)
        connection = self._create_connection(
            name,
            args,
            customer_gateway=customer_gateway,
            vpn_gateway=vpn_gateway,
            log_group=log_group,
            opts=child_options(self, opts, pulumi.ResourceOptions(depends_on=[attachment])),
        )

        for cidr in args.onprem_cidrs:
            # Named by CIDR, not list position, so reordering config does not replace routes.
            aws.ec2.VpnConnectionRoute(
                f"{name}-route-{cidr_slug(cidr)}",
                vpn_connection_id=connection.id,
                destination_cidr_block=cidr,
                opts=child,
            )
        for index, route_table_id in enumerate(args.route_table_ids):
            aws.ec2.VpnGatewayRoutePropagation(
                f"{name}-propagation-{index}",
                vpn_gateway_id=vpn_gateway.id,
                route_table_id=route_table_id,
                opts=child_options(self, opts, pulumi.ResourceOptions(depends_on=[attachment])),
            )

        self.vpn_connection_id = connection.id
        self.tunnel_addresses = pulumi.Output.all(connection.tunnel1_address, connection.tunnel2_address).apply(list)
        self.customer_gateway_configuration = pulumi.Output.secret(connection.customer_gateway_configuration)
        self.network_team = pulumi.Output.secret(
            pulumi.Output.all(
                customer_gateway_ip=args.customer_gateway_ip,
                customer_gateway_asn=args.bgp_asn,
                aws_side_asn=vpn_gateway.amazon_side_asn,
                routing="static",
                onprem_cidrs=list(args.onprem_cidrs),
                tunnel1_address=connection.tunnel1_address,
                tunnel1_inside_cidr=connection.tunnel1_inside_cidr,
                tunnel1_preshared_key=connection.tunnel1_preshared_key,
                tunnel2_address=connection.tunnel2_address,
                tunnel2_inside_cidr=connection.tunnel2_inside_cidr,
                tunnel2_preshared_key=connection.tunnel2_preshared_key,
                ike_versions=list(IKE_VERSIONS),
                encryption_algorithms=list(ENCRYPTION_ALGORITHMS),
                integrity_algorithms=list(INTEGRITY_ALGORITHMS),
                phase1_dh_groups=list(PHASE1_DH_GROUPS),
                phase2_dh_groups=list(PHASE2_DH_GROUPS),
            )
        )
        self.register_outputs(
            {
                "vpnConnectionId": self.vpn_connection_id,
                "tunnelAddresses": self.tunnel_addresses,
                "customerGatewayConfiguration": self.customer_gateway_configuration,
                "networkTeam": self.network_team,
            }
        )

    @staticmethod
    def _create_log_group(
        name: str, args: SiteToSiteVpnArgs, tags: Mapping[str, str], child: pulumi.ResourceOptions
    ) -> aws.cloudwatch.LogGroup:
        # Tunnel logs are the audit trail of IKE negotiations and tunnel state changes.
        return aws.cloudwatch.LogGroup(
            f"{name}-tunnel-logs",
            kms_key_id=args.log_kms_key_arn,
            retention_in_days=args.log_retention_days,
            tags=dict(tags),
            opts=pulumi.ResourceOptions.merge(child, retained(args.protect)),
        )

    @staticmethod
    def _create_connection(
        name: str,
        args: SiteToSiteVpnArgs,
        *,
        customer_gateway: aws.ec2.CustomerGateway,
        vpn_gateway: aws.ec2.VpnGateway,
        log_group: aws.cloudwatch.LogGroup,
        opts: pulumi.ResourceOptions,
    ) -> aws.ec2.VpnConnection:
        preshared_key = None if args.preshared_key is None else pulumi.Output.secret(args.preshared_key)
        log: dict[str, Any] = {"log_enabled": True, "log_group_arn": log_group.arn, "log_output_format": "json"}
        hardened: dict[str, Any] = {
            "ike_versions": list(IKE_VERSIONS),
            "phase1_encryption_algorithms": list(ENCRYPTION_ALGORITHMS),
            "phase2_encryption_algorithms": list(ENCRYPTION_ALGORITHMS),
            "phase1_integrity_algorithms": list(INTEGRITY_ALGORITHMS),
            "phase2_integrity_algorithms": list(INTEGRITY_ALGORITHMS),
            "phase1_dh_group_numbers": list(PHASE1_DH_GROUPS),
            "phase2_dh_group_numbers": list(PHASE2_DH_GROUPS),
            "preshared_key": preshared_key,
            # Restart a tunnel whose peer stops answering dead-peer detection instead of leaving it down.
            "dpd_timeout_action": "restart",
        }
        # Both tunnels get the identical hardened proposal set: a looser second tunnel would be the weak link.
        tunnels = {f"tunnel{tunnel}_{key}": value for tunnel in (1, 2) for key, value in hardened.items()}
        return aws.ec2.VpnConnection(
            f"{name}-connection",
            customer_gateway_id=customer_gateway.id,
            vpn_gateway_id=vpn_gateway.id,
            type="ipsec.1",
            static_routes_only=True,
            tunnel1_log_options=aws.ec2.VpnConnectionTunnel1LogOptionsArgs(
                cloudwatch_log_options=aws.ec2.VpnConnectionTunnel1LogOptionsCloudwatchLogOptionsArgs(**log)
            ),
            tunnel2_log_options=aws.ec2.VpnConnectionTunnel2LogOptionsArgs(
                cloudwatch_log_options=aws.ec2.VpnConnectionTunnel2LogOptionsCloudwatchLogOptionsArgs(**log)
            ),
            **tunnels,
            tags={**args.tags, "Name": f"{name}-connection"},
            opts=opts,
        )
