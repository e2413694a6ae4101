"""The root of a stack's config, with the rules that join sections together."""

from __future__ import annotations

import ipaddress
from typing import Self

from pydantic import Field, model_validator

from .base import ConfigModel, alias_of
from .models import (
    RETENTION_MINIMUMS,
    AuthMode,
    EdgeConfig,
    HybridConfig,
    IntegrationConfig,
    MonitoringConfig,
    OnpremConfig,
    PrivateCloudConfig,
    RolloutConfig,
    TrafficRouter,
)
from .sections import (
    ClusterConfig,
    ComplianceConfig,
    ExposureConfig,
    GpuNodePoolConfig,
    InferenceConfig,
    NetworkConfig,
)
from .types import AwsRegion, DeploymentModel, Environment, ExposureMode, parse_image

CLOUD_MODELS = frozenset({DeploymentModel.PUBLIC_CLOUD, DeploymentModel.PRIVATE_CLOUD, DeploymentModel.HYBRID})

# Which optional section each model needs.
_REQUIRED_SECTIONS: dict[DeploymentModel, tuple[str, ...]] = {
    DeploymentModel.PUBLIC_CLOUD: (),
    DeploymentModel.PRIVATE_CLOUD: (),
    DeploymentModel.ONPREM: ("onprem",),
    DeploymentModel.HYBRID: ("onprem", "hybrid"),
    DeploymentModel.EDGE: ("edge",),
}


# The weighted-split implementation each model uses when rollout.trafficRouter is not set
# (hybrid: the cloud side, then the on-prem side; edge: waves, no router).
DEFAULT_TRAFFIC_ROUTERS: dict[DeploymentModel, tuple[TrafficRouter, ...]] = {
    DeploymentModel.PUBLIC_CLOUD: (TrafficRouter.AWS_ALB,),
    DeploymentModel.PRIVATE_CLOUD: (TrafficRouter.AWS_ALB,),
    DeploymentModel.ONPREM: (TrafficRouter.INGRESS_NGINX,),
    DeploymentModel.HYBRID: (TrafficRouter.AWS_ALB, TrafficRouter.INGRESS_NGINX),
    DeploymentModel.EDGE: (),
}


