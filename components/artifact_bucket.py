"""S3 bucket for model artifacts: SSE-KMS, versioning, no public access, TLS only, read by one role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .common import AwsAccount, child_options, harden_bucket, policy_json, retained, tls_only_bucket_policy

RESOURCE_TYPE = "inference:artifact_bucket:ArtifactBucket"

READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket")


def bucket_policy(bucket_arn: str, reader_role_arns: Sequence[str]) -> str:
    """Deny any request without TLS; allow the readers to list and get objects, nothing else."""
    statements: list[dict[str, Any]] = []
    if reader_role_arns:
        statements.append(
            {
                "Sid": "AllowModelReaders",
                "Effect": "Allow",
                "Principal": {"AWS": list(reader_role_arns)},
                "Action": list(READ_ACTIONS),
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
            }
        )
    return tls_only_bucket_policy(bucket_arn, statements)


@dataclass(frozen=True)
class ArtifactBucketArgs:
    kms_key_arn: pulumi.Input[str]
    """The S3 purpose key."""
    tags: Mapping[str, str]
    bucket_name: pulumi.Input[str] | None = None
    """A fixed, globally unique name (else auto-named). With it the bucket policy is known at preview."""
    reader_role_arns: Sequence[pulumi.Input[str]] = ()
    """Roles (e.g. the inference service's IRSA role) granted read access."""
    reader_role_names: Sequence[pulumi.Input[str]] = ()
    """The same roles by name: each gets an IAM policy to decrypt with the key through S3."""
    protect: bool = True
    """Protect and retain the bucket; on unless the caller opts out (stacks that are not prod-like)."""


class ArtifactBucket(pulumi.ComponentResource):
    """Model-artifact bucket with every S3 guard on."""

    bucket: aws.s3.Bucket
    """The bucket."""
    bucket_name: pulumi.Output[str]
    """Bucket name."""
    bucket_arn: pulumi.Output[str]
    """Bucket ARN."""

    def __init__(self, name: str, args: ArtifactBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        tags = dict(args.tags)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            force_destroy=False,
            tags=tags,
            opts=child_options(self, opts, retained(args.protect)),
        )
        self.bucket_name = self.bucket.bucket
        self.bucket_arn = self.bucket.arn
        policy_arn = self._arn(args)

        harden_bucket(
            name,
            self.bucket,
            kms_key_arn=args.kms_key_arn,
            policy=pulumi.Output.all(policy_arn, *args.reader_role_arns).apply(
                lambda values: bucket_policy(values[0], values[1:])
            ),
            opts=child_options(self, opts),
        )
        for index, role_name in enumerate(args.reader_role_names):
            self._reader_policy(
                f"{name}-reader-{index}", role_name, bucket_arn=policy_arn, key_arn=args.kms_key_arn, opts=opts
            )

        self.register_outputs({"bucketName": self.bucket_name, "bucketArn": self.bucket_arn})

    def _arn(self, args: ArtifactBucketArgs) -> pulumi.Output[str]:
        if args.bucket_name is None:
            return self.bucket.arn
        # Known at preview, so policy checks can read the bucket policy before the bucket exists.
        return AwsAccount.lookup(self).bucket_arn(args.bucket_name)

    def _reader_policy(
        self,
        name: str,
        role_name: pulumi.Input[str],
        *,
        bucket_arn: pulumi.Input[str],
        key_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        # The key policy delegates to IAM: readers may decrypt, and only through S3.
        document = pulumi.Output.all(bucket_arn, key_arn).apply(
            lambda values: policy_json(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": list(READ_ACTIONS),
                            "Resource": [values[0], f"{values[0]}/*"],
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt", "kms:DescribeKey"],
                            "Resource": values[1],
                            "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
                        },
                    ],
                }
            )
        )
        aws.iam.RolePolicy(name, role=role_name, policy=document, opts=child_options(self, opts))
