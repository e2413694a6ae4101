"""Config sections specific to one deployment model (or to rollout/monitoring).

Each section is optional at the top level; ``StackConfig`` requires the ones
the chosen deployment model needs.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections import Counter
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NamedTuple, Self

from pydantic import AfterValidator, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from .base import ConfigModel
from .inventory import InventoryError, read_inventory
from .types import (
    RFC1918,
    Arn,
    ComplianceProfile,
    DataClassification,
    K8sName,
    Percent,
    PinnedImage,
    Port,
    PrivateCidr,
)

_HOST_PORT = r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$"
_SEMVER = r"^v?[0-9]+\.[0-9]+\.[0-9]+$"
# Kubernetes label keys ([prefix/]name) and values.
_LABEL_KEY = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
_LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"


class PrivateCloudConfig(ConfigModel):
    """Tenant-isolated AWS: dedicated tenancy, PrivateLink only, no internet path."""

    use_fips_endpoints: bool = True
    """FIPS AWS endpoints (provider, VPC endpoints, pod SDKs) and FIPS TLS policy; FedRAMP needs true."""
    transit_gateway_id: Annotated[str, Field(pattern=r"^tgw-[0-9a-f]{8,17}$")] | None = None
    """Transit Gateway to attach the VPC to, linking the tenant's own network."""
    tenant_cidrs: list[PrivateCidr] = Field(default_factory=list)
    """Tenant networks routed via the Transit Gateway and admitted as clients; disjoint from network.cidr."""
    endpoint_service_allowed_principals: list[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:.+$")]] = (
        Field(default_factory=list)
    )
    """IAM principals that may request PrivateLink connections to the NLB; non-empty publishes it (with acceptance)."""
    device_plugin_image: PinnedImage | None = None
    """NVIDIA device plugin mirrored into the region's ECR, by digest (no path to nvcr.io); needed by `nvidia` pools."""
    load_balancer_controller_image: PinnedImage | None = None
    """AWS Load Balancer Controller mirrored into the region's ECR, by digest (no path to public.ecr.aws); required."""

    @model_validator(mode="after")
    def _tenant_link(self) -> Self:
        if self.tenant_cidrs and self.transit_gateway_id is None:
            raise ValueError("tenantCidrs needs transitGatewayId (the attachment the routes go through)")
        return self


class OnpremConfig(ConfigModel):
    """An existing Kubernetes cluster reached by kubeconfig (secret key ``kubeconfig``)."""

    context: Annotated[str, Field(min_length=1)]
    """Context in the `kubeconfig` secret to use for the site's cluster."""
    site: K8sName = "site-a"
    """Name of the data-centre site; labels namespaces and pods `inference.platform/site`."""
    registry_host: Annotated[str, Field(pattern=_HOST_PORT)]
    """On-site registry (`host[:port]`) every image must come from, pinned by digest."""
    storage_class: K8sName = "standard"
    """StorageClass of each pod's model-cache volume."""
    model_cache_size: Annotated[str, Field(pattern=r"^[0-9]+(Mi|Gi|Ti)$")] = "200Gi"
    """Size of each pod's model-cache volume (`Mi`, `Gi` or `Ti`); its mount path is in env `MODEL_CACHE_DIR`."""
    ingress_class: K8sName = "nginx"
    """IngressClass of the site's ingress-nginx controller."""
    ingress_namespace: K8sName = "ingress-nginx"
    """Namespace of the ingress controller's pods: the only source the service's NetworkPolicy admits."""
    hostname: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")] = "inference.example.internal"
    """Ingress host: the service is `https://<hostname>`, gRPC `grpc.<hostname>` (hybrid: `<workload>.<hostname>`)."""
    tls_secret_name: K8sName | None = None
    """Existing `kubernetes.io/tls` secret in the service's namespace; set exactly one of this and certManagerIssuer."""
    cert_manager_issuer: K8sName | None = None
    """cert-manager ClusterIssuer that issues the ingress certificate into `<service>-tls`."""
    gpu_operator_chart_version: Annotated[str, Field(pattern=_SEMVER)] = "v25.3.0"
    """NVIDIA GPU Operator Helm chart version; it also pins the operator's component images."""
    install_driver: bool = True
    """Let the GPU Operator install the NVIDIA driver; false for nodes with a preinstalled driver."""
    gpu_operator_namespace: K8sName = "gpu-operator"
    """Namespace the GPU Operator is installed in."""

    @model_validator(mode="after")
    def _tls_source(self) -> Self:
        if (self.tls_secret_name is None) == (self.cert_manager_issuer is None):
            raise ValueError("set exactly one of tlsSecretName or certManagerIssuer (the ingress always serves TLS)")
        return self


