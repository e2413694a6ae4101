"""Connect a VPC to the tenant's own network through an existing Transit Gateway.

Why a Transit Gateway attachment and not the site-to-site VPN block
(:mod:`components.vpn`): a private-cloud tenant already runs its network hub
(the TGW, with its own VPN or Direct Connect attachments and route tables);
the stack only joins the VPC to it and routes the tenant's CIDRs there. The
TGW may belong to another account, shared through AWS RAM: the share must be
accepted before the attachment can be created, and that account decides the
TGW route-table association and propagation, so this block leaves them at the
TGW's defaults rather than setting options a cross-account attachment rejects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .common import child_options, cidr_slug


@dataclass(frozen=True)
class TransitGatewayLinkArgs:
    transit_gateway_id: str
    vpc_id: pulumi.Input[str]
    # One subnet per AZ; the attachment places an ENI in each (the private subnets).
    subnet_ids: Sequence[pulumi.Input[str]]
    # Route tables that get a route per tenant CIDR (the private route tables).
    route_table_ids: Sequence[pulumi.Input[str]]
    tenant_cidrs: Sequence[str]
    tags: Mapping[str, str]


class TransitGatewayLink(pulumi.ComponentResource):
    """A TGW VPC attachment plus a route for each tenant CIDR in each given route table."""

    attachment_id: pulumi.Output[str]
    """Id of the Transit Gateway VPC attachment."""

    def __init__(self, name: str, args: TransitGatewayLinkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if not args.subnet_ids:
            raise ValueError("TransitGatewayLinkArgs.subnet_ids must list at least one subnet")
        super().__init__("inference:network:TransitGatewayLink", name, None, opts)
        child = child_options(self, opts)

        attachment = aws.ec2transitgateway.VpcAttachment(
            f"{name}-attachment",
            transit_gateway_id=args.transit_gateway_id,
            vpc_id=args.vpc_id,
            subnet_ids=list(args.subnet_ids),
            # Tenant hosts resolve the VPC's private DNS names (the internal load balancer) across the TGW.
            dns_support="enable",
            ipv6_support="disable",
            tags={**args.tags, "Name": f"{name}-attachment"},
            opts=child,
        )
        # A route may only point at the TGW once the attachment exists.
        after_attachment = child_options(self, opts, pulumi.ResourceOptions(depends_on=[attachment]))
        for table_index, route_table_id in enumerate(args.route_table_ids):
            for cidr in args.tenant_cidrs:
                # Named by CIDR, not list position, so reordering config does not replace routes.
                aws.ec2.Route(
                    f"{name}-rt{table_index}-{cidr_slug(cidr)}",
                    route_table_id=route_table_id,
                    destination_cidr_block=cidr,
                    transit_gateway_id=args.transit_gateway_id,
                    opts=after_attachment,
                )
        self.attachment_id = attachment.id
        self.register_outputs({"attachment_id": self.attachment_id})
