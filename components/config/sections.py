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
    """Rule set the stack is held to (tag `compliance-profile`); all but `baseline` require endpoint auth."""
    data_classification: DataClassification = DataClassification.INTERNAL
    """Most sensitive data the service handles; tag and label `data-classification`."""
    owner: Annotated[str, Field(min_length=1, max_length=128)]
    """Team accountable for the stack (1-128 characters); tag and label `owner`."""
    residency_zone: K8sName = "us"
    """Where the data may reside; tag and label `residency-zone` (the policy pack checks the allowed zones)."""


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
    """VPC block: RFC 1918, /16 to /20; split into a node subnet per zone (and small public subnets)."""
    az_count: Annotated[int, Field(ge=2, le=6, strict=True)] = 3
    """Availability zones the subnets span (2-6); the region must have that many."""
    egress: bool | None = None
    """Internet egress (public subnets, NAT); fixed by the model: public-cloud/hybrid true, private-cloud false."""
    flow_log_retention_days: LogRetentionDays = 365
    """Days VPC flow logs (and hybrid VPN logs) stay in CloudWatch: a CloudWatch period, >= the profile's minimum."""


class ScalingConfig(ConfigModel):
    min_size: NonNegativeInt
    """Fewest nodes in the pool."""
    desired_size: NonNegativeInt
    """Nodes at creation (minSize <= desiredSize <= maxSize); Pulumi ignores later changes to it."""
    max_size: PositiveInt
    """Most nodes in the pool."""

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
    """Pool name, unique among gpuNodePools; nodes get the label `inference.gpu/pool=<name>`."""
    instance_types: Annotated[list[InstanceType], Field(min_length=1)]
    """EC2 GPU instance types of the managed node group (e.g. `g5.xlarge`)."""
    accelerator: Accelerator = Accelerator.NVIDIA
    """GPU AMI: `nvidia` = Amazon Linux 2023 NVIDIA (plugin from the chart), `nvidia-bottlerocket` = Bottlerocket."""
    capacity_type: CapacityType = CapacityType.ON_DEMAND
    """How EC2 capacity is bought: `SPOT` is cheaper, but AWS can reclaim the nodes at short notice."""
    disk_size_gib: Annotated[int, Field(ge=20, le=16384, strict=True)] = 200
    """Encrypted gp3 volume per node for images and containers, GiB (20-16384)."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra Kubernetes node labels; the pool and accelerator labels are always set and win."""


class SystemNodePoolConfig(ScalingConfig):
    instance_types: Annotated[list[InstanceType], Field(min_length=1)] = Field(default_factory=lambda: ["m6i.large"])
    """EC2 instance types of the untainted CPU pool for add-ons (CoreDNS, controllers)."""
    min_size: NonNegativeInt = 2
    """Fewest system nodes."""
    desired_size: NonNegativeInt = 2
    """System nodes at creation (minSize <= desiredSize <= maxSize); Pulumi ignores later changes to it."""
    max_size: PositiveInt = 4
    """Most system nodes."""
    disk_size_gib: Annotated[int, Field(ge=20, le=16384, strict=True)] = 50
    """Encrypted gp3 root volume per system node, GiB (20-16384)."""


class ClusterConfig(ConfigModel):
    kubernetes_version: KubernetesVersion = "1.33"
    """Kubernetes minor version of the EKS control plane and node pools."""
    # Secure default: API server reachable only from inside the VPC.
    endpoint_public_access: bool = False
    """Also open a public API endpoint, limited to publicAccessCidrs (refused on private-cloud)."""
    public_access_cidrs: list[Cidr] = Field(default_factory=list)
    """CIDRs that may reach the public API endpoint; required with endpointPublicAccess, no 0.0.0.0/0."""
    log_retention_days: LogRetentionDays = 365
    """Days EKS control-plane logs (audit included) stay: a CloudWatch period, >= the profile's minimum."""
    admin_role_arns: list[Arn] = Field(default_factory=list)
    """IAM roles given cluster-admin through EKS access entries."""
    system_node_pool: SystemNodePoolConfig = Field(default_factory=SystemNodePoolConfig)
    """The CPU node pool for cluster add-ons."""
    device_plugin_chart_version: Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")] = "0.17.1"
    """NVIDIA device plugin Helm chart version, for `nvidia` GPU pools."""

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
    """Model name: `MODEL_NAME` in the container, `<name>` in the KServe v2 paths `/v2/models/<name>`."""
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    """Model version of the stable track: `MODEL_VERSION`, the version label, a built image's tag."""


class ImageBuildConfig(ConfigModel):
    context: Annotated[str, Field(min_length=1)]
    """Directory of the Docker build context."""
    dockerfile: str = "Dockerfile"
    """Dockerfile path, relative to `context`."""
    platform: str = "linux/amd64"
    """Target platform of the build."""


