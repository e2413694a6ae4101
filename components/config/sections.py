"""Config sections shared by every deployment model."""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from .base import ConfigModel
from .types import (
    Accelerator,
    Arn,
    CapacityType,
    Cidr,
    ComplianceProfile,
    DataClassification,
    ExposureMode,
    K8sName,
    LogRetentionDays,
    NonNegativeInt,
    PinnedImage,
    Port,
    PositiveInt,
    PrivateCidr,
)

_INSTANCE_TYPE_RE = re.compile(r"^[a-z][a-z0-9-]*\.[0-9]*[a-z0-9]+$")
_K8S_VERSION_RE = re.compile(r"^1\.[0-9]{2}$")
_QUANTITY_RE = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G)?$")


def _instance_type(value: str) -> str:
    if not _INSTANCE_TYPE_RE.match(value):
        raise ValueError(f"must be an EC2 instance type such as 'g5.xlarge', got {value!r}")
    return value


def _k8s_version(value: str) -> str:
    if not _K8S_VERSION_RE.match(value):
        raise ValueError(f"must be a pinned Kubernetes minor version such as '1.33', got {value!r}")
    return value


def _quantity(value: str) -> str:
    if not _QUANTITY_RE.match(value):
        raise ValueError(f"must be a Kubernetes quantity such as '500m', '4', '16Gi', got {value!r}")
    return value


InstanceType = Annotated[str, AfterValidator(_instance_type)]
KubernetesVersion = Annotated[str, AfterValidator(_k8s_version)]
Quantity = Annotated[str, AfterValidator(_quantity)]


class ComplianceConfig(ConfigModel):
    """Who owns the stack and which rule set it must satisfy."""

    # Secure default: the strict profile unless a stack opts down explicitly.
    profile: ComplianceProfile = ComplianceProfile.HIPAA
    data_classification: DataClassification = DataClassification.INTERNAL
    owner: Annotated[str, Field(min_length=1, max_length=128)]
    residency_zone: K8sName = "us"


def _vpc_size(value: str) -> str:
    # Room for one large node subnet per zone plus small public subnets (components/network.py).
    prefix = int(value.split("/")[1])
    if not 16 <= prefix <= 20:
        raise ValueError(
            f"must be a /16 to /20 block (AWS allows at most /16; smaller leaves no room for pods), got {value!r}"
        )
    return value


class NetworkConfig(ConfigModel):
    cidr: Annotated[PrivateCidr, AfterValidator(_vpc_size)] = "10.0.0.0/16"
    az_count: Annotated[int, Field(ge=2, le=6, strict=True)] = 3
    # Public subnets and NAT only where the model needs internet egress.
    # None = the model's default (public cloud: egress; private cloud: none).
    egress: bool | None = None
    flow_log_retention_days: LogRetentionDays = 365


class ScalingConfig(ConfigModel):
    min_size: NonNegativeInt
    desired_size: NonNegativeInt
    max_size: PositiveInt

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"sizes must satisfy minSize <= desiredSize <= maxSize, "
                f"got minSize={self.min_size}, desiredSize={self.desired_size}, maxSize={self.max_size}"
            )
        return self


class GpuNodePoolConfig(ScalingConfig):
    name: K8sName
    instance_types: Annotated[list[InstanceType], Field(min_length=1)]
    accelerator: Accelerator = Accelerator.NVIDIA
    capacity_type: CapacityType = CapacityType.ON_DEMAND
    disk_size_gib: Annotated[int, Field(ge=20, le=16384, strict=True)] = 200
    gpus_per_node: PositiveInt = 1
    labels: dict[str, str] = Field(default_factory=dict)


class SystemNodePoolConfig(ScalingConfig):
    instance_types: Annotated[list[InstanceType], Field(min_length=1)] = Field(default_factory=lambda: ["m6i.large"])
    min_size: NonNegativeInt = 2
    desired_size: NonNegativeInt = 2
    max_size: PositiveInt = 4
    disk_size_gib: Annotated[int, Field(ge=20, le=16384, strict=True)] = 50


class ClusterConfig(ConfigModel):
    kubernetes_version: KubernetesVersion = "1.33"
    # Secure default: API server reachable only from inside the VPC.
    endpoint_public_access: bool = False
    public_access_cidrs: list[Cidr] = Field(default_factory=list)
    log_retention_days: LogRetentionDays = 365
    admin_role_arns: list[Arn] = Field(default_factory=list)
    system_node_pool: SystemNodePoolConfig = Field(default_factory=SystemNodePoolConfig)
    device_plugin_chart_version: Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")] = "0.17.1"

    @model_validator(mode="after")
    def _public_needs_allow_list(self) -> Self:
        if self.endpoint_public_access:
            if not self.public_access_cidrs:
                raise ValueError("endpointPublicAccess: true needs a non-empty publicAccessCidrs allow-list")
            if "0.0.0.0/0" in self.public_access_cidrs:
                raise ValueError("publicAccessCidrs must not contain 0.0.0.0/0")
        return self


