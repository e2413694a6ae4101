"""Publish an internal Network Load Balancer to consumer VPCs as a PrivateLink endpoint service.

Consumers in other VPCs or accounts reach the service through an interface
endpoint in their own VPC: no peering, no routes, no overlapping-CIDR problems,
and traffic never leaves the AWS network. Acceptance is always required, so
even an allowed principal's connection waits for the provider to accept it,
and only the principals listed in config may request one at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .common import child_options


@dataclass(frozen=True)
class EndpointServiceArgs:
    # The internal NLB(s) in front of the service (PrivateLink only accepts Network Load Balancers here).
    network_load_balancer_arns: Sequence[pulumi.Input[str]]
    # IAM principals (account root, role or user ARNs) allowed to create endpoints; never "*".
    allowed_principals: Sequence[str]
    tags: Mapping[str, str]


class EndpointService(pulumi.ComponentResource):
    """An ``aws.ec2.VpcEndpointService`` with acceptance required and an explicit principal allow-list."""

    service_name: pulumi.Output[str]
    """Name consumers create their interface endpoint for (``com.amazonaws.vpce.<region>.vpce-svc-...``)."""
    service_id: pulumi.Output[str]
    """Id of the endpoint service."""

    def __init__(self, name: str, args: EndpointServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if not args.network_load_balancer_arns:
            raise ValueError("EndpointServiceArgs.network_load_balancer_arns must name at least one NLB")
        if not args.allowed_principals:
            raise ValueError("EndpointServiceArgs.allowed_principals must list at least one IAM principal ARN")
        if "*" in args.allowed_principals:
            raise ValueError("EndpointServiceArgs.allowed_principals must not contain '*' (every AWS account)")
        super().__init__("inference:network:EndpointService", name, None, opts)

        service = aws.ec2.VpcEndpointService(
            f"{name}-service",
            network_load_balancer_arns=list(args.network_load_balancer_arns),
            acceptance_required=True,
            allowed_principals=list(args.allowed_principals),
            supported_ip_address_types=["ipv4"],
            tags={**args.tags, "Name": f"{name}-service"},
            opts=child_options(self, opts),
        )
        self.service_name = service.service_name
        self.service_id = service.id
        self.register_outputs({"service_name": self.service_name, "service_id": self.service_id})
