"""Nothing lost: in every model's prod-like example stack, a mistaken destroy or replace loses no data.

Cloud models (prod = public cloud, private, hybrid):
* every data-holding resource (KMS keys, buckets, ECR repositories, the audit-log store and its lock,
  log groups, volumes, claims) is protected and retained on delete;
* EKS clusters have deletion protection, and so does every load balancer: the one the program owns
  (``enableDeletionProtection``) and the ones the AWS Load Balancer Controller makes (the
  ``deletion_protection.enabled=true`` load-balancer attribute on the Ingress or Service);
* every bucket is versioned, and the audit-log store is an Object Lock bucket in COMPLIANCE mode.

On-prem: the stack holds no data of record. Images live in the site's registry by digest; the model
cache is a per-pod generic ephemeral volume (a cache, refilled from that registry); audit logs are the
site's cluster's. So: no data-holding resource at all, and no pod volume that outlives its pod.

Edge: devices keep no data either; what a device must not lose is its images, so a rollback never
needs a pull: every pulled image is kept when a container goes (``keepLocally``), and containers
mount nothing from the device (read-only root, a tmpfs for scratch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from component_harness import PROJECT, ROOT

from preflight.engine import PlanResult, RecordedResource
from preflight.stackfile import load_stack

CLOUD_STACKS = ("prod", "private", "hybrid")
PROD_LIKE_STACKS = (*CLOUD_STACKS, "onprem", "edge")
DATA_TYPES = (
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:ecr/repository:Repository",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:ebs/volume:Volume",
    "aws:efs/fileSystem:FileSystem",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:core/v1:PersistentVolume",
)
BUCKET = "aws:s3/bucket:Bucket"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
DELETION_PROTECTION = "deletion_protection.enabled=true"
ALB_ATTRIBUTES = "alb.ingress.kubernetes.io/load-balancer-attributes"
NLB_ATTRIBUTES = "service.beta.kubernetes.io/aws-load-balancer-attributes"

Plans = Callable[[str], PlanResult]


def _data_resources(plan: PlanResult) -> list[RecordedResource]:
    return [res for token in DATA_TYPES for res in plan.by_type(token)]


def _attached(plan: PlanResult, token: str, bucket: RecordedResource) -> list[RecordedResource]:
    """The resources of ``token`` configuring ``bucket`` (joined by the ``bucket`` property's dependency)."""
    return [res for res in plan.by_type(token) if res.property_dependencies.get("bucket") == [bucket.urn]]


@pytest.mark.parametrize("stack", PROD_LIKE_STACKS)
def test_the_example_stack_is_prod_like(stack: str) -> None:
    assert load_stack(ROOT, stack).config[f"{PROJECT}:environment"] == "prod"


@pytest.mark.parametrize("stack", PROD_LIKE_STACKS)
def test_every_data_holding_resource_is_protected_and_retained(plan_of: Plans, stack: str) -> None:
    unguarded = [res.name for res in _data_resources(plan_of(stack)) if not (res.protect and res.retain_on_delete)]
    assert unguarded == []


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_cloud_stacks_hold_keys_buckets_repositories_and_log_groups(plan_of: Plans, stack: str) -> None:
    kinds = {res.type for res in _data_resources(plan_of(stack))}
    assert {"aws:kms/key:Key", BUCKET, "aws:ecr/repository:Repository", "aws:cloudwatch/logGroup:LogGroup"} <= kinds


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_eks_clusters_have_deletion_protection(plan_of: Plans, stack: str) -> None:
    clusters = plan_of(stack).by_type("aws:eks/cluster:Cluster")
    assert clusters
    assert all(cluster.inputs["deletionProtection"] is True for cluster in clusters)


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_load_balancers_the_program_owns_have_deletion_protection(plan_of: Plans, stack: str) -> None:
    for balancer in plan_of(stack).by_type("aws:lb/loadBalancer:LoadBalancer"):
        assert balancer.inputs["enableDeletionProtection"] is True, balancer.name


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_load_balancers_the_controller_makes_have_deletion_protection(plan_of: Plans, stack: str) -> None:
    plan = plan_of(stack)
    albs = [
        res
        for res in plan.by_type("kubernetes:networking.k8s.io/v1:Ingress")
        if res.inputs["spec"].get("ingressClassName") == "alb"
    ]
    nlbs = [
        res for res in plan.by_type("kubernetes:core/v1:Service") if res.inputs["spec"].get("type") == "LoadBalancer"
    ]
    assert albs or nlbs, "the cloud example stacks expose their service through the controller"
    for ingress in albs:
        assert DELETION_PROTECTION in ingress.inputs["metadata"]["annotations"][ALB_ATTRIBUTES].split(","), ingress.name
    for service in nlbs:
        assert DELETION_PROTECTION in service.inputs["metadata"]["annotations"][NLB_ATTRIBUTES].split(","), service.name


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_every_bucket_is_versioned(plan_of: Plans, stack: str) -> None:
    plan = plan_of(stack)
    buckets = plan.by_type(BUCKET)
    assert buckets, f"no bucket in the {stack} plan"
    for bucket in buckets:
        (versioning,) = _attached(plan, VERSIONING, bucket)
        assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}, bucket.name


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_the_audit_log_store_has_object_lock_in_compliance_mode(plan_of: Plans, stack: str) -> None:
    plan = plan_of(stack)
    (store,) = [bucket for bucket in plan.by_type(BUCKET) if bucket.inputs.get("objectLockEnabled") is True]
    (lock,) = _attached(plan, LOCK, store)
    assert lock.inputs["rule"]["defaultRetention"]["mode"] == "COMPLIANCE"
    # The store is what the audit log groups are subscribed to.
    streams = plan.by_type("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    assert streams and all(stream.parent == store.parent for stream in streams)


# -- on-prem ---------------------------------------------------------------------------------------


def _pod_volumes(plan: PlanResult) -> list[dict[str, Any]]:
    volumes = []
    for deployment in plan.by_type("kubernetes:apps/v1:Deployment"):
        volumes += deployment.inputs["spec"]["template"]["spec"].get("volumes", [])
    return volumes


def test_onprem_holds_no_data_resource_and_no_aws_resource(plan_of: Plans) -> None:
    plan = plan_of("onprem")
    assert _data_resources(plan) == []
    assert not [res.type for res in plan.resources if res.package == "aws"]


def test_onprem_pod_volumes_live_and_die_with_their_pods(plan_of: Plans) -> None:
    volumes = _pod_volumes(plan_of("onprem"))
    assert volumes
    for volume in volumes:
        assert set(volume) - {"name"} <= {"emptyDir", "ephemeral"}, volume


def test_onprem_model_cache_is_an_ephemeral_claim_per_pod(plan_of: Plans) -> None:
    (cache,) = [volume for volume in _pod_volumes(plan_of("onprem")) if volume["name"] == "model-cache"]
    claim = cache["ephemeral"]["volumeClaimTemplate"]["spec"]
    assert claim["accessModes"] == ["ReadWriteOnce"]


# -- edge ------------------------------------------------------------------------------------------


def test_edge_holds_no_data_resource(plan_of: Plans) -> None:
    plan = plan_of("edge")
    assert _data_resources(plan) == []
    assert {res.package for res in plan.resources if res.custom and not res.is_provider} == {"docker"}


def test_edge_devices_keep_every_pulled_image_for_a_rollback(plan_of: Plans) -> None:
    images = plan_of("edge").by_type("docker:index/remoteImage:RemoteImage")
    assert images
    assert all(image.inputs["keepLocally"] is True for image in images)


def test_edge_containers_mount_nothing_from_the_device(plan_of: Plans) -> None:
    containers = plan_of("edge").by_type("docker:index/container:Container")
    assert containers
    for container in containers:
        assert not container.inputs.get("volumes") and not container.inputs.get("mounts"), container.name
        assert container.inputs["readOnly"] is True
