"""Internal Network Load Balancer with TLS listeners and IP target groups, owned by Pulumi.

Why Pulumi creates this NLB instead of a ``Service`` of type ``LoadBalancer``:
an NLB the AWS Load Balancer Controller creates exists only once the controller
has reconciled, so its ARN is unknown to the program, and a PrivateLink
endpoint service (:mod:`components.endpoint_service`) needs that ARN. Here the
NLB, its listeners and target groups are ordinary resources, visible to the
policy pack, and the controller only registers pod IPs into the target groups
through a ``TargetGroupBinding`` (see
:class:`components.inference_service.TargetGroupBinding`).

TLS terminates at the listener with an ACM certificate and a TLS 1.2+/1.3
security policy (the FIPS variant for FedRAMP); the targets are the pods'
serving ports inside the VPC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .common import TcpRule, child_options, tcp_security_group
from .inference_service import FIPS_TLS_SSL_POLICY

RESOURCE_TYPE = "inference:network:InternalNlb"


@dataclass(frozen=True)
class NlbListener:
    name: str
    """Listener role, e.g. ``https`` or ``grpcs`` (names the target group and listener)."""
    port: int
    """Port clients connect to (TLS)."""
    target_port: int
    """Container port the pods serve on (plain TCP inside the VPC)."""
    health_check_path: str | None = None
    """HTTP health check on the target port; None = TCP connect check (e.g. gRPC)."""
    alpn_policy: str | None = None
    """``HTTP2Only`` for gRPC, so clients negotiate HTTP/2 with the listener."""


@dataclass(frozen=True)
class InternalNlbArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets, one per zone."""
    certificate_arn: str
    listeners: Sequence[NlbListener]
    client_cidrs: Sequence[str]
    """Who may connect to the listeners (the VPC, the tenant networks)."""
    target_cidrs: Sequence[str]
    """Where the targets live (the node subnets): the only egress of the NLB's security group."""
    tags: Mapping[str, str]
    ssl_policy: str = FIPS_TLS_SSL_POLICY
    listener_tags: Mapping[str, str] = field(default_factory=dict)
    """Extra tags on each listener, e.g. how clients authenticate (``inference.auth/mode``)."""
    deletion_protection: bool = True
    """On unless the caller opts out (stacks that are not prod-like)."""
    private_link: bool = False
    """Published as a PrivateLink endpoint service: its consumers arrive through PrivateLink, which the
    endpoint service gates (allowed principals, acceptance), not the security group's CIDR rules."""

    def __post_init__(self) -> None:
        if not self.listeners:
            raise ValueError("InternalNlbArgs.listeners must define at least one listener")
        if not self.client_cidrs:
            raise ValueError("InternalNlbArgs.client_cidrs must list who may connect (never empty)")
        if "0.0.0.0/0" in self.client_cidrs:
            raise ValueError("InternalNlbArgs.client_cidrs must not contain 0.0.0.0/0 (an internal load balancer)")
        if not self.subnet_ids:
            raise ValueError("InternalNlbArgs.subnet_ids must list at least one subnet")


class InternalNlb(pulumi.ComponentResource):
    """Internal NLB: a security group, TLS listeners and one IP target group per listener."""

    arn: pulumi.Output[str]
    """ARN of the load balancer (what an endpoint service fronts)."""
    dns_name: pulumi.Output[str]
    """Private DNS name of the load balancer."""
    security_group_id: pulumi.Output[str]
    """The load balancer's security group (targets admit traffic from it)."""
    target_group_arns: dict[str, pulumi.Output[str]]
    """Listener name -> ARN of its target group."""

    def __init__(self, name: str, args: InternalNlbArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        child = child_options(self, opts)
        tags = dict(args.tags)

        group = tcp_security_group(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Internal NLB: TLS from the allowed client networks, to the targets only",
            ingress=[
                TcpRule(f"{listener.name} from the client networks", listener.port, args.client_cidrs)
                for listener in args.listeners
            ],
            # Forwarded connections and health checks go to the serving ports in the node subnets, nowhere else.
            egress=[
                TcpRule(f"{listener.name} targets and health checks", listener.target_port, args.target_cidrs)
                for listener in args.listeners
            ],
            tags=tags,
            opts=child,
        )
        balancer = aws.lb.LoadBalancer(
            f"{name}-nlb",
            internal=True,
            load_balancer_type="network",
            ip_address_type="ipv4",
            subnets=list(args.subnet_ids),
            security_groups=[group.id],
            enable_cross_zone_load_balancing=True,
            enable_deletion_protection=args.deletion_protection,
            enforce_security_group_inbound_rules_on_private_link_traffic="off" if args.private_link else "on",
            tags={**tags, "Name": f"{name}-nlb"},
            opts=child,
        )
        self.target_group_arns = {}
        for listener in args.listeners:
            target_group = aws.lb.TargetGroup(
                f"{name}-{listener.name}-tg",
                vpc_id=args.vpc_id,
                port=listener.target_port,
                protocol="TCP",
                # Pod IPs (the VPC CNI gives pods VPC addresses): no NodePort, no extra hop.
                target_type="ip",
                deregistration_delay=30,
                health_check=aws.lb.TargetGroupHealthCheckArgs(
                    enabled=True,
                    protocol="HTTP" if listener.health_check_path else "TCP",
                    path=listener.health_check_path,
                    port="traffic-port",
                ),
                tags={**tags, "Name": f"{name}-{listener.name}"},
                opts=child,
            )
            aws.lb.Listener(
                f"{name}-{listener.name}",
                load_balancer_arn=balancer.arn,
                port=listener.port,
                protocol="TLS",
                certificate_arn=args.certificate_arn,
                ssl_policy=args.ssl_policy,
                alpn_policy=listener.alpn_policy,
                default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)],
                tags={**tags, **args.listener_tags},
                opts=child,
            )
            self.target_group_arns[listener.name] = target_group.arn

        self.arn = balancer.arn
        self.dns_name = balancer.dns_name
        self.security_group_id = group.id
        self.register_outputs(
            {
                "arn": self.arn,
                "dnsName": self.dns_name,
                "securityGroupId": self.security_group_id,
                "targetGroupArns": self.target_group_arns,
            }
        )