class Side(StrEnum):
    ONPREM = "onprem"
    CLOUD = "cloud"


def _default_placement() -> dict[DataClassification, Side]:
    return {
        DataClassification.PHI: Side.ONPREM,
        DataClassification.CUI: Side.ONPREM,
        DataClassification.INTERNAL: Side.CLOUD,
        DataClassification.PUBLIC: Side.CLOUD,
    }


class HybridWorkload(ConfigModel):
    name: K8sName
    """Workload name, unique; it runs in namespace `<inference.namespace>-<name>`."""
    data_classification: DataClassification
    """Data the workload handles; hybrid.placement maps it to the side it runs on."""


class HybridConfig(ConfigModel):
    """Cloud side + on-prem side, joined by a site-to-site VPN."""

    customer_gateway_ip: Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")]
    """Public IPv4 address of the site's VPN device (not private, loopback or 0.0.0.0)."""
    bgp_asn: Annotated[int, Field(ge=1, le=4294967294, strict=True)] = 65000
    """ASN of the site's customer gateway (routing is static; AWS still requires one)."""
    onprem_cidrs: Annotated[list[PrivateCidr], Field(min_length=1)]
    """Site networks routed over the VPN, disjoint from network.cidr; the cloud side's load balancer admits them."""
    placement: dict[DataClassification, Side] = Field(default_factory=_default_placement)
    """Side each data classification runs on; a classification placed on-prem never runs in the cloud."""
    workloads: Annotated[list[HybridWorkload], Field(min_length=1)]
    """Services to run, each on its classification's side; both sides need at least one."""

    @model_validator(mode="after")
    def _rules(self) -> Self:
        ip = ipaddress.IPv4Address(self.customer_gateway_ip)
        if any(ip in block for block in RFC1918) or ip.is_loopback or ip.is_unspecified:
            raise ValueError(f"customerGatewayIp must be the site's public IP, got {self.customer_gateway_ip!r}")
        missing = sorted({w.data_classification.value for w in self.workloads} - {c.value for c in self.placement})
        if missing:
            raise ValueError(
                f"placement has no side for data classification(s) {missing}; allowed sides: onprem, cloud"
            )
        names = [w.name for w in self.workloads]
        if len(set(names)) != len(names):
            raise ValueError(f"workloads names must be unique, got {names}")
        return self


class Accel(StrEnum):
    """What a device offers the container: a discrete NVIDIA GPU, a Jetson module, or CPU only."""

    NVIDIA = "nvidia"
    JETSON = "jetson"
    NONE = "none"


_SSH_HOST_RE = re.compile(r"^ssh://[A-Za-z0-9._-]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$")


def _ssh_host(value: str) -> str:
    if not _SSH_HOST_RE.match(value):
        raise ValueError(f"must be an SSH Docker host 'ssh://user@host[:port]', got {value!r}")
    return value


def _serving_address(value: str) -> str:
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(f"must be the device's IPv4 address, such as '10.1.0.11', got {value!r}") from None
    # 0.0.0.0 would publish the model on every interface of the device, including uplinks.
    if address.is_unspecified or address.is_multicast or address == ipaddress.IPv4Address("255.255.255.255"):
        raise ValueError(f"must be one of the device's own addresses, not {value!r} (never 0.0.0.0)")
    return str(address)


SshHost = Annotated[str, AfterValidator(_ssh_host)]
ServingAddress = Annotated[str, AfterValidator(_serving_address)]