class ModelConfig(ConfigModel):
    name: K8sName
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class ImageBuildConfig(ConfigModel):
    context: Annotated[str, Field(min_length=1)]
    dockerfile: str = "Dockerfile"
    platform: str = "linux/amd64"


class ImageConfig(ConfigModel):
    """Either an external image pinned by digest or a build context pushed to ECR."""

    reference: PinnedImage | None = None
    build: ImageBuildConfig | None = None
    # ECR lifecycle keeps this many images so a rollback never needs a rebuild.
    keep_images: Annotated[int, Field(ge=2, le=1000, strict=True)] = 10

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.reference is None) == (self.build is None):
            raise ValueError("set exactly one of 'reference' (an image pinned by digest) or 'build' (a build context)")
        return self


class PortsConfig(ConfigModel):
    http: Port | None = 8000
    grpc: Port | None = 8001

    @model_validator(mode="after")
    def _one_port(self) -> Self:
        if self.http is None and self.grpc is None:
            raise ValueError("at least one of 'http' or 'grpc' must be set")
        if self.http is not None and self.http == self.grpc:
            raise ValueError("'http' and 'grpc' must be different ports")
        return self


class ResourcesConfig(ConfigModel):
    cpu_request: Quantity = "2"
    cpu_limit: Quantity = "4"
    memory_request: Quantity = "16Gi"
    memory_limit: Quantity = "16Gi"


class AutoscalingConfig(ConfigModel):
    min_replicas: PositiveInt = 1
    max_replicas: PositiveInt = 4
    target_cpu_utilization: Annotated[int, Field(ge=10, le=100, strict=True)] = 70

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"minReplicas ({self.min_replicas}) must be <= maxReplicas ({self.max_replicas})")
        return self


class ProbesConfig(ConfigModel):
    """KServe v2 health endpoints by default."""

    readiness_path: str = "/v2/health/ready"
    liveness_path: str = "/v2/health/live"
    startup_path: str = "/v2/health/ready"
    startup_failure_threshold: PositiveInt = 60
    period_seconds: PositiveInt = 10


class InferenceConfig(ConfigModel):
    name: K8sName = "inference"
    namespace: K8sName = "inference"
    model: ModelConfig
    image: ImageConfig
    replicas: PositiveInt = 1
    gpus_per_replica: NonNegativeInt = 1
    ports: PortsConfig = Field(default_factory=PortsConfig)
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)
    autoscaling: AutoscalingConfig = Field(default_factory=AutoscalingConfig)
    probes: ProbesConfig = Field(default_factory=ProbesConfig)
    # GPU node pool the pods are scheduled on; defaults to the first pool.
    node_pool: K8sName | None = None
    # Container args; may use $(MODEL_NAME), $(MODEL_VERSION), $(MODEL_REPOSITORY), $(HTTP_PORT), $(GRPC_PORT).
    args: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _replicas_in_bounds(self) -> Self:
        scaling = self.autoscaling
        if not scaling.min_replicas <= self.replicas <= scaling.max_replicas:
            raise ValueError(
                f"replicas ({self.replicas}) must be within autoscaling minReplicas..maxReplicas "
                f"({scaling.min_replicas}..{scaling.max_replicas})"
            )
        return self


class ExposureConfig(ConfigModel):
    """How clients reach the service. Internal by default; public is an explicit switch."""

    mode: ExposureMode = ExposureMode.INTERNAL
    tls_certificate_arn: Arn | None = None
    allowed_cidrs: list[Cidr] = Field(default_factory=list)

    @model_validator(mode="after")
    def _public_rules(self) -> Self:
        if self.mode is ExposureMode.PUBLIC:
            if self.tls_certificate_arn is None:
                raise ValueError("mode 'public' needs tlsCertificateArn (TLS is mandatory on a public endpoint)")
            if not self.allowed_cidrs:
                raise ValueError("mode 'public' needs a non-empty allowedCidrs allow-list")
            if "0.0.0.0/0" in self.allowed_cidrs:
                raise ValueError("allowedCidrs must not contain 0.0.0.0/0")
        return self
