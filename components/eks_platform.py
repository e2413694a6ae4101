"""The EKS composition the cloud models share: cluster, node pools, device plugin, bucket, image, service.

The public- and private-cloud models differ in their network, provider and
exposure, not in how an EKS cluster and the inference service on it are put
together. :func:`compose_eks_platform` builds that common part from the shared
blocks, as children of the calling model (so names and URNs are the model's),
and takes the differences as arguments. It is not a block: blocks never see
``StackConfig``; this turns config into block args for the models.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

from .artifact_bucket import ArtifactBucket, ArtifactBucketArgs
from .aws_load_balancer_controller import (
    LoadBalancerController,
    LoadBalancerControllerArgs,
    LoadBalancerControllerSettings,
)
from .common import AwsAccount, child_options
from .config import GpuNodePoolConfig, StackConfig
from .device_plugin import DevicePlugin, DevicePluginArgs
from .eks_cluster import EksCluster, EksClusterArgs, IrsaRole, IrsaRoleArgs
from .endpoint_auth import AlbRateLimit, AlbRateLimitArgs, web_acl_name
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
    InferenceService,
    InferenceServiceArgs,
    LoadBalancer,
    Peer,
    TargetGroupBinding,
)
from .keys import EncryptionKeys, EncryptionKeysArgs, KeyPurpose
from .labels import GPU_POOL_LABEL, Labels
from .model_image import ImageBuild, ModelImage, ModelImageArgs
from .network import Network, NetworkArgs
from .rollout import alb_exposed, rollout_exports, service_rollout_args, service_serving_args
from .traffic_split import Router

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def cluster_name(project: str, stack: str) -> str:
    """A cluster name unique per stack (EKS allows letters, digits, '-' and '_', at most 100 characters)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{project}-{stack}")[:100]