class EdgeDevice(ConfigModel):
    name: K8sName
    """Device name, unique in the fleet; names its resources and decides its hash shard."""
    host: SshHost
    """Docker host over SSH, `ssh://user@host[:port]`; its host key must already be known."""
    serving_address: ServingAddress
    """The device's own IPv4 address the container's ports are published on (never 0.0.0.0)."""
    site: K8sName
    """Site of the device (label `inference.platform/site`); shard by `site` selects on it."""
    residency_zone: K8sName
    """Where this device's data stays; replaces compliance.residencyZone in its container labels."""
    accelerator: Accel = Accel.NVIDIA
    """`nvidia`: discrete GPU (`--gpus all`); `jetson`: NVIDIA container runtime; `none`: CPU only."""
    wave: Annotated[int, Field(ge=0, le=100, strict=True)] = 1
    """Rollout wave (0-100); devices in waves up to edge.candidateMaxWave run the candidate."""


class ShardBy(StrEnum):
    SITE = "site"
    HASH = "hash"


def shard_bucket(device_name: str, count: int) -> int:
    """The hash bucket of a device: sha256 of its name mod ``count``.

    sha256 rather than ``hash()``: Python salts string hashes per process, and a
    device must land in the same shard (stack) on every run and every machine.
    """
    return int.from_bytes(hashlib.sha256(device_name.encode()).digest()[:8], "big") % count


class EdgeShardConfig(ConfigModel):
    """Selects the devices this stack manages, so a large fleet is split across stacks."""

    by: ShardBy
    """How the fleet is split among stacks: `site` by listed sites, `hash` by sha256 of the device name."""
    sites: list[K8sName] = Field(default_factory=list)
    """by `site`: the sites whose devices this stack manages."""
    index: Annotated[int, Field(ge=0, strict=True)] = 0
    """by `hash`: the bucket this stack manages, 0 to count - 1."""
    count: Annotated[int, Field(ge=1, le=1024, strict=True)] = 1
    """by `hash`: number of buckets (stacks) the fleet is split into (1-1024)."""

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if self.by is ShardBy.SITE:
            if not self.sites:
                raise ValueError("shard by 'site' needs a non-empty 'sites' list")
            if "index" in self.model_fields_set or "count" in self.model_fields_set:
                raise ValueError("shard by 'site' takes 'sites' only; 'index' and 'count' belong to by 'hash'")
        if self.by is ShardBy.HASH:
            if self.sites:
                raise ValueError("shard by 'hash' takes 'index' and 'count'; 'sites' belongs to by 'site'")
            if self.index >= self.count:
                raise ValueError(f"shard index ({self.index}) must be < count ({self.count})")
        return self

    def selects(self, device: EdgeDevice) -> bool:
        """Whether ``device`` belongs to this shard; looks at no other device, so O(1) per device."""
        if self.by is ShardBy.SITE:
            return device.site in self.sites
        return shard_bucket(device.name, self.count) == self.index


# Validation context key: the directory edge.inventory is relative to (set by components.config.loader).
PROJECT_DIR = "project_dir"
# Error type of an unusable inventory file; its context names the file (components.config.loader).
INVENTORY_ERROR = "edge_inventory"


