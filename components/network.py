"""VPC across N availability zones: private node subnets, optional egress, flow logs."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from .common import AwsAccount, child_options, policy_json, retained, service_trust_policy

RESOURCE_TYPE = "inference:network:Network"

# A /16 to /20 VPC leaves room for 8 equal private blocks, the last split again for public subnets.
MIN_PREFIX, MAX_PREFIX = 16, 20
_SPLIT = 3  # 2**3 = 8 blocks; az_count is at most 6

# Subnet tags the AWS Load Balancer Controller uses to discover where to place load balancers.
INTERNAL_ELB_TAG = {"kubernetes.io/role/internal-elb": "1"}
PUBLIC_ELB_TAG = {"kubernetes.io/role/elb": "1"}


def subnet_layout(cidr: str, az_count: int) -> tuple[list[str], list[str]]:
    """Private and public subnet CIDRs for ``az_count`` zones.

    Private (node) subnets get the large blocks because the VPC CNI gives every pod a VPC address.
    """
    net = ipaddress.IPv4Network(cidr)
    if not MIN_PREFIX <= net.prefixlen <= MAX_PREFIX:
        raise ValueError(f"network cidr must be a /{MIN_PREFIX} to /{MAX_PREFIX} block, got {cidr!r}")
    if not 1 <= az_count <= 2**_SPLIT - 2:
        raise ValueError(f"network azCount must be between 1 and {2**_SPLIT - 2}, got {az_count}")
    blocks = list(net.subnets(prefixlen_diff=_SPLIT))
    private = [str(block) for block in blocks[:az_count]]
    public = [str(block) for block in list(blocks[-1].subnets(prefixlen_diff=_SPLIT))[:az_count]]
    return private, public


@dataclass(frozen=True)
class NetworkArgs:
    cidr: str
    az_count: int
    flow_log_key_arn: pulumi.Input[str]
    """KMS key for the flow-log group."""
    tags: Mapping[str, str]
    flow_log_retention_days: int = 365
    egress: bool = False
    """Public subnets, an internet gateway and NAT; off unless the model needs an internet path (public-cloud)."""
    nat_per_az: bool = False
    """One NAT gateway per zone (survives a zone outage) instead of one for the VPC."""
    instance_tenancy: Literal["default", "dedicated"] = "default"
    protect: bool = True
    """Protect and retain the flow-log group (audit data); on unless the caller opts out."""
    private_subnet_tags: Mapping[str, str] = field(default_factory=lambda: dict(INTERNAL_ELB_TAG))
    public_subnet_tags: Mapping[str, str] = field(default_factory=lambda: dict(PUBLIC_ELB_TAG))


class Network(pulumi.ComponentResource):
    """VPC, subnets, routes and flow logs. VPC endpoints are a separate block (private cloud)."""

    vpc_id: pulumi.Output[str]
    """ID of the VPC."""
    vpc_cidr: str
    """CIDR block of the VPC."""
    availability_zones: list[str]
    """Zones the subnets are spread over, in subnet order."""
    private_subnet_ids: list[pulumi.Output[str]]
    """Node subnets, one per zone."""
    private_subnet_cidrs: list[str]
    """CIDR blocks of the private subnets, in zone order."""
    public_subnet_cidrs: list[str]
    """CIDR blocks of the public subnets; empty without egress."""
    public_subnet_ids: list[pulumi.Output[str]]
    """Public subnets (NAT, internet-facing load balancers); empty without egress."""
    private_route_table_ids: list[pulumi.Output[str]]
    """Route tables of the private subnets (for gateway endpoints)."""
    flow_log_group_name: pulumi.Output[str]
    """CloudWatch log group receiving VPC flow logs."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        private_cidrs, public_cidrs = subnet_layout(args.cidr, args.az_count)
        self.availability_zones = self._zones(args.az_count)
        self.vpc_cidr = args.cidr
        self.private_subnet_cidrs = private_cidrs
        self.public_subnet_cidrs = public_cidrs if args.egress else []
        self._tags = dict(args.tags)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,  # needed for private EKS endpoint and interface endpoints
            enable_dns_hostnames=True,
            instance_tenancy=args.instance_tenancy,
            tags=self._tags,
            opts=child_options(self, opts),
        )
        self.vpc_id = vpc.id
        # Adopt the default security group with no rules, so nothing can use it by accident.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=vpc.id, tags=self._tags, opts=child_options(self, opts)
        )

        self.private_subnet_ids, private_tables = self._private_subnets(name, vpc, private_cidrs, args, opts)
        self.private_route_table_ids = [table.id for table in private_tables]
        self.public_subnet_ids = []
        if args.egress:
            self.public_subnet_ids = self._egress(
                name, vpc=vpc, cidrs=public_cidrs, private_tables=private_tables, args=args, opts=opts
            )
        self.flow_log_group_name = self._flow_logs(name, vpc, args, opts)

        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "privateSubnetIds": self.private_subnet_ids,
                "publicSubnetIds": self.public_subnet_ids,
                "flowLogGroupName": self.flow_log_group_name,
            }
        )

    def _zones(self, count: int) -> list[str]:
        # A plain (not Output) lookup: the zone count is checked before anything is created,
        # and the plan shows the zone of every subnet.
        zones = aws.get_availability_zones(
            state="available",
            filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
            opts=pulumi.InvokeOptions(parent=self),
        )
        if len(zones.names) < count:
            raise ValueError(
                f"network azCount is {count} but the region has only {len(zones.names)} available zones: {zones.names}"
            )
        return list(zones.names[:count])

    def _private_subnets(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        cidrs: list[str],
        args: NetworkArgs,
        opts: pulumi.ResourceOptions | None,
    ) -> tuple[list[pulumi.Output[str]], list[aws.ec2.RouteTable]]:
        # One table per zone so each zone can route to its own NAT gateway.
        tables = [
            aws.ec2.RouteTable(
                f"{name}-private-rt-{index}", vpc_id=vpc.id, tags=self._tags, opts=child_options(self, opts)
            )
            for index in range(len(cidrs))
        ]
        subnets = self._subnets(f"{name}-private", vpc, cidrs, tags=args.private_subnet_tags, tables=tables, opts=opts)
        return [subnet.id for subnet in subnets], tables

    def _subnets(
        self,
        prefix: str,
        vpc: aws.ec2.Vpc,
        cidrs: list[str],
        *,
        tags: Mapping[str, str],
        tables: list[aws.ec2.RouteTable],
        opts: pulumi.ResourceOptions | None,
    ) -> list[aws.ec2.Subnet]:
        """Subnets ``<prefix>-<index>``, one per zone, with the stack's tags plus ``tags``, each routed by its table."""
        subnets = []
        for index, (zone, cidr, table) in enumerate(zip(self.availability_zones, cidrs, tables, strict=True)):
            subnet = aws.ec2.Subnet(
                f"{prefix}-{index}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                # Nodes, NAT gateways and load balancers: none needs an auto-assigned public IP.
                map_public_ip_on_launch=False,
                tags={**self._tags, **tags},
                opts=child_options(self, opts),
            )
            aws.ec2.RouteTableAssociation(
                f"{prefix}-rta-{index}", subnet_id=subnet.id, route_table_id=table.id, opts=child_options(self, opts)
            )
            subnets.append(subnet)
        return subnets

    def _egress(
        self,
        name: str,
        *,
        vpc: aws.ec2.Vpc,
        cidrs: list[str],
        private_tables: list[aws.ec2.RouteTable],
        args: NetworkArgs,
        opts: pulumi.ResourceOptions | None,
    ) -> list[pulumi.Output[str]]:
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=self._tags, opts=child_options(self, opts))
        public_table = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags=self._tags, opts=child_options(self, opts)
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id,
            opts=child_options(self, opts),
        )
        subnets = self._subnets(
            f"{name}-public", vpc, cidrs, tags=args.public_subnet_tags, tables=[public_table] * len(cidrs), opts=opts
        )

        nat_count = len(subnets) if args.nat_per_az else 1
        nats: list[aws.ec2.NatGateway] = []
        for index in range(nat_count):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{index}", domain="vpc", tags=self._tags, opts=child_options(self, opts))
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.id,
                    subnet_id=subnets[index].id,
                    tags=self._tags,
                    opts=child_options(self, opts, pulumi.ResourceOptions(depends_on=[gateway])),
                )
            )
        for index, table in enumerate(private_tables):
            aws.ec2.Route(
                f"{name}-private-default-{index}",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nats[index % nat_count].id,
                opts=child_options(self, opts),
            )
        return [subnet.id for subnet in subnets]

    def _flow_logs(
        self, name: str, vpc: aws.ec2.Vpc, args: NetworkArgs, opts: pulumi.ResourceOptions | None
    ) -> pulumi.Output[str]:
        account = AwsAccount.lookup(self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=args.flow_log_key_arn,
            tags=self._tags,
            opts=child_options(self, opts, retained(args.protect)),
        )
        # Only flow logs of this account may assume the role.
        trust = account.account_id.apply(
            lambda account_id: service_trust_policy(
                "vpc-flow-logs.amazonaws.com", {"StringEquals": {"aws:SourceAccount": account_id}}
            )
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role", assume_role_policy=trust, tags=self._tags, opts=child_options(self, opts)
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=group.arn.apply(
                lambda arn: policy_json(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogGroups",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": [arn, f"{arn}:*"],
                            }
                        ],
                    }
                )
            ),
            opts=child_options(self, opts),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=self._tags,
            opts=child_options(self, opts),
        )
        return group.name
