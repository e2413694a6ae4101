"""The public-cloud model: EKS in its own VPC, composed only from the shared blocks.

This module is where ``StackConfig`` becomes block args; the blocks never see the whole config.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pulumi

from .artifact_bucket import ArtifactBucket, ArtifactBucketArgs
from .common import AwsAccount, child_options
from .config import ConfigError, ExposureMode, GpuNodePoolConfig, StackConfig
from .config.types import RFC1918
from .device_plugin import DevicePlugin, DevicePluginArgs
from .eks_cluster import EksCluster, EksClusterArgs, IrsaRole, IrsaRoleArgs
from .gpu_node_pool import (
    GPU_AMIS,
    GpuNodePool,
    GpuNodePoolArgs,
    NodeRole,
    NodeRoleArgs,
    SystemNodePool,
    SystemNodePoolArgs,
)
from .inference_service import (
    Autoscaling,
    ComputeResources,
    InferenceService,
    InferenceServiceArgs,
    LoadBalancer,
    Peer,
    Probes,
    ServingPorts,
)
from .keys import EncryptionKeys, EncryptionKeysArgs, KeyPurpose
from .labels import GPU_POOL_LABEL, Labels
from .model_image import ImageBuild, ModelImage, ModelImageArgs
from .network import Network, NetworkArgs

RESOURCE_TYPE = "inference:models:PublicCloud"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def cluster_name(project: str, stack: str) -> str:
    """A cluster name unique per stack (EKS allows letters, digits, '-' and '_', at most 100 characters)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{project}-{stack}")[:100]


