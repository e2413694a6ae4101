"""PrivateLink interface endpoints and an S3 gateway endpoint: AWS APIs for a VPC with no internet path.

Why these services: with no NAT or internet gateway, every AWS API the nodes
and the cluster's agents call must be reachable inside the VPC. Nodes join the
cluster through ``eks`` / ``eks-auth`` / ``sts`` and ``ec2`` (the VPC CNI and
kubelet), pull images from ECR (``ecr.api`` for the token, ``ecr.dkr`` for the
manifests, the S3 gateway for the layers), ship logs to ``logs``, decrypt with
``kms``, are managed through SSM (``ssm``, ``ssmmessages``, ``ec2messages``), and
the load-balancer controller and cluster autoscaler call
``elasticloadbalancing`` and ``autoscaling``.

Why service names are built from the configured region and not looked up:
which endpoints exist decides which resources are created, and a lookup's
result is only known inside ``apply()``, where no resource may be created. The
name is ``com.amazonaws.<region>.<service>`` in the commercial and GovCloud
partitions alike (config only accepts regions of those two partitions; China
would need ``cn.com.amazonaws`` for some services).

FIPS: the interface endpoints above carry the standard hostnames, which the
node agents use. Clients configured for FIPS (the Pulumi provider with
``useFipsEndpoint``, ``AWS_USE_FIPS_ENDPOINT=true``) resolve the SDK's FIPS
hostname instead. In GovCloud that is the standard hostname for EC2, STS, Logs,
SSM, ELB, Auto Scaling and EKS (their standard endpoints are FIPS 140
validated), so the same endpoint serves both; KMS has a separate ``kms-fips``
endpoint service. In the commercial partition KMS, EC2 and STS publish
``-fips`` PrivateLink services. :data:`FIPS_ENDPOINT_SERVICES` lists only those;
ECR's FIPS API hostname (``ecr-fips.<region>``) has no PrivateLink service in
the table, so a FIPS-configured ECR API client inside the VPC is not served.
Which ``-fips`` services a region offers changes over time: check with
``aws ec2 describe-vpc-endpoint-services --filters Name=service-name,Values='*fips*'``
and pass ``fips_services`` to extend the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import pulumi
import pulumi_aws as aws

from .common import TcpRule, child_options, tcp_security_group

HTTPS_PORT = 443

# Interface endpoints every node and cluster agent needs without an internet path (see the module docstring).
REQUIRED_INTERFACE_SERVICES: tuple[str, ...] = (
    "ecr.api",
    "ecr.dkr",
    "sts",
    "ec2",
    "logs",
    "kms",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "elasticloadbalancing",
    "autoscaling",
    "eks",
    "eks-auth",
)

# Standard service -> its separate FIPS PrivateLink service, per partition (only where one exists).
FIPS_ENDPOINT_SERVICES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "aws": MappingProxyType({"kms": "kms-fips", "ec2": "ec2-fips", "sts": "sts-fips"}),
        "aws-us-gov": MappingProxyType({"kms": "kms-fips"}),
    }
)


# Services whose FIPS hostname is their standard one (the SDKs' endpoint data): GovCloud's standard
# endpoints are FIPS 140 validated, so the standard interface endpoint also serves FIPS clients.
FIPS_IS_STANDARD: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "aws": frozenset(),
        "aws-us-gov": frozenset({"ec2", "sts", "logs", "ssm", "elasticloadbalancing", "autoscaling", "eks"}),
    }
)


def fips_served(region: str, services: Sequence[str]) -> bool:
    """Whether FIPS-configured clients of ``services`` reach them through this block's endpoints in ``region``.

    S3 counts as served: the gateway endpoint routes every S3 address of the region, FIPS hostnames included.
    """
    partition = partition_of(region)
    served = FIPS_IS_STANDARD[partition] | set(FIPS_ENDPOINT_SERVICES[partition]) | {"s3"}
    return all(service in served for service in services)


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to (config only admits commercial and GovCloud regions)."""
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def endpoint_service_name(region: str, service: str) -> str:
    """``com.amazonaws.<region>.<service>``: the AWS-managed endpoint service name in both partitions."""
    return f"com.amazonaws.{region}.{service}"