class StackConfig(ConfigModel):
    """Every key of the project's config namespace, plus ``aws:region`` as ``region``."""

    deployment_model: DeploymentModel = DeploymentModel.PUBLIC_CLOUD
    """What the stack builds: EKS, tenant-isolated EKS, an existing cluster, EKS + on-prem by VPN, SSH Docker hosts."""
    # Secure default: a stack that does not say otherwise protects and retains its data.
    environment: Environment = Environment.PROD
    """Stage (tag `environment`); `prod` protects and retains data-holding resources, with deletion protection."""
    compliance: ComplianceConfig
    """Owner, compliance profile, data classification and residency zone of the stack."""
    region: AwsRegion | None = None
    """AWS region, read from `aws:region` (cloud models); must be in allowedRegions."""
    allowed_regions: list[AwsRegion] = Field(default_factory=list)
    """AWS regions data may reside in; aws:region must be one of them (cloud models)."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Extra AWS tags on every taggable resource; may not set the reserved keys (`owner`, `environment`, ...)."""
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    """The VPC (cloud models)."""
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    """The EKS cluster (cloud models)."""
    gpu_node_pools: list[GpuNodePoolConfig] = Field(default_factory=list)
    """EKS GPU node pools; cloud models need at least one, with unique names."""
    inference: InferenceConfig
    """The inference service: model, image, ports, resources, scaling."""
    exposure: ExposureConfig = Field(default_factory=ExposureConfig)
    """How clients reach the service (cloud models)."""
    private_cloud: PrivateCloudConfig | None = None
    """Settings of the private-cloud model; unset = their secure defaults."""
    onprem: OnpremConfig | None = None
    """The on-prem cluster (required by onprem and hybrid)."""
    hybrid: HybridConfig | None = None
    """The VPN to the site and which workloads run on which side (required by hybrid)."""
    edge: EdgeConfig | None = None
    """The device fleet (required by edge)."""
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)
    """Staged rollout of a candidate version beside the stable one."""
    integration: IntegrationConfig = Field(default_factory=IntegrationConfig)
    """Client authentication and request limits at the ingress or gateway."""
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    """Metrics scraping, alert thresholds, the hypercare window and the audit archive."""

    @property
    def prod_like(self) -> bool:
        """Stacks whose data must survive a mistaken destroy."""
        return self.environment is Environment.PROD

    def traffic_routers(self) -> tuple[TrafficRouter, ...]:
        """The routers this stack's clusters use: ``rollout.trafficRouter`` on every side, else the model's."""
        defaults = DEFAULT_TRAFFIC_ROUTERS[self.deployment_model]
        if self.rollout.traffic_router is None or not defaults:
            return defaults
        return (self.rollout.traffic_router,)

    @model_validator(mode="after")
    def _model_sections(self) -> Self:
        for section in _REQUIRED_SECTIONS[self.deployment_model]:
            if getattr(self, section) is None:
                alias = alias_of(section)
                raise ValueError(f"deploymentModel '{self.deployment_model}' needs the '{alias}' section")
        return self

    @model_validator(mode="after")
    def _cloud_rules(self) -> Self:
        if self.deployment_model not in CLOUD_MODELS:
            return self
        if self.region is None:
            raise ValueError(f"deploymentModel '{self.deployment_model}' needs aws:region")
        if not self.allowed_regions:
            raise ValueError("allowedRegions must list the regions data may reside in")
        if self.region not in self.allowed_regions:
            raise ValueError(f"aws:region '{self.region}' is not in allowedRegions {self.allowed_regions}")
        if not self.gpu_node_pools:
            raise ValueError(f"deploymentModel '{self.deployment_model}' needs at least one entry in gpuNodePools")
        names = [pool.name for pool in self.gpu_node_pools]
        if len(set(names)) != len(names):
            raise ValueError(f"gpuNodePools names must be unique, got {names}")
        wanted = self.inference.node_pool
        if wanted is not None and wanted not in names:
            raise ValueError(f"inference.nodePool '{wanted}' is not one of the gpuNodePools: {names}")
        return self

    @model_validator(mode="after")
    def _private_cloud_rules(self) -> Self:
        if self.deployment_model is not DeploymentModel.PRIVATE_CLOUD:
            return self
        if self.network.egress:
            raise ValueError("network.egress must be false for deploymentModel 'private-cloud' (no internet path)")
        if self.exposure.mode is ExposureMode.PUBLIC or self.cluster.endpoint_public_access:
            raise ValueError(
                "deploymentModel 'private-cloud' allows no public endpoint "
                "(exposure.mode, cluster.endpointPublicAccess)"
            )
        vpc = ipaddress.IPv4Network(self.network.cidr)
        for cidr in self.private_cloud.tenant_cidrs if self.private_cloud else ():
            if ipaddress.IPv4Network(cidr).overlaps(vpc):
                raise ValueError(
                    f"privateCloud.tenantCidrs entry '{cidr}' overlaps network.cidr '{self.network.cidr}'; "
                    "routes to the tenant network need address ranges disjoint from the VPC"
                )
        return self

    @model_validator(mode="after")
    def _onsite_image_rules(self) -> Self:
        # No ECR on-site or on devices: the image must already be in a registry, pinned by digest.
        if self.deployment_model in (DeploymentModel.ONPREM, DeploymentModel.EDGE) and self.inference.image.build:
            raise ValueError(
                f"inference.image.build is not supported for deploymentModel '{self.deployment_model}'; "
                "set inference.image.reference to an image pinned by digest"
            )
        if self.deployment_model is DeploymentModel.ONPREM and self.onprem and self.inference.image.reference:
            name, _, _ = parse_image(self.inference.image.reference)
            if not name.startswith(self.onprem.registry_host + "/"):
                raise ValueError(
                    f"inference.image.reference must come from the on-site registry "
                    f"onprem.registryHost '{self.onprem.registry_host}', got {self.inference.image.reference!r}"
                )
        return self

    @model_validator(mode="after")
    def _hybrid_rules(self) -> Self:
        if self.deployment_model is not DeploymentModel.HYBRID or self.hybrid is None:
            return self
        vpc = ipaddress.IPv4Network(self.network.cidr)
        for cidr in self.hybrid.onprem_cidrs:
            if ipaddress.IPv4Network(cidr).overlaps(vpc):
                raise ValueError(
                    f"hybrid.onpremCidrs entry '{cidr}' overlaps network.cidr '{self.network.cidr}'; "
                    "the two sides need disjoint address ranges for VPN routing"
                )
        return self

    @model_validator(mode="after")
    def _rollout_rules(self) -> Self:
        candidate = self.rollout.candidate
        stable = self.inference.image.reference
        # One digest is one image, whatever the tag says: such a candidate would change nothing.
        if candidate is not None and stable is not None and parse_image(candidate.image)[2] == parse_image(stable)[2]:
            raise ValueError(
                "rollout.candidate.image has the same digest as the stable inference.image.reference: the candidate "
                "is identical to stable; promote by setting the stable image and dropping the candidate"
            )
        on_site = self.onprem.registry_host if self.deployment_model is DeploymentModel.ONPREM and self.onprem else None
        if (
            candidate is not None
            and on_site is not None
            and not parse_image(candidate.image)[0].startswith(on_site + "/")
        ):
            raise ValueError(
                f"rollout.candidate.image must come from the on-site registry onprem.registryHost '{on_site}', "
                f"got {candidate.image!r}"
            )
        if self.deployment_model is DeploymentModel.EDGE and self.rollout.traffic_router is not None:
            raise ValueError(
                "rollout.trafficRouter does not apply to deploymentModel 'edge': devices switch versions in "
                "waves (edge.candidateMaxWave)"
            )
        acceptance = self.rollout.acceptance_test
        has_cluster = self.deployment_model is not DeploymentModel.EDGE
        if has_cluster and acceptance.enabled and acceptance.image is None and self.inference.ports.http is None:
            raise ValueError(
                "rollout.acceptanceTest: the built-in check speaks REST and inference.ports.http is not set; "
                "set rollout.acceptanceTest.image to an image whose entrypoint checks over gRPC, or enabled: false"
            )
        return self

    @model_validator(mode="after")
    def _integration_rules(self) -> Self:
        """What each traffic router can enforce at the ingress or gateway; refuse what it cannot."""
        problems = _router_choice_problems(self.deployment_model, self.rollout.traffic_router)
        for router in self.traffic_routers():
            problems += _router_problems(router, self.integration)
        if problems:
            raise ValueError("; ".join(dict.fromkeys(problems)))
        return self

    @model_validator(mode="after")
    def _edge_rules(self) -> Self:
        if self.deployment_model is not DeploymentModel.EDGE or self.edge is None:
            return self
        candidate = self.rollout.candidate
        if self.edge.candidate_max_wave is not None and candidate is None:
            raise ValueError(
                "edge.candidateMaxWave needs rollout.candidate (image and modelVersion), the version those waves run; "
                "remove edge.candidateMaxWave to keep every device on stable"
            )
        stable = self.inference.image.reference
        # Devices keep one pulled image per digest: two references to one digest are the same image.
        if candidate is not None and stable is not None and parse_image(candidate.image)[2] == parse_image(stable)[2]:
            raise ValueError(
                "rollout.candidate.image has the same digest as inference.image.reference; "
                "a candidate must be a different image"
            )
        if self.inference.ports.http is None:
            raise ValueError(
                "deploymentModel 'edge' needs inference.ports.http: the device healthcheck probes "
                "inference.probes.readinessPath over HTTP"
            )
        return self

    @model_validator(mode="after")
    def _regulated_endpoints_authenticate(self) -> Self:
        profile = self.compliance.profile
        if profile.regulated and self.integration.auth.mode is AuthMode.NONE:
            raise ValueError(
                f"compliance.profile '{profile}' refuses an unauthenticated endpoint: "
                "set integration.auth.mode to 'mtls' or 'oidc'"
            )
        return self

    @model_validator(mode="after")
    def _audit_retention_follows_profile(self) -> Self:
        """Audit logs are kept at least as long as the compliance profile requires (cloud log groups, archive)."""
        profile = self.compliance.profile
        minimum = RETENTION_MINIMUMS[profile]
        problems = []
        if self.deployment_model in CLOUD_MODELS:
            for key, days in (
                ("cluster.logRetentionDays", self.cluster.log_retention_days),
                ("network.flowLogRetentionDays", self.network.flow_log_retention_days),
            ):
                if days < minimum.log_group_days:
                    problems.append(
                        f"{key} is {days} days; compliance.profile '{profile}' keeps audit logs at least "
                        f"{minimum.log_group_days} days"
                    )
        archive = self.monitoring.audit_archive_days
        if archive is not None and archive < minimum.archive_days:
            problems.append(
                f"monitoring.auditArchiveDays is {archive}; compliance.profile '{profile}' keeps the audit archive "
                f"at least {minimum.archive_days} days (leave it unset for exactly that)"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _router_choice_problems(model: DeploymentModel, explicit: TrafficRouter | None) -> list[str]:
    """An explicit router the model cannot host."""
    if explicit is TrafficRouter.INGRESS_NGINX and model in CLOUD_MODELS:
        return [
            f"rollout.trafficRouter 'ingress-nginx' is for deploymentModel 'onprem'; deploymentModel '{model}' "
            "exposes through 'aws-alb' (default) or 'gateway-api'"
        ]
    if explicit is TrafficRouter.AWS_ALB and model is DeploymentModel.ONPREM:
        return [
            "rollout.trafficRouter 'aws-alb' needs the AWS Load Balancer Controller; deploymentModel 'onprem' "
            "exposes through 'ingress-nginx' (default) or 'gateway-api'"
        ]
    return []


def _router_problems(router: TrafficRouter, integration: IntegrationConfig) -> list[str]:
    """Settings ``router`` needs to enforce ``integration``, and what it cannot do at all."""
    auth = integration.auth
    oidc = auth.oidc if auth.mode is AuthMode.OIDC else None
    where = f"trafficRouter '{router}'"
    problems = []
    if router is TrafficRouter.GATEWAY_API:
        if auth.mode is AuthMode.MTLS:
            problems.append(
                f"integration.auth.mode 'mtls' with {where}: client certificates are verified on the Gateway's "
                "listener, which this stack does not own; use 'oidc' or trafficRouter 'ingress-nginx'"
            )
        if oidc is not None and oidc.jwks_uri is None:
            problems.append(f"integration.auth.oidc.jwksUri is needed with {where} (Envoy Gateway JWT keys)")
    if router is TrafficRouter.AWS_ALB:
        if auth.mode is AuthMode.MTLS and auth.alb_trust_store_arn is None:
            problems.append(
                f"integration.auth.albTrustStoreArn is needed for mode 'mtls' with {where} "
                "(the ALB verifies client certificates against an ELB trust store)"
            )
        missing = [
            key
            for key, value in (
                ("authorizationEndpoint", oidc.authorization_endpoint if oidc else ""),
                ("tokenEndpoint", oidc.token_endpoint if oidc else ""),
                ("userInfoEndpoint", oidc.user_info_endpoint if oidc else ""),
                ("clientSecretName", oidc.client_secret_name if oidc else ""),
            )
            if value is None
        ]
        if missing:
            problems.append(
                f"integration.auth.oidc needs {', '.join(missing)} with {where} (the ALB's authenticate-oidc action)"
            )
    if router is TrafficRouter.INGRESS_NGINX and oidc is not None and oidc.auth_url is None:
        problems.append(
            f"integration.auth.oidc.authUrl is needed with {where}: ingress-nginx validates tokens "
            "through an external auth service (e.g. oauth2-proxy)"
        )
    if integration.fallback_service is not None and router is not TrafficRouter.INGRESS_NGINX:
        problems.append(
            f"integration.fallbackService is not supported with {where} (it cannot send a failing "
            "backend's requests elsewhere); use trafficRouter 'ingress-nginx' or remove it"
        )
    return problems
