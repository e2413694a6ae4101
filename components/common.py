"""Small helpers the blocks share: child resource options, the AWS account context, bucket and pod hardening."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .config import ConfigError
from .labels import GPU_TAINT_EFFECT, GPU_TAINT_KEY, GPU_TAINT_VALUE

# The uid (and gid) of the serving pods and of the acceptance Job (which runs the serving image by default):
# the one Triton and most serving images ship for non-root use.
RUN_AS_USER = 1000


def config_error(key: str, message: str) -> ConfigError:
    """The error for one bad config ``key`` (without the project namespace): what is wrong and what is allowed."""
    return ConfigError(f"invalid stack config:\n  - {pulumi.get_project()}:{key}: {message}")


def child_options(
    parent: pulumi.Resource, opts: pulumi.ResourceOptions | None, *extra: pulumi.ResourceOptions
) -> pulumi.ResourceOptions:
    """Options for a block's child: the block's own options, parented to the block, plus ``extra``."""
    merged = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=parent))
    for more in extra:
        merged = pulumi.ResourceOptions.merge(merged, more)
    return merged


def retained(protect: bool) -> pulumi.ResourceOptions:
    """Options for a resource that holds data: in prod-like stacks a mistaken destroy must lose nothing."""
    return pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)


def cidr_slug(cidr: str) -> str:
    """``10.1.0.0/16`` -> ``10-1-0-0-16``: a resource name part that stays put when config lists are reordered."""
    return cidr.replace(".", "-").replace("/", "-")


def policy_json(document: Mapping[str, Any]) -> str:
    """An IAM/KMS/S3 policy document as the compact JSON AWS stores."""
    return json.dumps(document, separators=(",", ":"), sort_keys=False)


def service_trust_policy(service: str, condition: Mapping[str, Any]) -> str:
    """A role only ``service`` may assume, under ``condition`` (the confused-deputy guard AWS documents for it)."""
    return policy_json(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                    "Condition": dict(condition),
                }
            ],
        }
    )


def tls_only_bucket_policy(bucket_arn: str, statements: Sequence[Mapping[str, Any]] = ()) -> str:
    """A bucket policy that denies any request without TLS, then grants ``statements``."""
    deny_insecure_transport = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return policy_json({"Version": "2012-10-17", "Statement": [deny_insecure_transport, *statements]})


def harden_bucket(
    name: str,
    bucket: aws.s3.Bucket,
    *,
    kms_key_arn: pulumi.Input[str],
    policy: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.s3.BucketVersioning:
    """Every S3 guard on ``bucket``: no ACLs, SSE-KMS with ``kms_key_arn``, versioning, no public access, ``policy``.

    Children ``<name>-ownership``, ``-encryption``, ``-versioning``, ``-public-access`` and ``-policy``
    (``opts``: the block's child options). Returns the versioning, which Object Lock and lifecycle rules need first.
    """
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        # ACLs off: access is decided by policies alone.
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=opts,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms",
                    kms_master_key_id=kms_key_arn,
                ),
                # Bucket keys cut KMS requests (and cost) by orders of magnitude for large objects.
                bucket_key_enabled=True,
            )
        ],
        opts=opts,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=opts,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=policy,
        # S3 rejects a policy change while the public-access block is being applied.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[public_access])),
    )
    return versioning


_RuleArgs = TypeVar("_RuleArgs", aws.ec2.SecurityGroupIngressArgs, aws.ec2.SecurityGroupEgressArgs)


@dataclass(frozen=True)
class TcpRule:
    """One security-group rule: TCP ``port`` to or from ``cidrs``."""

    description: str
    port: int
    cidrs: Sequence[str]

    def args(self, kind: type[_RuleArgs]) -> _RuleArgs:
        return kind(
            description=self.description,
            protocol="tcp",
            from_port=self.port,
            to_port=self.port,
            cidr_blocks=list(self.cidrs),
        )


def tcp_security_group(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    description: str,
    ingress: Sequence[TcpRule],
    egress: Sequence[TcpRule],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.ec2.SecurityGroup:
    """A security group (named ``name``, also its ``Name`` tag) that allows exactly the given TCP rules.

    An empty ``egress`` removes the allow-all rule AWS would otherwise add.
    """
    return aws.ec2.SecurityGroup(
        name,
        vpc_id=vpc_id,
        description=description,
        ingress=[rule.args(aws.ec2.SecurityGroupIngressArgs) for rule in ingress],
        egress=[rule.args(aws.ec2.SecurityGroupEgressArgs) for rule in egress],
        tags={**tags, "Name": name},
        opts=opts,
    )


class AccountFacts(NamedTuple):
    """The resolved values of an :class:`AwsAccount`, for rendering policy documents."""

    partition: str
    account_id: str
    dns_suffix: str


@dataclass(frozen=True)
class AwsAccount:
    """Partition, account and DNS suffix of the provider a block runs under (GovCloud, China differ)."""

    partition: pulumi.Output[str]
    account_id: pulumi.Output[str]
    dns_suffix: pulumi.Output[str]

    @classmethod
    def lookup(cls, parent: pulumi.Resource) -> AwsAccount:
        # Invoked with parent=the block so an explicit provider (e.g. FIPS endpoints) is inherited.
        opts = pulumi.InvokeOutputOptions(parent=parent)
        partition = aws.get_partition_output(opts=opts)
        identity = aws.get_caller_identity_output(opts=opts)
        return cls(
            partition=partition.partition,
            account_id=identity.account_id,
            dns_suffix=partition.dns_suffix,
        )

    def render(self, document: Callable[[AccountFacts], str]) -> pulumi.Output[str]:
        """A document (e.g. a key policy) rendered once partition, account and DNS suffix are known."""
        return pulumi.Output.all(self.partition, self.account_id, self.dns_suffix).apply(
            lambda values: document(AccountFacts(*values))
        )

    def root_arn(self) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":iam::", self.account_id, ":root")

    def bucket_arn(self, name: pulumi.Input[str]) -> pulumi.Output[str]:
        """ARN of the S3 bucket ``name``, known before the bucket exists."""
        return pulumi.Output.concat("arn:", self.partition, ":s3:::", name)

    def role_arn(self, name: pulumi.Input[str]) -> pulumi.Output[str]:
        """ARN of the role ``name`` (path ``/``), known before the role exists."""
        return pulumi.Output.concat("arn:", self.partition, ":iam::", self.account_id, ":role/", name)

    def managed_policy_arn(self, name: str) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":iam::aws:policy/", name)


def pod_security_context(*, fs_group: bool = False) -> k8s.core.v1.PodSecurityContextArgs:
    """The ``restricted`` Pod Security Standard for a pod: non-root as RUN_AS_USER, RuntimeDefault seccomp.

    ``fs_group``: its volumes are group-owned by RUN_AS_USER (writable caches).
    """
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=RUN_AS_USER,
        run_as_group=RUN_AS_USER,
        fs_group=RUN_AS_USER if fs_group else None,
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def container_security_context() -> k8s.core.v1.SecurityContextArgs:
    """The ``restricted`` standard for a container: read-only root, no privilege (escalation), no capabilities."""
    return k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True,
        run_as_user=RUN_AS_USER,
        run_as_group=RUN_AS_USER,
        read_only_root_filesystem=True,
        allow_privilege_escalation=False,
        privileged=False,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def gpu_tolerations() -> list[k8s.core.v1.TolerationArgs]:
    """Tolerate the GPU node pools' taint (pods that run on GPU nodes)."""
    return [
        k8s.core.v1.TolerationArgs(key=GPU_TAINT_KEY, operator="Equal", value=GPU_TAINT_VALUE, effect=GPU_TAINT_EFFECT)
    ]


def dns_egress_rule() -> k8s.networking.v1.NetworkPolicyEgressRuleArgs:
    """Egress to the cluster DNS (kube-dns in kube-system), UDP and TCP 53."""
    net = k8s.networking.v1
    return net.NetworkPolicyEgressRuleArgs(
        to=[
            net.NetworkPolicyPeerArgs(
                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"kubernetes.io/metadata.name": "kube-system"}
                ),
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}),
            )
        ],
        ports=[net.NetworkPolicyPortArgs(protocol=proto, port=53) for proto in ("UDP", "TCP")],
    )


def helm_release(
    name: str,
    *,
    chart: str,
    version: str,
    repository: str,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """Release ``chart`` (named after it) atomically: a failed install or upgrade is rolled back and cleaned up.

    A Release (server-side Helm) rather than Chart v4, which renders client-side with a plugin.
    """
    return k8s.helm.v3.Release(
        name,
        name=chart,
        chart=chart,
        version=version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repository),
        namespace=namespace,
        values=dict(values),
        atomic=True,
        cleanup_on_fail=True,
        opts=opts,
    )
