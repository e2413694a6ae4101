"""Tag and label conventions (docs/architecture.md): the policy pack relies on these exact keys.

Everything that tags or labels a resource takes its keys from here, computed
once per stack by :meth:`Labels.from_config` and passed down to the blocks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pulumi

from .config import ConfigError, StackConfig

MANAGED_BY = "pulumi"

# GPU scheduling contract between node pools, the device plugin and workloads.
GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "true"
GPU_TAINT_EFFECT = "NoSchedule"
GPU_POOL_LABEL = "inference.gpu/pool"
ACCELERATOR_LABEL = "inference.gpu/accelerator"
# Distinguishes the Deployments of one service (stable now, a canary candidate later).
TRACK_LABEL = "inference.platform/track"
# Edge devices' container labels: where a device is, its rollout wave, the image reference it runs.
SITE_LABEL = "inference.platform/site"
WAVE_LABEL = "inference.platform/wave"
IMAGE_LABEL = "inference.platform/image"
RESIDENCY_ZONE_LABEL = "residency-zone"

APP_NAME_LABEL = "app.kubernetes.io/name"
APP_VERSION_LABEL = "app.kubernetes.io/version"
APP_MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"

# How clients authenticate to an endpoint ("mtls" or "oidc"): annotation on Kubernetes endpoints,
# tag on AWS load-balancer listeners.
AUTH_MODE_KEY = "inference.auth/mode"

# AWS tag keys set on every taggable resource; config `tags` may not override them.
RESERVED_TAG_KEYS = frozenset(
    {
        "data-classification",
        "owner",
        "compliance-profile",
        "environment",
        "deployment-model",
        "residency-zone",
        "managed-by",
    }
)

_LABEL_VALUE_INVALID = re.compile(r"[^A-Za-z0-9._-]+")


def label_value(value: str) -> str:
    """A Kubernetes label value for ``value``: at most 63 of ``[A-Za-z0-9._-]``, alphanumeric at both ends.

    AWS tag values allow spaces and more characters than label values (an owner
    such as ``ML Platform``), so the same fact is normalised rather than refused.
    """
    cleaned = _LABEL_VALUE_INVALID.sub("-", value)[:63]
    return cleaned.strip("._-")


@dataclass(frozen=True)
class Labels:
    """The stack-wide facts every tag and label carries."""

    data_classification: str
    owner: str
    compliance_profile: str
    environment: str
    deployment_model: str
    residency_zone: str
    extra_tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    site: str | None = None
    """On-site deployments: the data-centre or device site, labelled ``inference.platform/site``."""

    @classmethod
    def from_config(cls, config: StackConfig) -> Labels:
        """Read the facts from validated config; reject config tags that would shadow a reserved key."""
        project = pulumi.get_project()
        clashes = sorted(set(config.tags) & RESERVED_TAG_KEYS)
        if clashes:
            raise ConfigError(
                "invalid stack config:\n"
                + "".join(
                    f"  - {project}:tags.{key}: reserved tag key, set from compliance/environment/deploymentModel; "
                    f"remove it (reserved keys: {', '.join(sorted(RESERVED_TAG_KEYS))})\n"
                    for key in clashes
                )
            )
        compliance = config.compliance
        return cls(
            data_classification=str(compliance.data_classification),
            owner=compliance.owner,
            compliance_profile=str(compliance.profile),
            environment=str(config.environment),
            deployment_model=str(config.deployment_model),
            residency_zone=compliance.residency_zone,
            extra_tags=MappingProxyType(dict(config.tags)),
        )

    def aws_tags(self) -> dict[str, str]:
        """Tags for every taggable AWS resource: config tags, then the reserved keys."""
        return {
            **self.extra_tags,
            "data-classification": self.data_classification,
            "owner": self.owner,
            "compliance-profile": self.compliance_profile,
            "environment": self.environment,
            "deployment-model": self.deployment_model,
            "residency-zone": self.residency_zone,
            "managed-by": MANAGED_BY,
        }

    def k8s_labels(self, app_name: str, version: str) -> dict[str, str]:
        """Labels for Kubernetes namespaces and pod templates (and Docker container labels)."""
        return {
            "data-classification": label_value(self.data_classification),
            RESIDENCY_ZONE_LABEL: label_value(self.residency_zone),
            "compliance-profile": label_value(self.compliance_profile),
            "owner": label_value(self.owner),
            APP_NAME_LABEL: label_value(app_name),
            APP_VERSION_LABEL: label_value(version),
            APP_MANAGED_BY_LABEL: MANAGED_BY,
            **({SITE_LABEL: label_value(self.site)} if self.site else {}),
        }
