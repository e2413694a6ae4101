"""A hand-built gate report covering every case the writers render: mandatory and advisory violations,
undecided checks (blocking and not), a stack-wide finding, a disabled policy and a passing one."""

from __future__ import annotations

import pytest

from preflight.report.model import Finding, GateReport, PolicyMeta, ResourceRef, SourcePosition, Timing

P = "urn:pulumi:prod::inference-platform::"
STACK = P + "pulumi:pulumi:Stack::inference-platform-prod"
PROVIDER = P + "pulumi:providers:aws::default_7_51_1"
PLATFORM = P + "inference:models:PublicCloud::platform"
CLUSTER = P + "inference:models:PublicCloud$inference:eks:EksCluster$aws:eks/cluster:Cluster::platform-eks"
EKS = P + "inference:models:PublicCloud$inference:eks:EksCluster::platform-eks"
BUCKET = P + "inference:models:PublicCloud$aws:s3/bucket:Bucket::platform-artifacts"
DEPLOY = P + "inference:models:PublicCloud$kubernetes:apps/v1:Deployment::platform-inference"

POLICIES = [
    PolicyMeta(
        "aws-eks-cluster-restrict-public-endpoint",
        "EKS API endpoints are private.",
        "critical",
        "mandatory",
        remediation="Set cluster.endpointPublicAccess: false.",
        controls=("NIST SP 800-53 SC-7", "HIPAA 164.312(e)(1)"),
        tags=("area:exposure", "nist-800-53:SC-7", "hipaa:164.312(e)(1)"),
    ),
    PolicyMeta(
        "aws-s3-bucket-require-sse-kms",
        "Buckets use SSE-KMS.",
        "high",
        "mandatory",
        policy_type="stack",
        remediation="Add a server-side encryption configuration with a KMS key.",
        controls=("NIST SP 800-53 SC-28",),
    ),
    PolicyMeta(
        "kubernetes-workload-require-image-digest",
        "Images are pinned by digest.",
        "medium",
        "mandatory",
        remediation="Pin the image by @sha256 digest.",
        controls=("NIST SP 800-53 CM-7",),
    ),
    PolicyMeta("aws-resource-require-tags", "Taggable resources carry the required tags.", "low", "advisory"),
    PolicyMeta("aws-provider-require-fips-endpoint", "Providers use FIPS endpoints.", "high", "disabled"),
    PolicyMeta(
        "aws-kms-key-require-rotation", "KMS keys rotate.", "high", "mandatory", controls=("NIST SP 800-53 SC-12",)
    ),
]


def finding(policy: str, urn: str, rtype: str, status: str, level: str, blocking: bool, message: str) -> Finding:
    meta = next(p for p in POLICIES if p.name == policy)
    return Finding(
        policy=policy,
        severity=meta.severity,
        enforcement_level=level,
        status=status,
        urn=urn,
        resource_type=rtype,
        message=message,
        remediation=meta.remediation,
        controls=meta.controls,
        stage="stack" if meta.policy_type == "stack" else "resource",
        blocking=blocking,
    )


def make_report(*, fail_on_undecided: bool = False) -> GateReport:
    findings = [
        finding(
            "aws-eks-cluster-restrict-public-endpoint",
            CLUSTER,
            "aws:eks/cluster:Cluster",
            "violation",
            "mandatory",
            True,
            "endpointPublicAccess is true | open to 0.0.0.0/0",
        ),
        finding(
            "aws-s3-bucket-require-sse-kms",
            BUCKET,
            "aws:s3/bucket:Bucket",
            "violation",
            "mandatory",
            True,
            "no SSE-KMS",
        ),
        finding(
            "kubernetes-workload-require-image-digest",
            DEPLOY,
            "kubernetes:apps/v1:Deployment",
            "undecided",
            "mandatory",
            fail_on_undecided,
            "string value at .spec.template.spec.containers[0].image can't be known during preview",
        ),
        finding(
            "aws-resource-require-tags",
            BUCKET,
            "aws:s3/bucket:Bucket",
            "violation",
            "advisory",
            False,
            "Missing tags: owner.",
        ),
        finding("aws-s3-bucket-require-sse-kms", "", "", "violation", "advisory", False, "stack-wide:\nsecond line"),
    ]
    resources = [
        ResourceRef(STACK, "pulumi:pulumi:Stack", "inference-platform-prod"),
        ResourceRef(PROVIDER, "pulumi:providers:aws", "default_7_51_1"),
        ResourceRef(
            PLATFORM,
            "inference:models:PublicCloud",
            "platform",
            STACK,
            PLATFORM,
            SourcePosition("components/public_cloud.py", 40),
        ),
        ResourceRef(
            EKS,
            "inference:eks:EksCluster",
            "platform-eks",
            PLATFORM,
            PLATFORM,
            SourcePosition("components/eks_cluster.py", 12),
        ),
        ResourceRef(CLUSTER, "aws:eks/cluster:Cluster", "platform-eks", EKS, PLATFORM),
        ResourceRef(BUCKET, "aws:s3/bucket:Bucket", "platform-artifacts", PLATFORM, PLATFORM),
        ResourceRef(DEPLOY, "kubernetes:apps/v1:Deployment", "platform-inference", PLATFORM, PLATFORM),
    ]
    return GateReport(
        command="check",
        stack="prod",
        project="inference-platform",
        profile="hipaa",
        pack_name="inference-guardrails",
        pack_version="1.0.0",
        preview=True,
        fail_on_undecided=fail_on_undecided,
        policies=list(POLICIES),
        resources=resources,
        findings=findings,
        timing=Timing(
            plan_seconds=2.5,
            pack_start_seconds=0.25,
            analyze_seconds=0.1,
            analyze_stack_seconds=0.02,
            total_seconds=3.0,
        ),
        profile_path="policies/profiles/hipaa.json",
        stack_file="Pulumi.prod.yaml",
        config_lines={"aws:region": 3, "inference-platform:cluster": 19, "inference-platform:inference": 32},
    )


@pytest.fixture
def report() -> GateReport:
    return make_report()


@pytest.fixture
def strict_report() -> GateReport:
    """The same findings with --fail-on-undecided: the undecided mandatory check blocks."""
    return make_report(fail_on_undecided=True)
