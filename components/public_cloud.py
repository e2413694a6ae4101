"""The public-cloud model: EKS in its own VPC, composed only from the shared blocks.

This module is where ``StackConfig`` becomes block args; the blocks never see the whole config.
The EKS part (cluster, pools, device plugin, bucket, image, services) is the composition the
cloud models share, :func:`components.eks_platform.compose_eks_platform`; this model adds its
network (with NAT egress) and its exposure: by default an ALB made by the AWS Load Balancer
Controller (internal unless configured) that splits requests between the stable and the
candidate version (:mod:`components.traffic_split`), rate-limited by a WAF web ACL, or routes
on an existing Gateway (``rollout.trafficRouter: gateway-api``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import pulumi

from .artifact_bucket import ArtifactBucket
from .aws_load_balancer_controller import LoadBalancerControllerSettings
from .common import child_options, config_error
from .config import ExposureMode, StackConfig
from .config.types import RFC1918
from .eks_cluster import EksCluster
from .eks_platform import (
    IRSA_ANNOTATION,
    EksPlatform,
    PlatformOptions,
    ServiceExposure,
    ServiceWorkload,
    alb_rate_limit,
    artifact_bucket_name,
    cluster_name,
    compose_eks_platform,
    keys_and_network,
)
from .endpoint_auth import AlbRateLimit
from .inference_service import TLS_SSL_POLICY, InferenceService, LoadBalancer, Peer
from .keys import EncryptionKeys
from .labels import Labels
from .model_image import ModelImage
from .network import Network
from .observability import CloudObservability, observe_eks_platform, platform_services
from .rollout import check_cloud_exposure, cloud_router
from .traffic_split import AlbRouter

__all__ = [
    "IRSA_ANNOTATION",
    "RESOURCE_TYPE",
    "PublicCloud",
    "ServiceWorkload",
    "artifact_bucket_name",
    "build",
    "check_config",
    "cluster_name",
]

RESOURCE_TYPE = "inference:models:PublicCloud"


def check_config(config: StackConfig) -> None:
    """Rules of this model that the shared config cannot know; raised before any resource exists."""
    if config.network.egress is False:
        raise config_error(
            "network.egress",
            "the public-cloud model needs egress (NAT) for nodes to reach AWS APIs and registries; "
            "use deploymentModel 'private-cloud' for a VPC without an internet path (got False)",
        )


class PublicCloud(pulumi.ComponentResource):
    """Keys, network, EKS with GPU and system pools, device plugin, artifact bucket, image and service."""

    platform: EksPlatform
    """The EKS composition (cluster, pools, bucket, image, services)."""
    cluster: EksCluster
    """The EKS cluster block."""
    bucket: ArtifactBucket
    """The model-artifact bucket block."""
    image: ModelImage
    """The model image block."""
    service: InferenceService
    """The inference service block (the first workload's)."""
    services: dict[str, InferenceService]
    """Inference service block per workload name."""
    network: Network
    """The network block (VPC, subnets, route tables)."""
    keys: EncryptionKeys
    """The encryption keys block."""
    observability: CloudObservability
    """Service monitoring, DCGM exporter, CloudWatch alarms and the audit archive."""

    def __init__(
        self,
        name: str,
        config: StackConfig,
        labels: Labels,
        opts: pulumi.ResourceOptions | None = None,
        *,
        workloads: Sequence[ServiceWorkload] | None = None,
        client_cidrs: Sequence[str] = (),
    ) -> None:
        """``workloads``: the services to run (default: ``config.inference`` alone, under the original
        resource names). ``client_cidrs``: networks outside the VPC (reached through a VPN) that may
        also use the internal load balancer."""
        super().__init__(RESOURCE_TYPE, name, None, opts)
        assert config.region is not None  # StackConfig requires aws:region for cloud models
        tags = labels.aws_tags()
        child = child_options(self, opts)

        keys, network = keys_and_network(name, config, tags=tags, child=child, egress=True, nat_per_az=config.prod_like)
        self.keys, self.network = keys, network
        rate_limit = alb_rate_limit(name, config, tags=tags, child=child)
        exposure = _exposure(config, network, client_cidrs, rate_limit, tags)
        platform = compose_eks_platform(
            self,
            name,
            config=config,
            labels=labels,
            keys=keys,
            network=network,
            exposure=exposure,
            opts=opts,
            options=PlatformOptions(
                workloads=workloads,
                # The ALB of the canary split (an Ingress) exists only through the AWS Load Balancer Controller.
                load_balancer_controller=(
                    LoadBalancerControllerSettings(enable_wafv2=rate_limit is not None)
                    if isinstance(exposure.router, AlbRouter) or exposure.load_balancer is not None
                    else None
                ),
            ),
        )
        self.platform = platform
        self.cluster = platform.cluster
        self.bucket = platform.bucket
        self.image = platform.image
        self.services = platform.services
        self.service = platform.service
        self.observability = observe_eks_platform(
            self,
            name,
            config=config,
            labels=labels,
            network=network,
            platform=platform,
            services=platform_services(platform, workloads, config),
            router=exposure.router,
            opts=opts,
        )
        self.register_outputs(self.exports())

    def exports(self) -> dict[str, Any]:
        """The stack outputs of this model."""
        return {**self.platform.exports(), "monitoring": self.observability.exports()}


def _exposure(
    config: StackConfig,
    network: Network,
    client_cidrs: Sequence[str],
    rate_limit: AlbRateLimit | None,
    tags: Mapping[str, str],
) -> ServiceExposure:
    public = config.exposure.mode is ExposureMode.PUBLIC
    router = cloud_router(
        config,
        ssl_policy=TLS_SSL_POLICY,
        # Internal: clients inside the VPC only.
        source_ranges=[network.vpc_cidr],
        tags=tags,
        waf_acl_name=rate_limit.acl_name if rate_limit is not None else None,
    )
    if isinstance(router, AlbRouter):
        router = _with_clients(router, client_cidrs)
    return ServiceExposure(
        # The ALB targets pod IPs from its own subnets; kubelet probes come from node subnets.
        ingress_cidrs=network.private_subnet_cidrs + (network.public_subnet_cidrs if public else []),
        # S3 and STS are reached through NAT on public addresses; nothing inside the VPC but DNS.
        https_egress_to=[Peer(cidr="0.0.0.0/0", except_cidrs=[str(block) for block in RFC1918])],
        router=router,
    )


_LoadBalancerT = TypeVar("_LoadBalancerT", LoadBalancer, AlbRouter)


def _with_clients(load_balancer: _LoadBalancerT | None, client_cidrs: Sequence[str]) -> _LoadBalancerT | None:
    """An internal load balancer that also admits ``client_cidrs``; a public one keeps its allow-list."""
    if load_balancer is None:
        return None
    if load_balancer.public or not client_cidrs:
        return load_balancer
    current: list[str] = list(load_balancer.source_ranges)
    ranges = [*current, *(cidr for cidr in client_cidrs if cidr not in current)]
    return dataclasses.replace(load_balancer, source_ranges=ranges)


def build(config: StackConfig) -> Mapping[str, Any]:
    """Build the public-cloud model for ``config``; return the stack outputs."""
    check_config(config)
    check_cloud_exposure(config)
    labels = Labels.from_config(config)
    return PublicCloud("platform", config, labels).exports()