class EdgeConfig(ConfigModel):
    """A fleet of Docker hosts reached over SSH, one inference container each.

    ``devices`` lists the whole fleet (every shard's stack may carry the same
    list), inline or read from the ``inventory`` file; ``shard`` picks the
    devices this stack manages.
    """

    devices: Annotated[list[EdgeDevice], Field(default_factory=list, min_length=1)]
    """The whole fleet inline (every shard's stack may list all of it); names unique. Set this or `inventory`."""
    inventory: str | None = None
    """YAML file `devices: [...]` listing the fleet instead of `devices`, relative to the project directory."""
    candidate_max_wave: Annotated[int, Field(ge=0, le=100, strict=True)] | None = None
    """Devices in waves <= this (0-100) run rollout.candidate; unset = every device on stable."""
    shard: EdgeShardConfig | None = None
    """Selects the devices this stack manages; unset = every device."""
    memory_limit_mb: Annotated[int, Field(ge=256, strict=True)] = 8192
    """Memory limit of each container, MB (at least 256); no swap on top."""
    cpus: Annotated[float, Field(ge=0.01, le=256)] = 4.0
    """CPUs each container may use (0.01-256)."""
    tmp_size_mb: Annotated[int, Field(ge=1, le=65536, strict=True)] = 256
    """Size of the tmpfs on /tmp, MB (1-65536; the root filesystem is read-only)."""
    log_max_size: Annotated[str, Field(pattern=r"^[0-9]+[kmg]$")] = "50m"
    """Size at which a container's json-file log rotates (`k`, `m` or `g`)."""
    log_max_files: Annotated[int, Field(ge=1, le=100, strict=True)] = 5
    """Log files kept per container (1-100)."""
    run_as_user: Annotated[str, Field(pattern=r"^[1-9][0-9]{2,}(:[0-9]+)?$")] = "10001:10001"
    """`uid[:gid]` the container runs as; uid 100 or higher (never root)."""

    @model_validator(mode="before")
    @classmethod
    def _devices_from_inventory(cls, data: Any, info: ValidationInfo) -> Any:
        """Exactly one of ``devices`` and ``inventory``; the file's devices are validated as inline ones."""
        if not isinstance(data, dict):
            return data
        inline, inventory = data.get("devices"), data.get("inventory")
        if (inline is None) == (inventory is None):
            got = "both" if inventory is not None else "neither"
            raise PydanticCustomError(
                "edge_devices",
                "set exactly one of devices (the fleet inline) and inventory (a file listing it), got {got}",
                {"got": got},
            )
        if not isinstance(inventory, str):
            return data  # inline devices, or an inventory that is not a string: the field check names it
        context = info.context if isinstance(info.context, dict) else {}
        try:
            devices = read_inventory(inventory, Path(context.get(PROJECT_DIR) or Path.cwd()))
        except InventoryError as exc:
            raise PydanticCustomError(INVENTORY_ERROR, "{problem}", {"file": inventory, "problem": str(exc)}) from None
        return {**data, "devices": devices}

    @model_validator(mode="after")
    def _fleet(self) -> Self:
        counts = Counter(d.name for d in self.devices)
        dupes = sorted(name for name, n in counts.items() if n > 1)
        if dupes:
            where = f" in inventory {self.inventory}" if self.inventory else ""
            raise ValueError(f"devices[].name must be unique, got duplicates {dupes}{where}")
        if self.shard is not None:
            if self.shard.by is ShardBy.SITE:
                unknown = sorted(set(self.shard.sites) - {d.site for d in self.devices})
                if unknown:
                    raise ValueError(f"shard.sites must name sites of devices, got unknown site(s) {unknown}")
            if not any(self.shard.selects(d) for d in self.devices):
                shard = self.shard.model_dump(mode="json", by_alias=True, exclude_defaults=True)
                raise ValueError(f"shard must select at least one device, got none for shard {shard}")
        return self

    def selected_devices(self) -> list[EdgeDevice]:
        """The devices this stack manages: every device, or the shard's share of them."""
        if self.shard is None:
            return list(self.devices)
        return [d for d in self.devices if self.shard.selects(d)]

    def runs_candidate(self, device: EdgeDevice) -> bool:
        """Staged rollout: waves up to ``candidateMaxWave`` run the candidate, the rest stay on stable."""
        return self.candidate_max_wave is not None and device.wave <= self.candidate_max_wave


def _json_text(value: str) -> str:
    try:
        json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"must be a JSON document (the request body sent to the model): {exc.msg}") from None
    return value


class RolloutStrategy(StrEnum):
    CANARY = "canary"
    BLUE_GREEN = "blue-green"


class TrafficRouter(StrEnum):
    """How the weighted split is implemented; None in config = the model's default."""

    GATEWAY_API = "gateway-api"
    AWS_ALB = "aws-alb"
    INGRESS_NGINX = "ingress-nginx"


class ActiveVersion(StrEnum):
    STABLE = "stable"
    CANDIDATE = "candidate"


class CandidateConfig(ConfigModel):
    image: PinnedImage
    """Candidate image, pinned by digest; a different digest from the stable image."""
    model_version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    """Model version the candidate serves (`MODEL_VERSION`, the version label)."""


