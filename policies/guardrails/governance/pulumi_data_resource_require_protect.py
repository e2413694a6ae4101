"""pulumi-data-resource-require-protect: in prod-like stacks, data-holding resources are protected."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._aws import effective_tags
from .._base import Config, Report, Spec, resource_policy
from .._env import is_prod_like

DATA_TYPES = [
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:ecr/repository:Repository",
    "aws:ebs/volume:Volume",
    "aws:efs/fileSystem:FileSystem",
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "aws:cloudwatch/logGroup:LogGroup",
    "kubernetes:core/v1:PersistentVolumeClaim",
]

SPEC = Spec(
    name="pulumi-data-resource-require-protect",
    area="governance",
    description=(
        "In prod-like stacks (profile prodLike, or the stack config, stack tag or resource tag `environment` in "
        "prodEnvironments) every "
        "data-holding resource (KMS keys, buckets, ECR repositories, volumes, audit-log stores) has the Pulumi "
        "`protect` option set."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Create the resource with opts=ResourceOptions(protect=True, retain_on_delete=True) when the stack is "
        "prod-like (components do this from config.prod_like)."
    ),
    hipaa=("164.308(a)(7)(ii)(A)", "164.312(c)(1)"),
    nist=("CP-9", "CP-10", "CM-3"),
    config={
        "prodLike": _params.PROD_LIKE,
        "prodEnvironments": _params.PROD_ENVIRONMENTS,
        "dataResourceTypes": {
            **_params.STRING_LIST,
            "description": "Resource types that hold data and must be protected in prod-like stacks.",
            "default": DATA_TYPES,
        },
    },
    resource_types=("aws:*", "kubernetes:*"),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if args.resource_type not in list(config["dataResourceTypes"]):
        return
    tags = effective_tags(args.props, args.provider) if args.resource_type.startswith("aws:") else {}
    if not is_prod_like(config, args.stack_tags, tags):
        args.not_applicable("the stack is not prod-like")
    if not args.opts.protect:
        report(
            f"{args.resource_type} '{args.name}' holds data in a prod-like stack but is not protected (protect=True)."
        )


POLICY = resource_policy(SPEC, _check)
