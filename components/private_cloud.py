"""The private-cloud model: tenant-isolated EKS with no path to or from the internet.

Composed from the shared blocks, like the public-cloud model (the EKS part is
the same composition, :func:`components.eks_platform.compose_eks_platform`).
What makes it private:

* one explicit AWS provider, FIPS endpoints on, for every AWS resource and
  lookup (so the policy pack sees the FIPS setting on the provider itself);
* a VPC with dedicated instance tenancy, no internet gateway and no NAT
  gateway; node launch templates with dedicated placement tenancy;
* PrivateLink interface endpoints (private DNS, HTTPS from the VPC only) for
  every AWS API the cluster and nodes call, and an S3 gateway endpoint;
* a private-only EKS API endpoint; customer-managed KMS keys with rotation;
* images only from ECR in the stack's region, pinned by digest;
* the service exposed only through internal load balancers with TLS: an NLB
  the program owns (pods registered by the AWS Load Balancer Controller
  through ``TargetGroupBinding``), optionally published to consumer VPCs as a
  PrivateLink endpoint service (acceptance required), and the staged
  rollout's internal ALB; optionally joined to the tenant's network through
  a Transit Gateway attachment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .aws_load_balancer_controller import APP_VERSION as LB_CONTROLLER_VERSION
from .aws_load_balancer_controller import LoadBalancerControllerSettings
from .common import child_options
from .config import ConfigError, PrivateCloudConfig, StackConfig, parse_image
from .config.models import AuthMode
from .config.types import RFC1918
from .dcgm_exporter import IMAGE_TAG as DCGM_IMAGE_TAG
from .eks_platform import (
    EksPlatform,
    PlatformOptions,
    ServiceExposure,
    alb_rate_limit,
    compose_eks_platform,
    keys_and_network,
    plugin_accelerators,
)
from .endpoint_service import EndpointService, EndpointServiceArgs
from .inference_service import FIPS_TLS_SSL_POLICY, TLS_SSL_POLICY, Peer, TargetGroupBinding
from .internal_nlb import InternalNlb, InternalNlbArgs, NlbListener
from .labels import AUTH_MODE_KEY, Labels
from .network import Network
from .observability import CloudObservability, nlb_target, observe_eks_platform, platform_services
from .rollout import cloud_router
from .tenant_link import TransitGatewayLink, TransitGatewayLinkArgs
from .vpc_endpoints import VpcEndpoints, VpcEndpointsArgs, fips_served

RESOURCE_TYPE = "inference:models:PrivateCloud"
# AWS APIs the serving pods (model artifacts, IRSA) and the load-balancer controller call.
POD_AWS_SERVICES = ("s3", "sts", "kms")
LB_CONTROLLER_AWS_SERVICES = ("ec2", "elasticloadbalancing", "sts")
HTTPS_PORT = 443
GRPCS_PORT = 8443


def ecr_registry_pattern(region: str) -> re.Pattern[str]:
    """The private ECR registry host of any account in ``region`` (standard or FIPS endpoint)."""
    return re.compile(rf"^[0-9]{{12}}\.dkr\.ecr(-fips)?\.{re.escape(region)}\.amazonaws\.com/")


def _private_cloud(config: StackConfig) -> PrivateCloudConfig:
    # The section is optional: its defaults are the secure ones (FIPS on, no link, nothing published).
    return config.private_cloud or PrivateCloudConfig()


def config_problems(config: StackConfig) -> list[str]:
    """``<key>: <problem>`` for each rule of this model that the shared config cannot check."""
    assert config.region is not None  # StackConfig requires aws:region for cloud models
    private = _private_cloud(config)
    in_region = ecr_registry_pattern(config.region)
    ecr = f"the tenant's ECR in {config.region} ('<account>.dkr.ecr.{config.region}.amazonaws.com/...')"
    problems = []
    if config.exposure.tls_certificate_arn is None:
        problems.append(
            "exposure.tlsCertificateArn: the private-cloud model serves only through an internal load balancer "
            "with TLS; set the ACM certificate ARN (got None)"
        )
    if config.integration.auth.mode is AuthMode.MTLS:
        problems.append(
            "integration.auth.mode: the internal NLB terminates TLS (a PrivateLink endpoint service needs an NLB), "
            "so it cannot verify client certificates; use 'oidc' (got 'mtls')"
        )
    reference = config.inference.image.reference
    if reference is not None and not in_region.match(reference):
        problems.append(
            f"inference.image.reference: the VPC has no internet path; the image must come from {ecr} "
            f"(got {reference!r})"
        )
    if plugin_accelerators(config) and private.device_plugin_image is None:
        problems.append(
            "privateCloud.devicePluginImage: the GPU pools need the NVIDIA device plugin and the VPC has no path to "
            f"nvcr.io; mirror nvcr.io/nvidia/k8s-device-plugin into {ecr} and set it pinned by digest (got None)"
        )
    plugin_image = private.device_plugin_image
    if plugin_image is not None and not in_region.match(plugin_image):
        problems.append(f"privateCloud.devicePluginImage: must come from {ecr} (got {plugin_image!r})")
    controller_image = private.load_balancer_controller_image
    if controller_image is None:
        problems.append(
            "privateCloud.loadBalancerControllerImage: the AWS Load Balancer Controller registers the pods behind "
            "the internal NLB and the VPC has no path to public.ecr.aws; mirror "
            f"public.ecr.aws/eks/aws-load-balancer-controller:{LB_CONTROLLER_VERSION} into {ecr} and set it "
            "pinned by digest (got None)"
        )
    elif not in_region.match(controller_image):
        problems.append(f"privateCloud.loadBalancerControllerImage: must come from {ecr} (got {controller_image!r})")
    dcgm_image = config.monitoring.dcgm_exporter_image
    if config.monitoring.dcgm_exporter and dcgm_image is None:
        problems.append(
            "monitoring.dcgmExporterImage: the DCGM exporter runs on the GPU nodes and the VPC has no path to "
            f"nvcr.io; mirror nvcr.io/nvidia/k8s/dcgm-exporter:{DCGM_IMAGE_TAG} into {ecr} and set it pinned by "
            "digest, or set monitoring.dcgmExporter: false (got None)"
        )
    elif dcgm_image is not None and not in_region.match(dcgm_image):
        problems.append(f"monitoring.dcgmExporterImage: must come from {ecr} (got {dcgm_image!r})")
    if config.compliance.profile.fedramp and not private.use_fips_endpoints:
        problems.append(
            f"privateCloud.useFipsEndpoints: compliance.profile '{config.compliance.profile}' requires FIPS "
            "endpoints (got False)"
        )
    return problems


def check_config(config: StackConfig) -> None:
    """Raise one ConfigError naming every broken rule of this model, before any resource exists."""
    problems = config_problems(config)
    if problems:
        project = pulumi.get_project()
        raise ConfigError("invalid stack config:\n" + "".join(f"  - {project}:{problem}\n" for problem in problems))


def device_plugin_values(image: str, chart_version: str) -> dict[str, Any]:
    """Chart values that run the device plugin from the mirrored, digest-pinned image.

    The chart renders ``<repository>:<tag>``; a tag of ``<tag>@sha256:...`` makes that a
    digest-pinned reference (the runtime pulls by digest). Without a tag in the reference,
    the chart's own tag scheme (``v<chart version>``) names it.
    """
    name, tag, digest = parse_image(image)
    return {"image": {"repository": name, "tag": f"{tag or 'v' + chart_version}@{digest}"}}


def _ssl_policy(config: StackConfig, private: PrivateCloudConfig) -> str:
    """The FIPS TLS policy with FIPS endpoints or under FedRAMP, else the standard TLS 1.2/1.3 one."""
    fips = private.use_fips_endpoints or config.compliance.profile.fedramp
    return FIPS_TLS_SSL_POLICY if fips else TLS_SSL_POLICY


def _fips_env(region: str, private: PrivateCloudConfig, services: Sequence[str]) -> dict[str, str]:
    """``AWS_USE_FIPS_ENDPOINT`` for a workload, when the VPC endpoints serve the FIPS hostnames it would call.

    A FIPS hostname without an endpoint has no route out of this VPC: the workload would fail, not fall back.
    """
    if private.use_fips_endpoints and fips_served(region, services):
        return {"AWS_USE_FIPS_ENDPOINT": "true"}
    return {}


def _listeners(config: StackConfig) -> list[NlbListener]:
    ports = config.inference.ports
    listeners = []
    if ports.http is not None:
        listeners.append(
            NlbListener("https", HTTPS_PORT, ports.http, health_check_path=config.inference.probes.readiness_path)
        )
    if ports.grpc is not None:
        listeners.append(NlbListener("grpcs", GRPCS_PORT, ports.grpc, alpn_policy="HTTP2Only"))
    return listeners


class PrivateCloud(pulumi.ComponentResource):
    """FIPS provider, isolated network with PrivateLink endpoints, EKS platform, internal NLB, optional links."""

    provider: aws.Provider
    """The explicit AWS provider every AWS child uses."""
    platform: EksPlatform
    """Cluster, node pools, bucket, image and service."""
    load_balancer: InternalNlb
    """The internal NLB in front of the service."""
    endpoint_service: EndpointService | None
    """The PrivateLink endpoint service, when consumers are configured."""
    tenant_link: TransitGatewayLink | None
    """The Transit Gateway attachment, when configured."""
    observability: CloudObservability
    """Service monitoring, DCGM exporter, CloudWatch alarms and the audit archive."""

    def __init__(
        self, name: str, config: StackConfig, labels: Labels, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        assert config.region is not None  # StackConfig requires aws:region for cloud models
        private = _private_cloud(config)
        tags = labels.aws_tags()

        self.provider = aws.Provider(
            f"{name}-aws",
            region=config.region,
            use_fips_endpoint=private.use_fips_endpoints,
            opts=child_options(self, opts),
        )
        # Every AWS child (and every lookup a block makes with itself as parent) inherits this provider.
        aws_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers=[self.provider]))
        child = child_options(self, aws_opts)

        keys, network = keys_and_network(
            name, config, tags=tags, child=child, egress=False, instance_tenancy="dedicated"
        )
        endpoints = VpcEndpoints(
            f"{name}-endpoints",
            VpcEndpointsArgs(
                vpc_id=network.vpc_id,
                vpc_cidr=network.vpc_cidr,
                region=config.region,
                subnet_ids=network.private_subnet_ids,
                route_table_ids=network.private_route_table_ids,
                tags=tags,
                use_fips=private.use_fips_endpoints,
            ),
            child,
        )
        self.load_balancer = self._load_balancer(name, config, private=private, network=network, tags=tags, child=child)
        rate_limit = alb_rate_limit(name, config, tags=tags, child=child)
        exposure = ServiceExposure(
            # The NLB (and kubelet probes) reach the pods from the node subnets.
            ingress_cidrs=network.private_subnet_cidrs,
            # STS and KMS answer on interface endpoints inside the VPC; S3 on its public addresses through
            # the gateway endpoint, the only route out of the VPC.
            https_egress_to=[
                Peer(cidr=network.vpc_cidr),
                Peer(cidr="0.0.0.0/0", except_cidrs=[str(block) for block in RFC1918]),
            ],
            target_group_bindings=[
                TargetGroupBinding(
                    port_name=port_name,
                    target_group_arn=self.load_balancer.target_group_arns[listener],
                    security_group_id=self.load_balancer.security_group_id,
                )
                for listener, port_name in (("https", "http"), ("grpcs", "grpc"))
                if listener in self.load_balancer.target_group_arns
            ],
            # The staged rollout's weighted split: an internal ALB made by the AWS Load Balancer Controller.
            # The NLB above (and PrivateLink) reaches the stable-named Service: the stable track during a
            # canary, the active track in blue-green.
            router=cloud_router(
                config,
                ssl_policy=_ssl_policy(config, private),
                source_ranges=[network.vpc_cidr, *private.tenant_cidrs, *config.exposure.allowed_cidrs],
                tags=tags,
                waf_acl_name=rate_limit.acl_name if rate_limit is not None else None,
            ),
        )
        self.platform = compose_eks_platform(
            self,
            name,
            config=config,
            labels=labels,
            keys=keys,
            network=network,
            exposure=exposure,
            opts=aws_opts,
            options=PlatformOptions(
                placement_tenancy="dedicated",
                # Nodes join the cluster through the endpoints (no internet path): they must exist first.
                nodes_depend_on=[endpoints],
                device_plugin_values=(
                    device_plugin_values(private.device_plugin_image, config.cluster.device_plugin_chart_version)
                    if private.device_plugin_image is not None
                    else None
                ),
                # The pods' AWS SDKs then use the FIPS hostnames the endpoints serve.
                pod_env=_fips_env(config.region, private, POD_AWS_SERVICES),
                load_balancer_controller=LoadBalancerControllerSettings(
                    image=private.load_balancer_controller_image,
                    env=_fips_env(config.region, private, LB_CONTROLLER_AWS_SERVICES),
                    # The NLB's target groups are the program's: the controller may register pods in them by ARN.
                    target_group_arns=list(self.load_balancer.target_group_arns.values()),
                ),
            ),
        )
        self.observability = observe_eks_platform(
            self,
            name,
            config=config,
            labels=labels,
            network=network,
            platform=self.platform,
            services=platform_services(self.platform, None, config),
            router=exposure.router,
            opts=aws_opts,
            network_load_balancers=[nlb_target("nlb", self.load_balancer.arn, self.load_balancer.target_group_arns)],
        )
        self.endpoint_service = None
        if private.endpoint_service_allowed_principals:
            self.endpoint_service = EndpointService(
                f"{name}-endpoint-service",
                EndpointServiceArgs(
                    network_load_balancer_arns=[self.load_balancer.arn],
                    allowed_principals=private.endpoint_service_allowed_principals,
                    tags=tags,
                ),
                child,
            )
        self.tenant_link = None
        if private.transit_gateway_id is not None:
            self.tenant_link = TransitGatewayLink(
                f"{name}-tenant-link",
                TransitGatewayLinkArgs(
                    transit_gateway_id=private.transit_gateway_id,
                    vpc_id=network.vpc_id,
                    subnet_ids=network.private_subnet_ids,
                    route_table_ids=network.private_route_table_ids,
                    tenant_cidrs=private.tenant_cidrs,
                    tags=tags,
                ),
                child,
            )
        self.register_outputs(self.exports())

    @staticmethod
    def _load_balancer(
        name: str,
        config: StackConfig,
        *,
        private: PrivateCloudConfig,
        network: Network,
        tags: Mapping[str, str],
        child: pulumi.ResourceOptions,
    ) -> InternalNlb:
        certificate = config.exposure.tls_certificate_arn
        assert certificate is not None  # check_config requires it
        clients = list(dict.fromkeys([network.vpc_cidr, *private.tenant_cidrs, *config.exposure.allowed_cidrs]))
        return InternalNlb(
            f"{name}-nlb",
            InternalNlbArgs(
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                certificate_arn=certificate,
                listeners=_listeners(config),
                client_cidrs=clients,
                target_cidrs=network.private_subnet_cidrs,
                tags=tags,
                ssl_policy=_ssl_policy(config, private),
                listener_tags={AUTH_MODE_KEY: str(config.integration.auth.mode)},
                deletion_protection=config.prod_like,
                private_link=bool(private.endpoint_service_allowed_principals),
            ),
            child,
        )

    def exports(self) -> dict[str, Any]:
        """The public-cloud model's outputs (the URL is the internal NLB's), plus the endpoint service name."""
        scheme, port = (
            ("https", HTTPS_PORT) if "https" in self.load_balancer.target_group_arns else ("grpcs", GRPCS_PORT)
        )
        return {
            **self.platform.exports(
                service_url=pulumi.Output.format("{0}://{1}:{2}", scheme, self.load_balancer.dns_name, port)
            ),
            "endpointServiceName": self.endpoint_service.service_name if self.endpoint_service else None,
            "monitoring": self.observability.exports(),
        }


def build(config: StackConfig) -> Mapping[str, Any]:
    """Build the private-cloud model for ``config``; return the stack outputs."""
    check_config(config)
    labels = Labels.from_config(config)
    return PrivateCloud("platform", config, labels).exports()
