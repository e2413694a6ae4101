"""Config sections specific to one deployment model (or to rollout/monitoring).

Each section is optional at the top level; ``StackConfig`` requires the ones
the chosen deployment model needs.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from .base import ConfigModel
from .types import RFC1918, DataClassification, K8sName, PrivateCidr

_HOST_PORT = r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$"
_SEMVER = r"^v?[0-9]+\.[0-9]+\.[0-9]+$"


class PrivateCloudConfig(ConfigModel):
    """Tenant-isolated AWS: dedicated tenancy, PrivateLink only, no internet path."""

    use_fips_endpoints: bool = True
    # Optional link to the tenant's own network (Transit Gateway attachment).
    transit_gateway_id: Annotated[str, Field(pattern=r"^tgw-[0-9a-f]{8,17}$")] | None = None
    tenant_cidrs: list[PrivateCidr] = Field(default_factory=list)
    # Publish the service to consumer VPCs as a PrivateLink endpoint service (acceptance always required).
    endpoint_service_allowed_principals: list[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:.+$")]] = (
        Field(default_factory=list)
    )

    @model_validator(mode="after")
    def _tenant_link(self) -> Self:
        if self.tenant_cidrs and self.transit_gateway_id is None:
            raise ValueError("tenantCidrs needs transitGatewayId (the attachment the routes go through)")
        return self


class OnpremConfig(ConfigModel):
    """An existing Kubernetes cluster reached by kubeconfig (secret key ``kubeconfig``)."""

    context: Annotated[str, Field(min_length=1)]
    site: K8sName = "site-a"
    # Images come only from this on-site registry, pinned by digest.
    registry_host: Annotated[str, Field(pattern=_HOST_PORT)]
    storage_class: K8sName = "standard"
    model_cache_size: Annotated[str, Field(pattern=r"^[0-9]+(Mi|Gi|Ti)$")] = "200Gi"
    ingress_class: K8sName = "nginx"
    hostname: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")] = "inference.example.internal"
    # TLS for the ingress: an existing kubernetes.io/tls secret, or a cert-manager Issuer that issues one.
    tls_secret_name: K8sName | None = None
    cert_manager_issuer: K8sName | None = None
    gpu_operator_chart_version: Annotated[str, Field(pattern=_SEMVER)] = "v25.3.0"
    # On-prem nodes usually lack the NVIDIA driver; the operator installs it.
    install_driver: bool = True
    gpu_operator_namespace: K8sName = "gpu-operator"

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
    data_classification: DataClassification


class HybridConfig(ConfigModel):
    """Cloud side + on-prem side, joined by a site-to-site VPN."""

    customer_gateway_ip: Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")]
    bgp_asn: Annotated[int, Field(ge=1, le=4294967294, strict=True)] = 65000
    onprem_cidrs: Annotated[list[PrivateCidr], Field(min_length=1)]
    # data classification -> side; a classification placed on-prem never runs in the cloud.
    placement: dict[DataClassification, Side] = Field(default_factory=_default_placement)
    workloads: Annotated[list[HybridWorkload], Field(min_length=1)]

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
    NVIDIA = "nvidia"
    JETSON = "jetson"
    NONE = "none"


class EdgeDevice(ConfigModel):
    name: K8sName
    host: Annotated[str, Field(pattern=r"^ssh://[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:[0-9]{1,5})?$")]
    # The device-local address the service binds to (never 0.0.0.0).
    serving_address: Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")]
    site: K8sName
    residency_zone: K8sName
    accelerator: Accel = Accel.NVIDIA
    wave: Annotated[int, Field(ge=0, le=100, strict=True)] = 1

    @model_validator(mode="after")
    def _address(self) -> Self:
        if ipaddress.IPv4Address(self.serving_address).is_unspecified:
            raise ValueError("servingAddress must be the device's own address, not 0.0.0.0")
        return self


class ShardBy(StrEnum):
    SITE = "site"
    HASH = "hash"


class EdgeShardConfig(ConfigModel):
    """Selects the devices this stack manages, so a large fleet is split across stacks."""

    by: ShardBy
    # by=site: the site names in this shard; by=hash: index of `count` hash buckets.
    sites: list[K8sName] = Field(default_factory=list)
    index: Annotated[int, Field(ge=0, strict=True)] = 0
    count: Annotated[int, Field(ge=1, le=1024, strict=True)] = 1

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if self.by is ShardBy.SITE and not self.sites:
            raise ValueError("shard by 'site' needs a non-empty 'sites' list")
        if self.by is ShardBy.HASH and self.index >= self.count:
            raise ValueError(f"shard index ({self.index}) must be < count ({self.count})")
        return self


class EdgeConfig(ConfigModel):
    devices: Annotated[list[EdgeDevice], Field(min_length=1)]
    # Devices in waves <= this run the rollout candidate; None = every device on stable.
    candidate_max_wave: Annotated[int, Field(ge=0, le=100, strict=True)] | None = None
    shard: EdgeShardConfig | None = None
    memory_limit_mb: Annotated[int, Field(ge=256, strict=True)] = 8192
    cpus: Annotated[float, Field(gt=0, le=256)] = 4.0
    log_max_size: Annotated[str, Field(pattern=r"^[0-9]+[kmg]$")] = "50m"
    log_max_files: Annotated[int, Field(ge=1, le=100, strict=True)] = 5
    run_as_user: Annotated[str, Field(pattern=r"^[1-9][0-9]{2,}(:[0-9]+)?$")] = "10001:10001"

    @model_validator(mode="after")
    def _unique(self) -> Self:
        names = [d.name for d in self.devices]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"device names must be unique, duplicated: {dupes}")
        return self


class RolloutConfig(ConfigModel):
    """Staged rollout of a candidate model version (filled in by the rollout work)."""


class MonitoringConfig(ConfigModel):
    """Hypercare monitoring (filled in by the monitoring work)."""