@dataclass(frozen=True)
class VpcEndpointsArgs:
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    region: str
    # One private subnet per AZ: each interface endpoint gets an ENI in each.
    subnet_ids: Sequence[pulumi.Input[str]]
    # The private route tables: the S3 gateway endpoint adds the S3 prefix-list route to each.
    route_table_ids: Sequence[pulumi.Input[str]]
    tags: Mapping[str, str]
    # Also create the separate FIPS endpoint services (FIPS_ENDPOINT_SERVICES) for FIPS-configured clients;
    # on unless the caller opts out, as privateCloud.useFipsEndpoints is (FedRAMP needs them).
    use_fips: bool = True
    services: Sequence[str] = field(default=REQUIRED_INTERFACE_SERVICES)
    # None: FIPS_ENDPOINT_SERVICES for the region's partition.
    fips_services: Mapping[str, str] | None = None


class VpcEndpoints(pulumi.ComponentResource):
    """Interface endpoints (private DNS on) for the AWS APIs a private cluster needs, plus an S3 gateway endpoint."""

    security_group_id: pulumi.Output[str]
    """Security group on every interface endpoint: HTTPS from the VPC CIDR only."""
    interface_endpoint_ids: dict[str, pulumi.Output[str]]
    """Endpoint service (``ecr.api``, ``kms-fips`` ...) -> interface endpoint id."""
    s3_endpoint_id: pulumi.Output[str]
    """Id of the S3 gateway endpoint."""

    def __init__(self, name: str, args: VpcEndpointsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if not args.subnet_ids:
            raise ValueError("VpcEndpointsArgs.subnet_ids must list at least one private subnet")
        super().__init__("inference:network:VpcEndpoints", name, None, opts)
        child = child_options(self, opts)
        tags = dict(args.tags)

        security_group = tcp_security_group(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="PrivateLink interface endpoints: HTTPS from inside the VPC only",
            ingress=[TcpRule("HTTPS from the VPC", HTTPS_PORT, [args.vpc_cidr])],
            # Endpoint ENIs only answer (security groups are stateful); an empty list removes AWS's allow-all rule.
            egress=[],
            tags=tags,
            opts=child,
        )
        services = self.interface_services(args)
        self.interface_endpoint_ids = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=args.vpc_id,
                service_name=endpoint_service_name(args.region, service),
                vpc_endpoint_type="Interface",
                # The standard (or FIPS) hostname resolves to the endpoint's private IPs inside the VPC.
                private_dns_enabled=True,
                subnet_ids=list(args.subnet_ids),
                security_group_ids=[security_group.id],
                tags={**tags, "Name": f"{name}-{service}"},
                opts=child,
            ).id
            for service in services
        }
        # A gateway endpoint, not an interface one: free, and ECR image layers are served from S3.
        s3 = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=args.vpc_id,
            service_name=endpoint_service_name(args.region, "s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=list(args.route_table_ids),
            tags={**tags, "Name": f"{name}-s3"},
            opts=child,
        )
        self.security_group_id = security_group.id
        self.s3_endpoint_id = s3.id
        self.register_outputs(
            {
                "security_group_id": self.security_group_id,
                "interface_endpoint_ids": self.interface_endpoint_ids,
                "s3_endpoint_id": self.s3_endpoint_id,
            }
        )

    @staticmethod
    def interface_services(args: VpcEndpointsArgs) -> list[str]:
        """Every interface endpoint service the args ask for: the standard ones, then their FIPS twins."""
        services = list(dict.fromkeys(args.services))
        if args.use_fips:
            table = args.fips_services
            if table is None:
                table = FIPS_ENDPOINT_SERVICES[partition_of(args.region)]
            services += [table[service] for service in services if service in table]
        return services