def artifact_bucket_name(stack_name: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """``<stack>-models-<account>``: S3 names are global, the account id keeps them unique."""
    prefix = re.sub(r"[^a-z0-9-]", "-", stack_name.lower())[:42].strip("-")
    return pulumi.Output.concat(prefix, "-models-", account_id)


def plugin_accelerators(config: StackConfig) -> list[str]:
    """Accelerators of the GPU pools whose AMI does not run the NVIDIA device plugin itself."""
    return sorted(
        {
            str(pool.accelerator)
            for pool in config.gpu_node_pools
            if not GPU_AMIS[pool.accelerator].bundles_device_plugin
        }
    )


def keys_and_network(
    name: str,
    config: StackConfig,
    *,
    tags: Mapping[str, str],
    child: pulumi.ResourceOptions,
    egress: bool,
    nat_per_az: bool = False,
    instance_tenancy: Literal["default", "dedicated"] = "default",
) -> tuple[EncryptionKeys, Network]:
    """The encryption keys and the VPC (flow logs under the logs key) a cloud model starts from."""
    assert config.region is not None  # StackConfig requires aws:region for cloud models
    protect = config.prod_like
    keys = EncryptionKeys(f"{name}-keys", EncryptionKeysArgs(region=config.region, tags=tags, protect=protect), child)
    network = Network(
        f"{name}-network",
        NetworkArgs(
            cidr=config.network.cidr,
            az_count=config.network.az_count,
            flow_log_key_arn=keys.arn(KeyPurpose.LOGS),
            flow_log_retention_days=config.network.flow_log_retention_days,
            egress=egress,
            nat_per_az=nat_per_az,
            instance_tenancy=instance_tenancy,
            tags=tags,
            protect=protect,
        ),
        child,
    )
    return keys, network


def alb_rate_limit(
    name: str, config: StackConfig, *, tags: Mapping[str, str], child: pulumi.ResourceOptions
) -> AlbRateLimit | None:
    """The WAF rate limit of a service exposed through the controller's ALB; None for any other exposure."""
    if not alb_exposed(config):
        return None
    return AlbRateLimit(
        f"{name}-rate-limit",
        AlbRateLimitArgs(
            acl_name=web_acl_name(pulumi.get_project(), pulumi.get_stack()),
            rate_limit_rps=config.integration.rate_limit_rps,
            tags=tags,
        ),
        child,
    )


@dataclass(frozen=True)
class ServiceExposure:
    """How a model exposes the inference service and what its pods may reach."""

    ingress_cidrs: Sequence[str]
    """Sources allowed to the serving ports: the load balancer's and the nodes' subnets (kubelet probes)."""
    https_egress_to: Sequence[Peer]
    """HTTPS destinations of the pods (model storage, STS for IRSA)."""
    load_balancer: LoadBalancer | None = None
    """A controller-made load balancer (``Service`` of type ``LoadBalancer``)."""
    target_group_bindings: Sequence[TargetGroupBinding] = ()
    """Target groups of a load balancer the model owns, to register the pods in."""
    router: Router | None = None
    """The weighted split between stable and candidate (ALB or Gateway API), with auth and limits."""


@dataclass(frozen=True)
class ServiceWorkload:
    """One inference service on the cluster (models that run several, e.g. hybrid's cloud side)."""

    name: str
    namespace: str
    data_classification: str | None = None
    """Label value for its namespace and pods; None: the stack's classification."""


@dataclass(frozen=True)
class PlatformOptions:
    """Where the models' EKS platforms differ, apart from the network and the exposure."""

    placement_tenancy: Literal["default", "dedicated"] = "default"
    """Node launch-template tenancy (``dedicated`` for tenant-isolated models)."""
    nodes_depend_on: Sequence[pulumi.Resource] = ()
    """What nodes need before they can join (e.g. VPC endpoints when there is no internet path)."""
    device_plugin_values: Mapping[str, Any] | None = None
    """Extra chart values for the device plugin (e.g. an image mirrored into the region)."""
    pod_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Extra container environment (e.g. ``AWS_USE_FIPS_ENDPOINT``)."""
    workloads: Sequence[ServiceWorkload] | None = None
    """The services to run; None: ``config.inference`` alone, under the original resource names."""
    load_balancer_controller: LoadBalancerControllerSettings | None = None
    """Install the AWS Load Balancer Controller (needed by TargetGroupBinding, NLB Services, ALB Ingresses)."""


@dataclass(frozen=True)
class EksPlatform:
    """The blocks :func:`compose_eks_platform` created."""

    cluster: EksCluster
    gpu_pools: list[GpuNodePool]
    bucket: ArtifactBucket
    image: ModelImage
    services: dict[str, InferenceService]
    """Inference service block per workload name."""

    @property
    def service(self) -> InferenceService:
        """The first workload's service (the only one unless workloads were given)."""
        return next(iter(self.services.values()))

    def exports(self, service_url: pulumi.Input[str] | None = None) -> dict[str, Any]:
        """The stack outputs every cloud model exports (``service_url`` overrides the service's own)."""
        return {
            "clusterName": self.cluster.cluster_name,
            "clusterEndpoint": self.cluster.endpoint,
            "kubeconfig": pulumi.Output.secret(self.cluster.kubeconfig),
            "serviceUrl": self.service.service_url if service_url is None else service_url,
            "bucketName": self.bucket.bucket_name,
            "imageReference": self.image.image_reference,
            **rollout_exports(self.service),
        }


def compose_eks_platform(
    parent: pulumi.ComponentResource,
    name: str,
    *,
    config: StackConfig,
    labels: Labels,
    keys: EncryptionKeys,
    network: Network,
    exposure: ServiceExposure,
    opts: pulumi.ResourceOptions | None,
    options: PlatformOptions | None = None,
) -> EksPlatform:
    """EKS cluster, node pools, device plugin, IRSA role, bucket, image and service, children of ``parent``."""
    assert config.region is not None  # StackConfig requires aws:region for cloud models
    options = options or PlatformOptions()
    tags = labels.aws_tags()
    protect = config.prod_like
    child = child_options(parent, opts)

    stack_name = cluster_name(pulumi.get_project(), pulumi.get_stack())
    cluster = EksCluster(
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
    system_pool, gpu_pools = _node_pools(
        name, config=config, cluster=cluster, network=network, keys=keys, tags=tags, options=options, child=child
    )

    k8s_child = child_options(parent, opts, pulumi.ResourceOptions(providers=[cluster.provider]))
    plugins: list[pulumi.Resource] = []
    accelerators = plugin_accelerators(config)
    if accelerators:
        plugins.append(
            DevicePlugin(
                f"{name}-device-plugin",
                DevicePluginArgs(
                    chart_version=config.cluster.device_plugin_chart_version,
                    accelerators=accelerators,
                    extra_values=options.device_plugin_values,
                ),
                k8s_child,
            )
        )
    controller = options.load_balancer_controller
    if controller is not None:
        assert config.region is not None
        plugins.append(
            LoadBalancerController(
                f"{name}-lb-controller",
                LoadBalancerControllerArgs(
                    cluster_name=cluster.cluster_name,
                    region=config.region,
                    vpc_id=network.vpc_id,
                    oidc_provider_arn=cluster.oidc_provider_arn,
                    oidc_issuer=cluster.oidc_issuer,
                    tags=tags,
                    image=controller.image,
                    enable_wafv2=controller.enable_wafv2,
                    env=controller.env,
                    manage_load_balancers=controller.manage_load_balancers,
                    target_group_arns=controller.target_group_arns,
                ),
                # Its pods run on the system pool; the services' TargetGroupBindings need its CRD.
                child_options(parent, k8s_child, pulumi.ResourceOptions(depends_on=[system_pool])),
            )
        )

    inference = config.inference
    # Named workloads get their name in their resource names; the default keeps the original names.
    named_workloads = options.workloads is not None
    workloads = list(options.workloads or [ServiceWorkload(name=inference.name, namespace=inference.namespace)])
    if not workloads:
        raise ValueError("PlatformOptions.workloads, when given, must list at least one workload")
    # Fixed, per-stack names: the bucket policy (TLS-only, one reader per workload) is then known at
    # preview and can be checked before anything exists. Looked up under the cluster, which has the
    # model's AWS provider (a model may pass an explicit one in opts).
    account = AwsAccount.lookup(cluster)
    role_names = {workload.name: f"{stack_name}-{workload.name}"[:64] for workload in workloads}
    service_roles = {
        workload.name: IrsaRole(
            f"{name}-service-role-{workload.name}" if named_workloads else f"{name}-service-role",
            IrsaRoleArgs(
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_issuer=cluster.oidc_issuer,
                namespace=workload.namespace,
                service_account=workload.name,
                tags=tags,
                role_name=role_names[workload.name],
            ),
            child,
        )
        for workload in workloads
    }
    bucket = ArtifactBucket(
        f"{name}-artifacts",
        ArtifactBucketArgs(
            kms_key_arn=keys.arn(KeyPurpose.S3),
            tags=tags,
            bucket_name=artifact_bucket_name(stack_name, account.account_id),
            reader_role_arns=[account.role_arn(role_name) for role_name in role_names.values()],
            reader_role_names=list(role_names.values()),
            protect=protect,
        ),
        # The policy names the roles by ARN: they must exist first.
        child_options(parent, opts, pulumi.ResourceOptions(depends_on=list(service_roles.values()))),
    )
    image = ModelImage(f"{name}-image", _image_args(config, keys, tags), child)
    services = {}
    for workload in workloads:
        workload_labels = labels
        if workload.data_classification is not None:
            workload_labels = dataclasses.replace(labels, data_classification=workload.data_classification)
        args = service_args(
            config,
            workload_labels,
            exposure=exposure,
            service_role=service_roles[workload.name],
            image=image.image_reference,
            model_repository=pulumi.Output.concat("s3://", bucket.bucket_name, "/models/", workload.name),
            pod_env=options.pod_env,
        )
        services[workload.name] = InferenceService(
            f"{name}-{workload.name}" if named_workloads else f"{name}-service",
            dataclasses.replace(args, name=workload.name, namespace=workload.namespace),
            child_options(parent, k8s_child, pulumi.ResourceOptions(depends_on=[*plugins, *gpu_pools])),
        )
    return EksPlatform(cluster=cluster, gpu_pools=gpu_pools, bucket=bucket, image=image, services=services)


def _node_pools(
    name: str,
    *,
    config: StackConfig,
    cluster: EksCluster,
    network: Network,
    keys: EncryptionKeys,
    tags: Mapping[str, str],
    options: PlatformOptions,
    child: pulumi.ResourceOptions,
) -> tuple[SystemNodePool, list[GpuNodePool]]:
    node_role = NodeRole(f"{name}-node-role", NodeRoleArgs(tags=tags), child)
    common: dict[str, Any] = {
        "cluster_name": cluster.cluster_name,
        "kubernetes_version": config.cluster.kubernetes_version,
        "subnet_ids": network.private_subnet_ids,
        "node_role_arn": node_role.arn,
        "ebs_key_arn": keys.arn(KeyPurpose.EBS),
        "tags": tags,
        "placement_tenancy": options.placement_tenancy,
    }
    pool_opts = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(options.nodes_depend_on)))
    system = config.cluster.system_node_pool
    system_pool = SystemNodePool(
        f"{name}-system-pool",
        SystemNodePoolArgs(
            instance_types=system.instance_types,
            min_size=system.min_size,
            desired_size=system.desired_size,
            max_size=system.max_size,
            disk_size_gib=system.disk_size_gib,
            **common,
        ),
        pool_opts,
    )
    return system_pool, [
        GpuNodePool(f"{name}-gpu-{pool.name}", _gpu_pool_args(pool, common), pool_opts)
        for pool in config.gpu_node_pools
    ]


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


