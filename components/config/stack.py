"""The root of a stack's config, with the rules that join sections together."""

from __future__ import annotations

import ipaddress
from typing import Self

from pydantic import Field, model_validator

from .base import ConfigModel, alias_of
from .models import (
    AuthMode,
    EdgeConfig,
    HybridConfig,
    IntegrationConfig,
    MonitoringConfig,
    OnpremConfig,
    PrivateCloudConfig,
    RolloutConfig,
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


class StackConfig(ConfigModel):
    """Every key of the project's config namespace, plus ``aws:region`` as ``region``."""

    deployment_model: DeploymentModel
    environment: Environment
    compliance: ComplianceConfig
    region: AwsRegion | None = None
    allowed_regions: list[AwsRegion] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    gpu_node_pools: list[GpuNodePoolConfig] = Field(default_factory=list)
    inference: InferenceConfig
    exposure: ExposureConfig = Field(default_factory=ExposureConfig)
    private_cloud: PrivateCloudConfig | None = None
    onprem: OnpremConfig | None = None
    hybrid: HybridConfig | None = None
    edge: EdgeConfig | None = None
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)
    integration: IntegrationConfig = Field(default_factory=IntegrationConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)

    @property
    def prod_like(self) -> bool:
        """Stacks whose data must survive a mistaken destroy."""
        return self.environment is Environment.PROD

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
        if candidate is not None and candidate.image == self.inference.image.reference:
            raise ValueError(
                "rollout.candidate.image is identical to the stable inference.image.reference; "
                "promote by setting the stable image and dropping the candidate"
            )
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