class AcceptanceTestConfig(ConfigModel):
    """The Job run after each rollout step: readiness and a sample request against each version, in-cluster."""

    enabled: bool = True
    """Run the check after each rollout step (Kubernetes models); a failing Job fails `pulumi up`."""
    image: PinnedImage | None = None
    """Check image by digest; its entrypoint runs with the targets in env, exit 0 passes; unset = built-in REST."""
    sample_path: Annotated[str, Field(pattern=r"^/[^\s]*$")] = "/v2/models/{model}/infer"
    """Path the sample request is POSTed to; `{model}` becomes inference.model.name."""
    sample_payload: Annotated[str, AfterValidator(_json_text)] | None = None
    """JSON request the model accepts; unset = only readiness and the model's metadata are checked."""
    timeout_seconds: Annotated[int, Field(ge=10, le=3600, strict=True)] = 300
    """Seconds the check waits for the versions to become ready (10-3600); the Job is stopped 120 s later."""


class RolloutConfig(ConfigModel):
    """Staged rollout: the stable version is ``inference.image``/``inference.model.version``."""

    strategy: RolloutStrategy = RolloutStrategy.CANARY
    """`canary`: canaryWeight percent goes to the candidate; `blue-green`: candidate at full size, `active` gets all."""
    candidate: CandidateConfig | None = None
    """The version rolled out beside the stable one; unset = stable only."""
    canary_weight: Percent = 0
    """canary: percent of requests sent to the candidate."""
    active: ActiveVersion = ActiveVersion.STABLE
    """blue-green: the version the stable-named Service sends all traffic to."""
    traffic_router: TrafficRouter | None = None
    """`gateway-api`: HTTPRoutes on an existing Gateway; others: Ingresses; unset = aws-alb (cloud), ingress-nginx."""
    gateway_name: K8sName | None = None
    """gateway-api: the existing Gateway the HTTPRoutes attach to (required there)."""
    gateway_namespace: K8sName | None = None
    """gateway-api: the Gateway's namespace; unset = the service's namespace."""
    acceptance_test: AcceptanceTestConfig = Field(default_factory=AcceptanceTestConfig)
    """The check run after each rollout step."""

    @model_validator(mode="after")
    def _candidate_needed(self) -> Self:
        if self.candidate is None and (self.canary_weight or self.active is ActiveVersion.CANDIDATE):
            raise ValueError("canaryWeight > 0 or active: candidate needs a 'candidate' (image and modelVersion)")
        if self.strategy is RolloutStrategy.CANARY and self.active is ActiveVersion.CANDIDATE:
            raise ValueError(
                "active applies to strategy 'blue-green'; a canary shifts traffic with canaryWeight "
                "(promote by making the candidate the stable version)"
            )
        if self.strategy is RolloutStrategy.BLUE_GREEN and self.canary_weight:
            raise ValueError(
                f"canaryWeight applies to strategy 'canary'; blue-green switches all traffic with active "
                f"(stable|candidate), got canaryWeight {self.canary_weight}"
            )
        if self.traffic_router is TrafficRouter.GATEWAY_API and self.gateway_name is None:
            raise ValueError("trafficRouter 'gateway-api' needs gatewayName (the Gateway the HTTPRoute attaches to)")
        if self.traffic_router is not TrafficRouter.GATEWAY_API and (
            self.gateway_name is not None or self.gateway_namespace is not None
        ):
            raise ValueError("gatewayName and gatewayNamespace apply only to trafficRouter 'gateway-api'")
        return self


class AuthMode(StrEnum):
    NONE = "none"
    MTLS = "mtls"
    OIDC = "oidc"


_HTTPS_URL = r"^https://[^\s]+$"


class OidcConfig(ConfigModel):
    issuer: Annotated[str, Field(pattern=_HTTPS_URL)]
    """Token issuer, an https URL."""
    audiences: Annotated[list[str], Field(min_length=1)]
    """Audiences a token must carry (checked by the gateway-api JWT provider)."""
    jwks_uri: Annotated[str, Field(pattern=_HTTPS_URL)] | None = None
    """gateway-api: JWKS URL of the keys Envoy Gateway validates tokens with (required there)."""
    authorization_endpoint: Annotated[str, Field(pattern=_HTTPS_URL)] | None = None
    """aws-alb: the IdP's authorization endpoint for authenticate-oidc (required there)."""
    token_endpoint: Annotated[str, Field(pattern=_HTTPS_URL)] | None = None
    """aws-alb: the IdP's token endpoint (required there)."""
    user_info_endpoint: Annotated[str, Field(pattern=_HTTPS_URL)] | None = None
    """aws-alb: the IdP's user-info endpoint (required there)."""
    client_secret_name: K8sName | None = None
    """aws-alb: Kubernetes secret in the service's namespace with keys clientID, clientSecret."""
    auth_url: Annotated[str, Field(pattern=_HTTPS_URL)] | None = None
    """ingress-nginx: external auth service (e.g. oauth2-proxy) that validates the bearer token."""


