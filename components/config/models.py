"""Config sections specific to one deployment model (or to rollout/monitoring).

Each section is optional at the top level; ``StackConfig`` requires the ones
the chosen deployment model needs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import ConfigModel
from .types import K8sName, PrivateCidr


class PrivateCloudConfig(ConfigModel):
    """Tenant-isolated AWS: dedicated tenancy, PrivateLink only, no internet path."""

    use_fips_endpoints: bool = True
    # Optional link to the tenant's own network.
    transit_gateway_id: Annotated[str, Field(pattern=r"^tgw-[0-9a-f]{8,17}$")] | None = None
    tenant_cidrs: list[PrivateCidr] = Field(default_factory=list)
    # Publish the service to consumer VPCs through a PrivateLink endpoint service.
    endpoint_service_allowed_principals: list[str] = Field(default_factory=list)


class OnpremConfig(ConfigModel):
    """An existing Kubernetes cluster reached by kubeconfig (secret key ``kubeconfig``)."""

    context: Annotated[str, Field(min_length=1)]
    registry_host: Annotated[str, Field(pattern=r"^[a-z0-9.-]+(:[0-9]+)?$")]
    storage_class: K8sName = "standard"
    ingress_class: K8sName = "nginx"
    tls_secret_name: K8sName | None = None
    cert_manager_issuer: K8sName | None = None
    gpu_operator_chart_version: Annotated[str, Field(pattern=r"^v?[0-9]+\.[0-9]+\.[0-9]+$")] = "v25.3.0"
    install_driver: bool = True
    hostname: Annotated[str, Field(pattern=r"^[a-z0-9.-]+$")] = "inference.example.internal"


class HybridConfig(ConfigModel):
    """Site-to-site VPN between the cloud side and the on-prem side."""

    customer_gateway_ip: Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")]
    bgp_asn: Annotated[int, Field(ge=1, le=4294967294, strict=True)] = 65000
    onprem_cidrs: Annotated[list[PrivateCidr], Field(min_length=1)]
    # data classification -> "onprem" | "cloud"
    placement: dict[str, str] = Field(default_factory=lambda: {"phi": "onprem", "cui": "onprem", "internal": "cloud", "public": "cloud"})


class EdgeDevice(ConfigModel):
    name: K8sName
    host: Annotated[str, Field(pattern=r"^ssh://[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:[0-9]+)?$")]
    site: K8sName
    residency_zone: K8sName
    accelerator: Annotated[str, Field(pattern=r"^(nvidia|jetson|none)$")] = "nvidia"
    wave: Annotated[int, Field(ge=0, le=100, strict=True)] = 1


class EdgeConfig(ConfigModel):
    devices: Annotated[list[EdgeDevice], Field(min_length=1)]


class RolloutConfig(ConfigModel):
    """Staged rollout of a candidate model version (filled in by the rollout work)."""


class MonitoringConfig(ConfigModel):
    """Hypercare monitoring (filled in by the monitoring work)."""