def artifact_bucket_name(stack_name: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """``<stack>-models-<account>``: S3 names are global, the account id keeps them unique."""
    prefix = re.sub(r"[^a-z0-9-]", "-", stack_name.lower())[:42].strip("-")
    return pulumi.Output.concat(prefix, "-models-", account_id)


def check_config(config: StackConfig) -> None:
    """Rules of this model that the shared config cannot know; raised before any resource exists."""
    project = pulumi.get_project()
    if config.network.egress is False:
        raise ConfigError(
            "invalid stack config:\n"
            f"  - {project}:network.egress: the public-cloud model needs egress (NAT) for nodes to reach AWS APIs "
            "and registries; use deploymentModel 'private-cloud' for a VPC without an internet path (got False)"
        )


class PublicCloud(pulumi.ComponentResource):
    """Keys, network, EKS with GPU and system pools, device plugin, artifact bucket, image and service."""

    cluster: EksCluster
    """The EKS cluster block."""
    bucket: ArtifactBucket
    """The model-artifact bucket block."""
    image: ModelImage
    """The model image block."""
    service: InferenceService
    """The inference service block."""

    def __init__(
        self, name: str, config: StackConfig, labels: Labels, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        assert config.region is not None  # StackConfig requires aws:region for cloud models
        tags = labels.aws_tags()
        protect = config.prod_like
        child = child_options(self, opts)

        keys = EncryptionKeys(
            f"{name}-keys", EncryptionKeysArgs(region=config.region, tags=tags, protect=protect), child
        )
        network = Network(
            f"{name}-network",
            NetworkArgs(
                cidr=config.network.cidr,
                az_count=config.network.az_count,
                flow_log_key_arn=keys.arn(KeyPurpose.LOGS),
                flow_log_retention_days=config.network.flow_log_retention_days,
                egress=True,
                nat_per_az=protect,
                tags=tags,
                protect=protect,
            ),
            child,
        )
        stack_name = cluster_name(pulumi.get_project(), pulumi.get_stack())
        self.cluster = EksCluster(
            f"{name}-cluster",
            EksClusterArgs(
                cluster_name=stack_name,
                kubernetes_version=config.cluster.kubernetes_version,
                region=config.region,
                subnet_ids=network.private_subnet_ids,
                secrets_key_arn=keys.arn(KeyPurpose.EKS_SECRETS),
                logs_key_arn=keys.arn(KeyPurpose.LOGS),
                log_retention_days=config.cluster.log_retention_days,
                endpoint_public_access=config.cluster.endpoint_public_access,
                public_access_cidrs=config.cluster.public_access_cidrs,
                admin_role_arns=config.cluster.admin_role_arns,
                tags=tags,
                protect=protect,
            ),
            child,
        )
        gpu_pools = self._node_pools(name, config=config, network=network, keys=keys, tags=tags, child=child)

        k8s_child = child_options(self, opts, pulumi.ResourceOptions(providers=[self.cluster.provider]))
        plugin_accelerators = sorted(
            {
                str(pool.accelerator)
                for pool in config.gpu_node_pools
                if not GPU_AMIS[pool.accelerator].bundles_device_plugin
            }
        )
        plugins: list[pulumi.Resource] = []
        if plugin_accelerators:
            plugins.append(
                DevicePlugin(
                    f"{name}-device-plugin",
                    DevicePluginArgs(
                        chart_version=config.cluster.device_plugin_chart_version, accelerators=plugin_accelerators
                    ),
                    k8s_child,
                )
            )

        inference = config.inference
        # Fixed, per-stack names: the bucket policy (TLS-only, one reader) is then known at preview
        # and can be checked before anything exists.
        account = AwsAccount.lookup(self)
        role_name = f"{stack_name}-{inference.name}"[:64]
        service_role = IrsaRole(
            f"{name}-service-role",
            IrsaRoleArgs(
                oidc_provider_arn=self.cluster.oidc_provider_arn,
                oidc_issuer=self.cluster.oidc_issuer,
                namespace=inference.namespace,
                service_account=inference.name,
                tags=tags,
                role_name=role_name,
            ),
            child,
        )
        self.bucket = ArtifactBucket(
            f"{name}-artifacts",
            ArtifactBucketArgs(
                kms_key_arn=keys.arn(KeyPurpose.S3),
                tags=tags,
                bucket_name=artifact_bucket_name(stack_name, account.account_id),
                reader_role_arns=[account.role_arn(role_name)],
                reader_role_names=[role_name],
                protect=protect,
            ),
            # The policy names the role by ARN: the role must exist first.
            child_options(self, opts, pulumi.ResourceOptions(depends_on=[service_role])),
        )
        image_config = inference.image
        self.image = ModelImage(
            f"{name}-image",
            ModelImageArgs(
                model_version=inference.model.version,
                kms_key_arn=keys.arn(KeyPurpose.ECR),
                tags=tags,
                reference=image_config.reference,
                build=(
                    ImageBuild(
                        context=image_config.build.context,
                        dockerfile=image_config.build.dockerfile,
                        platform=image_config.build.platform,
                    )
                    if image_config.build is not None
                    else None
                ),
                keep_images=image_config.keep_images,
                protect=protect,
            ),
            child,
        )
        self.service = InferenceService(
            f"{name}-service",
            self._service_args(config, labels, network, service_role, self.image.image_reference),
            child_options(self, k8s_child, pulumi.ResourceOptions(depends_on=[*plugins, *gpu_pools])),
        )
        self.register_outputs(self.exports())

    def _node_pools(
        self,
        name: str,
        *,
        config: StackConfig,
        network: Network,
        keys: EncryptionKeys,
        tags: Mapping[str, str],
        child: pulumi.ResourceOptions,
    ) -> list[GpuNodePool]:
        node_role = NodeRole(f"{name}-node-role", NodeRoleArgs(tags=tags), child)
        common: dict[str, Any] = {
            "cluster_name": self.cluster.cluster_name,
            "kubernetes_version": config.cluster.kubernetes_version,
            "subnet_ids": network.private_subnet_ids,
            "node_role_arn": node_role.arn,
            "ebs_key_arn": keys.arn(KeyPurpose.EBS),
            "tags": tags,
        }
        system = config.cluster.system_node_pool
        SystemNodePool(
            f"{name}-system-pool",
            SystemNodePoolArgs(
                instance_types=system.instance_types,
                min_size=system.min_size,
                desired_size=system.desired_size,
                max_size=system.max_size,
                disk_size_gib=system.disk_size_gib,
                **common,
            ),
            child,
        )
        return [
            GpuNodePool(f"{name}-gpu-{pool.name}", _gpu_pool_args(pool, common), child)
            for pool in config.gpu_node_pools
        ]

    @staticmethod
    def _service_args(
        config: StackConfig, labels: Labels, network: Network, service_role: IrsaRole, image: pulumi.Output[str]
    ) -> InferenceServiceArgs:
        inference = config.inference
        pool = inference.node_pool or config.gpu_node_pools[0].name
        exposure = config.exposure
        public = exposure.mode is ExposureMode.PUBLIC
        load_balancer = None
        if exposure.tls_certificate_arn is not None:
            load_balancer = LoadBalancer(
                certificate_arn=exposure.tls_certificate_arn,
                public=public,
                # Internal: clients inside the VPC only. Public: the explicit allow-list (required by config).
                source_ranges=exposure.allowed_cidrs if public else [network.vpc_cidr],
                deletion_protection=config.prod_like,
            )
        # The load balancer targets pod IPs from its own subnets; kubelet probes come from node subnets.
        ingress_cidrs = network.private_subnet_cidrs + (network.public_subnet_cidrs if public else [])
        return InferenceServiceArgs(
            name=inference.name,
            namespace=inference.namespace,
            model_name=inference.model.name,
            model_version=inference.model.version,
            image=image,
            labels=labels,
            replicas=inference.replicas,
            resources=ComputeResources(
                cpu_request=inference.resources.cpu_request,
                cpu_limit=inference.resources.cpu_limit,
                memory_request=inference.resources.memory_request,
                memory_limit=inference.resources.memory_limit,
                gpus=inference.gpus_per_replica,
            ),
            autoscaling=Autoscaling(
                min_replicas=inference.autoscaling.min_replicas,
                max_replicas=inference.autoscaling.max_replicas,
                target_cpu_utilization=inference.autoscaling.target_cpu_utilization,
            ),
            ports=ServingPorts(http=inference.ports.http, grpc=inference.ports.grpc),
            probes=Probes(
                readiness_path=inference.probes.readiness_path,
                liveness_path=inference.probes.liveness_path,
                startup_path=inference.probes.startup_path,
                startup_failure_threshold=inference.probes.startup_failure_threshold,
                period_seconds=inference.probes.period_seconds,
            ),
            node_selector={GPU_POOL_LABEL: pool} if inference.gpus_per_replica > 0 else {},
            args=inference.args,
            env={"AWS_REGION": config.region or ""},
            service_account_annotations={IRSA_ANNOTATION: service_role.arn},
            ingress_from=[Peer(cidr=cidr) for cidr in ingress_cidrs],
            # S3 and STS are reached through NAT on public addresses; nothing inside the VPC but DNS.
            https_egress_to=[Peer(cidr="0.0.0.0/0", except_cidrs=[str(block) for block in RFC1918])],
            load_balancer=load_balancer,
        )

    def exports(self) -> dict[str, Any]:
        """The stack outputs of this model."""
        return {
            "clusterName": self.cluster.cluster_name,
            "clusterEndpoint": self.cluster.endpoint,
            "kubeconfig": pulumi.Output.secret(self.cluster.kubeconfig),
            "serviceUrl": self.service.service_url,
            "bucketName": self.bucket.bucket_name,
            "imageReference": self.image.image_reference,
        }


def _gpu_pool_args(pool: GpuNodePoolConfig, common: Mapping[str, Any]) -> GpuNodePoolArgs:
    return GpuNodePoolArgs(
        pool_name=pool.name,
        accelerator=pool.accelerator,
        instance_types=pool.instance_types,
        capacity_type=pool.capacity_type,
        min_size=pool.min_size,
        desired_size=pool.desired_size,
        max_size=pool.max_size,
        disk_size_gib=pool.disk_size_gib,
        labels=pool.labels,
        **common,
    )


def build(config: StackConfig) -> Mapping[str, Any]:
    """Build the public-cloud model for ``config``; return the stack outputs."""
    check_config(config)
    labels = Labels.from_config(config)
    return PublicCloud("platform", config, labels).exports()