class AuthConfig(ConfigModel):
    mode: AuthMode = AuthMode.NONE
    """`mtls`: client certificates; `oidc`: bearer tokens; `none`: no authentication (refused unless baseline)."""
    client_ca_secret: K8sName | None = None
    """mtls: Kubernetes secret with the client CA bundle (key `ca.crt`) in the service's namespace."""
    alb_trust_store_arn: Arn | None = None
    """mtls on aws-alb: the ELB trust store holding the client CA bundle the ALB verifies against."""
    oidc: OidcConfig | None = None
    """oidc: the identity provider's settings (required with mode oidc)."""

    @model_validator(mode="after")
    def _mode_settings(self) -> Self:
        if self.mode is AuthMode.MTLS and self.client_ca_secret is None:
            raise ValueError("auth mode 'mtls' needs clientCaSecret")
        if self.mode is AuthMode.OIDC and self.oidc is None:
            raise ValueError("auth mode 'oidc' needs the 'oidc' settings (issuer, audiences)")
        return self


class IntegrationConfig(ConfigModel):
    """Client-facing surface: authentication and limits at the ingress or gateway."""

    auth: AuthConfig = Field(default_factory=AuthConfig)
    """How clients authenticate at the router."""
    request_timeout_seconds: Annotated[int, Field(ge=1, le=3600, strict=True)] = 60
    """Seconds a request may take at the router, 1-3600 (nginx proxy timeouts, ALB idle timeout, REST HTTPRoute)."""
    max_body_size_mb: Annotated[int, Field(ge=1, le=1024, strict=True)] = 16
    """Largest request body, MB, 1-1024 (ingress-nginx, Envoy Gateway REST routes; the ALB has no such limit)."""
    rate_limit_rps: Annotated[int, Field(ge=1, le=100000, strict=True)] = 50
    """Requests per second allowed at the router, 1-100000 (per client IP on ingress-nginx and the ALB's WAF)."""
    fallback_service: K8sName | None = None
    """ingress-nginx only: Service in the namespace that answers when the backend fails with 502, 503 or 504."""


class ScrapeMode(StrEnum):
    SERVICE_MONITOR = "service-monitor"
    ANNOTATIONS = "annotations"


class ThresholdsConfig(ConfigModel):
    """Alert thresholds (Prometheus rules and CloudWatch alarms) outside a hypercare window."""

    p95_latency_ms: Annotated[int, Field(ge=1, strict=True)] = 1000
    """p95 inference latency that fires the latency alert (worst pod) and the ALB p95 alarm, ms."""
    error_rate_percent: Annotated[float, Field(gt=0, le=100)] = 2.0
    """Failed share of inference requests that fires the error-rate alert and ALB 5xx alarm, percent."""
    gpu_utilization_percent: Annotated[int, Field(ge=1, le=100, strict=True)] = 95
    """GPU utilisation (DCGM) above which the saturation alert fires after 15 minutes, percent."""
    gpu_memory_percent: Annotated[int, Field(ge=1, le=100, strict=True)] = 90
    """GPU frame-buffer use above which the memory alert fires after 15 minutes, percent."""
    pod_restarts_per_hour: Annotated[int, Field(ge=1, strict=True)] = 3
    """Restarts of one serving pod within an hour above which the restart alert fires."""
    candidate_error_margin_percent: Annotated[float, Field(gt=0, le=100)] = 1.0
    """Canary: alert when the candidate's error rate exceeds stable's by this many points."""