def _image_args(config: StackConfig, keys: EncryptionKeys, tags: Mapping[str, str]) -> ModelImageArgs:
    inference = config.inference
    image_config = inference.image
    build = image_config.build
    return ModelImageArgs(
        model_version=inference.model.version,
        kms_key_arn=keys.arn(KeyPurpose.ECR),
        tags=tags,
        reference=image_config.reference,
        build=(
            ImageBuild(context=build.context, dockerfile=build.dockerfile, platform=build.platform)
            if build is not None
            else None
        ),
        keep_images=image_config.keep_images,
        protect=config.prod_like,
    )


def service_args(
    config: StackConfig,
    labels: Labels,
    *,
    exposure: ServiceExposure,
    service_role: IrsaRole,
    image: pulumi.Output[str],
    model_repository: pulumi.Input[str],
    pod_env: Mapping[str, pulumi.Input[str]] | None = None,
) -> InferenceServiceArgs:
    """The inference service's args from config, with the model's exposure.

    ``model_repository`` (``$(MODEL_REPOSITORY)`` in the container args) is the S3 prefix the
    service's IRSA role may read; Triton loads ``s3://`` repositories natively.
    """
    inference = config.inference
    pool = inference.node_pool or config.gpu_node_pools[0].name
    return InferenceServiceArgs(
        name=inference.name,
        namespace=inference.namespace,
        image=image,
        labels=labels,
        node_selector={GPU_POOL_LABEL: pool} if inference.gpus_per_replica > 0 else {},
        args=inference.args,
        env={"AWS_REGION": config.region or "", "MODEL_REPOSITORY": model_repository, **(pod_env or {})},
        service_account_annotations={IRSA_ANNOTATION: service_role.arn},
        ingress_from=[Peer(cidr=cidr) for cidr in exposure.ingress_cidrs],
        https_egress_to=list(exposure.https_egress_to),
        load_balancer=exposure.load_balancer,
        target_group_bindings=list(exposure.target_group_bindings),
        router=exposure.router,
        **service_serving_args(config),
        **service_rollout_args(config),
    )
