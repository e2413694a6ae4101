"""The audit-log archive: the cloud models' audit log groups copied into a WORM (Object Lock) S3 bucket.

Two tiers, on purpose:

* **hot** - the EKS control-plane log group (``audit``, ``authenticator``, ...) and the VPC flow-log
  group, created by :mod:`components.eks_cluster` and :mod:`components.network`: KMS-encrypted,
  searchable with CloudWatch Logs Insights, kept ``cluster.logRetentionDays`` /
  ``network.flowLogRetentionDays`` days (at least the profile's minimum, checked in config);
* **archive** - this block: a CloudWatch Logs subscription filter on each of those groups feeds an
  Amazon Data Firehose stream (encrypted with a customer-managed key), which writes to an S3 bucket
  with Object Lock in ``COMPLIANCE`` mode (nobody, not even the account root, can delete or
  shorten a locked object version), versioning, SSE-KMS, a public-access block and a TLS-only policy.

Why Firehose and not scheduled ``CreateExportTask`` runs: a subscription streams every event within
minutes of ingestion (an export task is a batch someone has to schedule, and it cannot write to a
bucket encrypted with SSE-KMS); Firehose retries failed deliveries for 24 hours and its
``DeliveryToS3.DataFreshness`` metric is alarmed in :mod:`components.cloud_alarms`. The archive keeps
the records exactly as CloudWatch Logs sends them (gzip-compressed JSON batches, one prefix per
source), so nothing is transformed on the way.

Why the archive retention is longer than the log groups': HIPAA keeps documentation of activities
six years (45 CFR 164.316(b)(2)(i)); a six-year CloudWatch retention would keep the logs hot (and
expensive) for no operational gain, so the hipaa profile keeps 365 days hot and 2192 days in the
locked archive (see ``components.config.models.RETENTION_MINIMUMS``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from .common import (
    AwsAccount,
    child_options,
    harden_bucket,
    policy_json,
    retained,
    service_trust_policy,
    tls_only_bucket_policy,
)
from .keys import customer_managed_key, root_administration

RESOURCE_TYPE = "inference:audit_archive:AuditArchive"

LockMode = Literal["COMPLIANCE", "GOVERNANCE"]
# S3 Object Lock accepts a default retention of at most 100 years.
MAX_RETENTION_DAYS = 36500


def audit_bucket_name(stack_name: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """``<stack>-audit-<account>``: S3 names are global, the account id keeps them unique."""
    prefix = re.sub(r"[^a-z0-9-]", "-", stack_name.lower())[:43].strip("-")
    return pulumi.Output.concat(prefix, "-audit-", account_id)


def _key_policy(partition: str, account_id: str) -> str:
    # The account administers the key and delegates use to IAM: the Firehose role (through S3, see
    # _writer_policy) and the principal creating the stream (Firehose's grant for stream encryption).
    return policy_json({"Version": "2012-10-17", "Statement": [root_administration(partition, account_id)]})


def _writer_policy(bucket_arn: str, key_arn: str, region: str) -> str:
    """What the Firehose role may do: write objects into the archive, encrypting through S3 only."""
    return policy_json(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "s3:AbortMultipartUpload",
                        "s3:GetBucketLocation",
                        "s3:GetObject",
                        "s3:ListBucket",
                        "s3:ListBucketMultipartUploads",
                        "s3:PutObject",
                    ],
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                },
                {
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": key_arn,
                    "Condition": {
                        "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                        "StringLike": {"kms:EncryptionContext:aws:s3:arn": f"{bucket_arn}*"},
                    },
                },
            ],
        }
    )


@dataclass(frozen=True)
class AuditLogSource:
    """A log group the archive receives: ``name`` becomes its S3 prefix."""

    name: str
    log_group_name: pulumi.Input[str]

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,30}", self.name):
            raise ValueError(f"AuditLogSource.name must be a short lower-case slug (S3 prefix), got {self.name!r}")


@dataclass(frozen=True)
class AuditArchiveArgs:
    region: str
    sources: Sequence[AuditLogSource]
    retention_days: int
    """Object Lock default retention of every archived object."""
    tags: Mapping[str, str]
    bucket_name: pulumi.Input[str] | None = None
    """A fixed, globally unique name (else auto-named). With it the bucket policy is known at preview."""
    lock_mode: LockMode = "COMPLIANCE"
    protect: bool = True
    """Protect and retain the key, the bucket and its lock configuration; on unless the caller opts out."""
    buffer_seconds: int = 300
    log_groups_created_by: Sequence[pulumi.Resource] = ()
    """What creates the source log groups (when their names are plain strings): subscribed only after."""

    def __post_init__(self) -> None:
        if not self.sources:
            raise ValueError("AuditArchiveArgs.sources must list at least one log group")
        names = [source.name for source in self.sources]
        if len(set(names)) != len(names):
            raise ValueError(f"AuditArchiveArgs.sources names must be unique, got {names}")
        if not 1 <= self.retention_days <= MAX_RETENTION_DAYS:
            raise ValueError(
                f"AuditArchiveArgs.retention_days must be within 1..{MAX_RETENTION_DAYS}, got {self.retention_days}"
            )
        if self.lock_mode not in ("COMPLIANCE", "GOVERNANCE"):
            raise ValueError(f"AuditArchiveArgs.lock_mode must be COMPLIANCE or GOVERNANCE, got {self.lock_mode!r}")
        if not 60 <= self.buffer_seconds <= 900:
            raise ValueError(f"AuditArchiveArgs.buffer_seconds must be within 60..900, got {self.buffer_seconds}")


class AuditArchive(pulumi.ComponentResource):
    """KMS key, Object Lock bucket, and one Firehose stream + subscription filter per audit log group."""

    key_arn: pulumi.Output[str]
    """The archive's KMS key (bucket objects and Firehose stream)."""
    bucket_name: pulumi.Output[str]
    """The archive bucket."""
    bucket_arn: pulumi.Output[str]
    """ARN of the archive bucket."""
    delivery_stream_names: dict[str, pulumi.Output[str]]
    """Source name -> the Firehose stream that archives it (alarmed on freshness)."""
    retention_days: int
    """Object Lock retention of archived objects."""

    def __init__(self, name: str, args: AuditArchiveArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        self._opts = opts
        tags = dict(args.tags)
        account = AwsAccount.lookup(self)
        key = customer_managed_key(
            f"{name}-key",
            description=f"Audit-log archive: S3 objects and Firehose streams ({name})",
            policy=account.render(lambda facts: _key_policy(facts.partition, facts.account_id)),
            alias_prefix=f"{name}-audit",
            tags=tags,
            protect=args.protect,
            opts=child_options(self, opts),
        )
        bucket = self._bucket(name, args, key, tags, account)
        writer, writer_policy = self._writer_role(name, args=args, key=key, bucket=bucket, tags=tags, account=account)
        self.delivery_stream_names = {}
        streams: list[aws.kinesis.FirehoseDeliveryStream] = []
        for source in args.sources:
            stream = aws.kinesis.FirehoseDeliveryStream(
                f"{name}-{source.name}",
                destination="extended_s3",
                server_side_encryption=aws.kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs(
                    enabled=True, key_type="CUSTOMER_MANAGED_CMK", key_arn=key.arn
                ),
                extended_s3_configuration=aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs(
                    role_arn=writer.arn,
                    bucket_arn=self.bucket_arn,
                    prefix=f"{source.name}/!{{timestamp:yyyy/MM/dd}}/",
                    error_output_prefix=f"errors/{source.name}/!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/",
                    buffering_interval=args.buffer_seconds,
                    buffering_size=5,
                    # CloudWatch Logs already gzips every batch it sends.
                    compression_format="UNCOMPRESSED",
                    kms_key_arn=key.arn,
                ),
                tags=tags,
                # Firehose checks its access to the bucket when the stream is created.
                opts=child_options(self, opts, pulumi.ResourceOptions(depends_on=[writer_policy])),
            )
            self.delivery_stream_names[source.name] = stream.name
            streams.append(stream)
        self._subscriptions(name, args, streams, tags, account)
        self.key_arn = key.arn
        self.retention_days = args.retention_days
        self.register_outputs(
            {
                "bucketName": self.bucket_name,
                "keyArn": self.key_arn,
                "retentionDays": self.retention_days,
                "deliveryStreams": self.delivery_stream_names,
            }
        )

    def _bucket(
        self,
        name: str,
        args: AuditArchiveArgs,
        key: aws.kms.Key,
        tags: dict[str, str],
        account: AwsAccount,
    ) -> aws.s3.Bucket:
        opts = self._opts
        keep = retained(args.protect)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            # Object Lock can only be turned on when the bucket is created.
            object_lock_enabled=True,
            force_destroy=False,
            tags=tags,
            opts=child_options(self, opts, keep),
        )
        self.bucket_name = bucket.bucket
        # Known at preview with a fixed name, so policy checks can read the bucket policy before it exists.
        self.bucket_arn = account.bucket_arn(args.bucket_name) if args.bucket_name is not None else bucket.arn
        # TLS only; the only principals are this account's, through IAM.
        versioning = harden_bucket(
            name,
            bucket,
            kms_key_arn=key.arn,
            policy=self.bucket_arn.apply(tls_only_bucket_policy),
            opts=child_options(self, opts),
        )
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-object-lock",
            bucket=bucket.id,
            object_lock_enabled="Enabled",
            rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                    mode=args.lock_mode, days=args.retention_days
                )
            ),
            # Removing the default retention would leave new objects unlocked: kept like the bucket.
            opts=child_options(self, opts, keep, pulumi.ResourceOptions(depends_on=[versioning])),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                # After the lock runs out the record has been kept as long as required: expire it, then
                # remove the expired version a day later (a locked version cannot be removed before).
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-after-retention",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.retention_days + 1),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=1
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    ),
                )
            ],
            opts=child_options(self, opts, pulumi.ResourceOptions(depends_on=[versioning])),
        )
        return bucket

    def _writer_role(
        self,
        name: str,
        *,
        args: AuditArchiveArgs,
        key: aws.kms.Key,
        bucket: aws.s3.Bucket,
        tags: dict[str, str],
        account: AwsAccount,
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        opts = self._opts
        role = aws.iam.Role(
            f"{name}-firehose-role",
            # Firehose passes the account id as the external id.
            assume_role_policy=account.account_id.apply(
                lambda account_id: service_trust_policy(
                    "firehose.amazonaws.com", {"StringEquals": {"sts:ExternalId": account_id}}
                )
            ),
            tags=tags,
            opts=child_options(self, opts),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-firehose-policy",
            role=role.id,
            policy=pulumi.Output.all(self.bucket_arn, key.arn).apply(
                lambda values: _writer_policy(values[0], values[1], args.region)
            ),
            opts=child_options(self, opts, pulumi.ResourceOptions(depends_on=[bucket])),
        )
        return role, policy

    def _subscriptions(
        self,
        name: str,
        args: AuditArchiveArgs,
        streams: Sequence[aws.kinesis.FirehoseDeliveryStream],
        tags: dict[str, str],
        account: AwsAccount,
    ) -> None:
        opts = self._opts
        source_arn = pulumi.Output.concat(
            "arn:", account.partition, ":logs:", args.region, ":", account.account_id, ":*"
        )
        role = aws.iam.Role(
            f"{name}-logs-role",
            assume_role_policy=source_arn.apply(
                lambda arn: service_trust_policy("logs.amazonaws.com", {"ArnLike": {"aws:SourceArn": arn}})
            ),
            tags=tags,
            opts=child_options(self, opts),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-logs-policy",
            role=role.id,
            policy=pulumi.Output.all(*[stream.arn for stream in streams]).apply(
                lambda arns: policy_json(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
                                "Resource": list(arns),
                            }
                        ],
                    }
                )
            ),
            opts=child_options(self, opts),
        )
        for source, stream in zip(args.sources, streams, strict=True):
            aws.cloudwatch.LogSubscriptionFilter(
                f"{name}-{source.name}-subscription",
                log_group=source.log_group_name,
                # Every event: an audit trail has no uninteresting lines.
                filter_pattern="",
                destination_arn=stream.arn,
                role_arn=role.arn,
                # CloudWatch Logs checks it may put records when the filter is created.
                opts=child_options(
                    self, opts, pulumi.ResourceOptions(depends_on=[policy, *args.log_groups_created_by])
                ),
            )