class HypercareConfig(ConfigModel):
    """The go-live window: from ``startDate`` for ``days`` days, alerts fire earlier."""

    start_date: date
    """First day of the window (YYYY-MM-DD); each plan decides by its UTC date whether it is open."""
    days: Annotated[int, Field(ge=30, le=90, strict=True)] = 30
    """Length of the window, days (30-90)."""
    tighten_factor: Annotated[float, Field(ge=0.1, le=1)] = 0.5
    """In the window: latency, error, restart, margin thresholds times this (0.1-1); GPU ones keep 1/this headroom."""

    @property
    def end_date(self) -> date:
        """The first day after the window."""
        return self.start_date + timedelta(days=self.days)

    def active_on(self, day: date) -> bool:
        """Whether ``day`` falls inside the window (``startDate`` included, ``endDate`` excluded)."""
        return self.start_date <= day < self.end_date


class ComplianceRetention(NamedTuple):
    """Shortest retention (days) a compliance profile accepts for audit logs."""

    log_group_days: int
    """CloudWatch log groups (control-plane audit, VPC flow logs): searchable, hot."""
    archive_days: int
    """The Object Lock (WORM) archive of the same logs in S3."""


# Log groups: the policy pack's minRetentionDays per profile. Archive: HIPAA keeps documentation of
# activities six years (45 CFR 164.316(b)(2)(i)) -> 2192 days, in the cheap immutable archive rather
# than in CloudWatch; FedRAMP follows OMB M-21-31 (12 months hot + 18 months cold) rounded up to 3 years.
RETENTION_MINIMUMS: dict[ComplianceProfile, ComplianceRetention] = {
    ComplianceProfile.BASELINE: ComplianceRetention(log_group_days=30, archive_days=90),
    ComplianceProfile.HIPAA: ComplianceRetention(log_group_days=365, archive_days=2192),
    ComplianceProfile.FEDRAMP_MODERATE: ComplianceRetention(log_group_days=365, archive_days=1096),
    ComplianceProfile.FEDRAMP_HIGH: ComplianceRetention(log_group_days=365, archive_days=1096),
}


class MonitoringConfig(ConfigModel):
    """Go-live monitoring: metrics scraping, alert thresholds, the hypercare window and the audit archive."""

    scrape: ScrapeMode = ScrapeMode.SERVICE_MONITOR
    """`service-monitor`: ServiceMonitor + PrometheusRule (needs CRDs); `annotations`: `prometheus.io/*`, ConfigMap."""
    dcgm_exporter: bool = True
    """Run the DCGM exporter on EKS GPU nodes and alert on GPU saturation (on-prem: the GPU Operator's)."""
    metrics_port: Port = 8002
    """Port of the serving container's Prometheus endpoint (Triton: --metrics-port, default 8002)."""
    metrics_path: Annotated[str, Field(pattern=r"^/[^\s]*$")] = "/metrics"
    """HTTP path of the serving container's Prometheus endpoint."""
    prometheus_namespace: K8sName = "monitoring"
    """Namespace Prometheus runs in: the only source the metrics port admits."""
    prometheus_labels: dict[Annotated[str, Field(pattern=_LABEL_KEY)], Annotated[str, Field(pattern=_LABEL_VALUE)]] = (
        Field(default_factory=dict)
    )
    """Labels the Prometheus Operator selects ServiceMonitors and rules by (e.g. `release: <name>`)."""
    dcgm_exporter_image: PinnedImage | None = None
    """DCGM exporter image pinned by digest (private-cloud: mirrored into the region's ECR); unset = chart's."""
    runbook_url: Annotated[str, Field(pattern=r"^\S+$")] = "docs/runbook.md"
    """Where operators read the runbook; every alert links to `<runbookUrl>#<alert name, lower case>`."""
    thresholds: ThresholdsConfig = Field(default_factory=ThresholdsConfig)
    """Alert thresholds outside a hypercare window."""
    hypercare: HypercareConfig | None = None
    """Go-live window in which alerts fire earlier; unset = none."""
    audit_archive_days: Annotated[int, Field(ge=1, le=36500, strict=True)] | None = None
    """Object Lock retention of the cloud audit-log archive, days (>= the profile's minimum); unset = that minimum."""

    def archive_days(self, profile: ComplianceProfile) -> int:
        """The audit archive's Object Lock retention: ``auditArchiveDays``, else the profile's minimum."""
        return self.audit_archive_days or RETENTION_MINIMUMS[profile].archive_days
