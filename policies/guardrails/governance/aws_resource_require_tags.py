"""aws-resource-require-tags: taggable AWS resources carry the ownership and classification tags."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._aws import effective_tags
from .._base import Spec, resource_policy
from .._labels import labels_check
from .._props import has_key

# Resource types the platform creates that accept tags; any other AWS resource with a `tags` input is
# checked too.
TAGGABLE = frozenset(
    {
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ec2/vpcEndpointService:VpcEndpointService",
        "aws:ec2/flowLog:FlowLog",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/instance:Instance",
        "aws:ec2/vpnConnection:VpnConnection",
        "aws:ec2/vpnGateway:VpnGateway",
        "aws:ec2/customerGateway:CustomerGateway",
        "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
        "aws:ebs/volume:Volume",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:kms/key:Key",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:ecr/repository:Repository",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:sns/topic:Topic",
        "aws:iam/role:Role",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/listener:Listener",
        "aws:lb/targetGroup:TargetGroup",
        "aws:efs/fileSystem:FileSystem",
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
    }
)

SPEC = Spec(
    name="aws-resource-require-tags",
    area="governance",
    description=(
        "Taggable AWS resources carry the required tags (data-classification, owner, compliance-profile), directly "
        "or through the provider's default tags, with allowed values."
    ),
    severity=Severity.LOW,
    remediation=(
        "Tag the resource with the stack's labels (components/labels.py Labels.aws_tags()) or set them as "
        "default_tags on the AWS provider."
    ),
    hipaa=("164.308(a)(1)(ii)(A)", "164.310(d)(1)"),
    nist=("CM-8", "RA-2"),
    config={
        "requiredTags": _params.REQUIRED_LABELS,
        "allowedValues": _params.ALLOWED_LABEL_VALUES,
    },
    resource_types=("aws:*",),
)


def _tags(args: ResourceValidationArgs) -> tuple[str, Mapping[str, str]] | None:
    if args.resource_type not in TAGGABLE and not has_key(args.props, "tags"):
        return None
    return f"{args.resource_type} '{args.name}'", effective_tags(args.props, args.provider)


POLICY = resource_policy(SPEC, labels_check(_tags, required_param="requiredTags", noun="tag"))
