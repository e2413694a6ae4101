"""Domain types for stack config: enums and validated ``Annotated`` aliases.

Each validator raises ``ValueError`` with a message that says what is allowed;
the loader prefixes it with the key path and the bad value.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field


class DeploymentModel(StrEnum):
    PUBLIC_CLOUD = "public-cloud"
    PRIVATE_CLOUD = "private-cloud"
    ONPREM = "onprem"
    HYBRID = "hybrid"
    EDGE = "edge"


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class ComplianceProfile(StrEnum):
    BASELINE = "baseline"
    HIPAA = "hipaa"
    FEDRAMP_MODERATE = "fedramp-moderate"
    FEDRAMP_HIGH = "fedramp-high"

    @property
    def regulated(self) -> bool:
        return self is not ComplianceProfile.BASELINE

    @property
    def fedramp(self) -> bool:
        return self in (ComplianceProfile.FEDRAMP_MODERATE, ComplianceProfile.FEDRAMP_HIGH)


class DataClassification(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    PHI = "phi"
    CUI = "cui"

    @property
    def sensitive(self) -> bool:
        return self in (DataClassification.PHI, DataClassification.CUI)


class Accelerator(StrEnum):
    """GPU family of a node pool; selects the EKS AMI type (see gpu_node_pool)."""

    NVIDIA = "nvidia"
    NVIDIA_BOTTLEROCKET = "nvidia-bottlerocket"


class CapacityType(StrEnum):
    ON_DEMAND = "ON_DEMAND"
    SPOT = "SPOT"


class ExposureMode(StrEnum):
    INTERNAL = "internal"
    PUBLIC = "public"


_REGION_RE = re.compile(
    r"^(us|eu|ap|ca|sa|me|af|il|mx)(-gov)?-(north|south|east|west|central|northeast|southeast|northwest|southwest)-[1-9]$"
)


def _region(value: str) -> str:
    if not _REGION_RE.match(value):
        raise ValueError(f"must be an AWS region name such as 'us-east-1' or 'us-gov-west-1', got {value!r}")
    return value


def _cidr(value: str) -> str:
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"must be an IPv4 CIDR block with no host bits set, such as '10.0.0.0/16' ({exc})") from None
    return str(net)


def _private_cidr(value: str) -> str:
    net = ipaddress.IPv4Network(_cidr(value))
    if not any(net.subnet_of(block) for block in RFC1918):
        raise ValueError(
            f"must be inside an RFC 1918 private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16), got {value!r}"
        )
    return str(net)


RFC1918 = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
)

# registry[:port]/path[:tag]@sha256:<64 hex>
_IMAGE_RE = re.compile(
    r"^(?P<name>(?:[a-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)


def parse_image(value: str) -> tuple[str, str | None, str | None]:
    """Split an image reference into (name, tag, digest); raise ValueError if malformed."""
    match = _IMAGE_RE.match(value)
    if not match:
        raise ValueError(f"is not a valid image reference ('registry/repository[:tag]@sha256:<64 hex>'), got {value!r}")
    return match["name"], match["tag"], match["digest"]


def _pinned_image(value: str) -> str:
    _, _, digest = parse_image(value)
    if digest is None:
        raise ValueError(
            f"must be pinned by digest ('registry/repository[:tag]@sha256:<64 hex>'); tags are mutable, got {value!r}"
        )
    return value


_DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _k8s_name(value: str) -> str:
    if not _DNS_LABEL_RE.match(value):
        raise ValueError(
            f"must be a Kubernetes name (RFC 1123 label: lower-case letters, digits and '-', "
            f"at most 63 characters, starting and ending alphanumeric), got {value!r}"
        )
    return value


_DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")


def _digest(value: str) -> str:
    if not _DIGEST_RE.match(value):
        raise ValueError(f"must be an image digest 'sha256:<64 lower-case hex>', got {value!r}")
    return value


_ARN_RE = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$")


def _arn(value: str) -> str:
    if not _ARN_RE.match(value):
        raise ValueError(f"must be an AWS ARN ('arn:aws:<service>:<region>:<account>:<resource>'), got {value!r}")
    return value


AwsRegion = Annotated[str, AfterValidator(_region)]
Cidr = Annotated[str, AfterValidator(_cidr)]
PrivateCidr = Annotated[str, AfterValidator(_private_cidr)]
PinnedImage = Annotated[str, AfterValidator(_pinned_image)]
ImageDigest = Annotated[str, AfterValidator(_digest)]
K8sName = Annotated[str, AfterValidator(_k8s_name)]
Arn = Annotated[str, AfterValidator(_arn)]
PositiveInt = Annotated[int, Field(gt=0, strict=True)]
NonNegativeInt = Annotated[int, Field(ge=0, strict=True)]
Port = Annotated[int, Field(ge=1, le=65535, strict=True)]
Percent = Annotated[int, Field(ge=0, le=100, strict=True)]
# CloudWatch accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"must be a CloudWatch retention period, one of {', '.join(map(str, LOG_RETENTION_DAYS))}; got {value}"
        )
    return value


LogRetentionDays = Annotated[int, Field(strict=True), AfterValidator(_retention)]