class ImageConfig(ConfigModel):
    """Either an external image pinned by digest or a build context pushed to ECR."""

    reference: PinnedImage | None = None
    """Image to run, pinned by digest (onprem: from onprem.registryHost; private-cloud: the region's ECR)."""
    build: ImageBuildConfig | None = None
    """Build this context and push it to the stack's ECR repository instead (cloud models only)."""
    keep_images: Annotated[int, Field(ge=2, le=1000, strict=True)] = 10
    """Newest images the ECR lifecycle policy keeps (2-1000), so a rollback never needs a rebuild."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.reference is None) == (self.build is None):
            raise ValueError("set exactly one of 'reference' (an image pinned by digest) or 'build' (a build context)")
        return self


class PortsConfig(ConfigModel):
    http: Port | None = 8000
    """Container port of the HTTP (REST) endpoint; null for none (edge and the built-in check need it)."""
    grpc: Port | None = 8001
    """Container port of the gRPC endpoint; null for none; must differ from http."""

    @model_validator(mode="after")
    def _one_port(self) -> Self:
        if self.http is None and self.grpc is None:
            raise ValueError("at least one of 'http' or 'grpc' must be set")
        if self.http is not None and self.http == self.grpc:
            raise ValueError("'http' and 'grpc' must be different ports")
        return self


class ResourcesConfig(ConfigModel):
    cpu_request: Quantity = "2"
    """CPU request of each serving pod (Kubernetes quantity)."""
    cpu_limit: Quantity = "4"
    """CPU limit of each serving pod (Kubernetes quantity)."""
    memory_request: Quantity = "16Gi"
    """Memory request of each serving pod (Kubernetes quantity)."""
    memory_limit: Quantity = "16Gi"
    """Memory limit of each serving pod (Kubernetes quantity)."""


class AutoscalingConfig(ConfigModel):
    min_replicas: PositiveInt = 1
    """Fewest pods per track the HorizontalPodAutoscaler keeps; a canary candidate starts at this."""
    max_replicas: PositiveInt = 4
    """Most pods per track the HorizontalPodAutoscaler scales to."""
    target_cpu_utilization: Annotated[int, Field(ge=10, le=100, strict=True)] = 70
    """Average CPU use the autoscaler aims for, percent of the CPU request (10-100)."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"minReplicas ({self.min_replicas}) must be <= maxReplicas ({self.max_replicas})")
        return self


class ProbesConfig(ConfigModel):
    """KServe v2 health endpoints by default."""

    readiness_path: str = "/v2/health/ready"
    """HTTP path of the readiness probe; also the load-balancer, edge and acceptance health checks."""
    liveness_path: str = "/v2/health/live"
    """HTTP path of the liveness probe (a failing container is restarted)."""
    startup_path: str = "/v2/health/ready"
    """HTTP path of the startup probe, which holds liveness off while the model loads."""
    startup_failure_threshold: PositiveInt = 60
    """Startup probe failures before a restart: loading may take this times periodSeconds."""
    period_seconds: PositiveInt = 10
    """Seconds between probes (edge: between container health checks)."""


class InferenceConfig(ConfigModel):
    name: K8sName = "inference"
    """Service name: Deployment, Services, `app.kubernetes.io/name` label (edge: the container name)."""
    namespace: K8sName = "inference"
    """Namespace the stack creates for the service (hybrid: prefix of `<namespace>-<workload>`)."""
    model: ModelConfig
    """The model the stable version serves."""
    image: ImageConfig
    """The stable version's image: pinned by digest, or built (set exactly one of reference, build)."""
    replicas: PositiveInt = 1
    """Pods the stable Deployment asks for (the autoscaler then scales it), within minReplicas..maxReplicas."""
    gpus_per_replica: NonNegativeInt = 1
    """GPUs (`nvidia.com/gpu`) each pod requests; 0 = no GPU node selector or GPU toleration."""
    ports: PortsConfig = Field(default_factory=PortsConfig)
    """Container ports the model server listens on."""
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)
    """CPU and memory requests and limits of each serving pod (Kubernetes models)."""
    autoscaling: AutoscalingConfig = Field(default_factory=AutoscalingConfig)
    """HorizontalPodAutoscaler bounds and target of each track (Kubernetes models)."""
    probes: ProbesConfig = Field(default_factory=ProbesConfig)
    """Health-check paths and timing; a gRPC-only service is probed with gRPC health checks."""
    node_pool: K8sName | None = None
    """gpuNodePools entry the pods run on (cloud models); unset = the first pool."""
    args: list[str] = Field(default_factory=list)
    """Container args; `$(VAR)` expands MODEL_NAME, MODEL_VERSION, HTTP_PORT, GRPC_PORT (Kubernetes models)."""

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
    """`internal`: reachable from the VPC and linked networks; `public`: internet-facing (cloud models)."""
    tls_certificate_arn: Arn | None = None
    """ACM certificate the cloud load balancer serves TLS with; without it aws-alb serves in-cluster only."""
    allowed_cidrs: list[Cidr] = Field(default_factory=list)
    """Clients the load balancer admits: the whole allow-list if public; private-cloud: extra clients."""

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
