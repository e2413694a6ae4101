"""inference-guardrails: the CrossGuard policies of the GPU inference platform.

``POLICIES`` is the ordered list the pack serves; ``catalog()`` describes every policy as plain data
(controls, severity, remediation, config schema, whether it needs computed values) for the gate and
the evidence tools. Profiles live in ``policies/profiles/``; see :mod:`guardrails.profiles`.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from pulumi_policy import Policy, StackValidationPolicy

from ._base import AREAS, Spec

PACK_NAME = "inference-guardrails"
PACK_DIR = Path(__file__).resolve().parent.parent

# One module per policy, grouped by area (the order is the order the pack reports them in).
POLICY_MODULES: tuple[str, ...] = (
    "residency.aws_provider_require_fips_endpoint",
    "residency.aws_provider_restrict_region",
    "residency.aws_resource_restrict_region",
    "residency.aws_s3_replication_restrict_destination_region",
    "residency.docker_container_require_residency_zone",
    "residency.kubernetes_resource_require_residency_zone",
    "encryption_at_rest.aws_cloudwatch_log_group_require_kms_encryption",
    "encryption_at_rest.aws_ebs_volume_require_encryption",
    "encryption_at_rest.aws_ec2_launch_template_require_encrypted_volumes",
    "encryption_at_rest.aws_ecr_repository_require_kms_encryption",
    "encryption_at_rest.aws_efs_file_system_require_encryption",
    "encryption_at_rest.aws_eks_cluster_require_secrets_encryption",
    "encryption_at_rest.aws_kms_key_require_rotation",
    "encryption_at_rest.aws_rds_storage_require_encryption",
    "encryption_at_rest.aws_s3_bucket_require_sse_kms",
    "encryption_at_rest.aws_sagemaker_resource_require_kms_encryption",
    "encryption_in_transit.aws_lb_listener_require_tls",
    "encryption_in_transit.aws_s3_bucket_require_tls_policy",
    "encryption_in_transit.aws_vpn_connection_require_strong_crypto",
    "encryption_in_transit.docker_provider_disallow_plaintext_transport",
    "encryption_in_transit.kubernetes_ingress_require_tls",
    "encryption_in_transit.kubernetes_service_require_tls_load_balancer",
    "exposure.aws_ec2_node_disallow_public_ip",
    "exposure.aws_eks_cluster_disallow_public_endpoint",
    "exposure.aws_lb_listener_require_authentication",
    "exposure.aws_s3_bucket_require_public_access_block",
    "exposure.aws_security_group_disallow_open_ingress",
    "exposure.aws_vpc_disallow_internet_egress",
    "exposure.aws_vpc_endpoint_service_require_acceptance",
    "exposure.docker_container_restrict_port_binding",
    "exposure.kubernetes_endpoint_require_authentication",
    "exposure.kubernetes_service_disallow_node_port",
    "exposure.kubernetes_service_require_internal_load_balancer",
    "workload.aws_ec2_node_require_imdsv2",
    "workload.aws_ecr_repository_require_immutable_tags",
    "workload.aws_ecr_repository_require_scan_on_push",
    "workload.aws_eks_node_group_require_gpu_taint",
    "workload.docker_container_disallow_host_namespaces",
    "workload.docker_container_disallow_host_path",
    "workload.docker_container_disallow_privilege_escalation",
    "workload.docker_container_disallow_privileged",
    "workload.docker_container_require_dropped_capabilities",
    "workload.docker_container_require_non_root",
    "workload.docker_container_require_pinned_image",
    "workload.docker_container_require_read_only_root_filesystem",
    "workload.docker_container_require_resource_limits",
    "workload.docker_container_require_seccomp_profile",
    "workload.docker_container_restrict_image_registry",
    "workload.kubernetes_helm_release_require_pinned_chart",
    "workload.kubernetes_pod_disallow_host_namespaces",
    "workload.kubernetes_pod_disallow_host_path",
    "workload.kubernetes_pod_disallow_privilege_escalation",
    "workload.kubernetes_pod_disallow_privileged",
    "workload.kubernetes_pod_require_dropped_capabilities",
    "workload.kubernetes_pod_require_gpu_toleration",
    "workload.kubernetes_pod_require_non_root",
    "workload.kubernetes_pod_require_pinned_image",
    "workload.kubernetes_pod_require_read_only_root_filesystem",
    "workload.kubernetes_pod_require_resource_limits",
    "workload.kubernetes_pod_require_seccomp_profile",
    "workload.kubernetes_pod_restrict_image_registry",
    "audit.aws_cloudwatch_log_group_require_minimum_retention",
    "audit.aws_eks_cluster_require_control_plane_logging",
    "audit.aws_vpc_require_flow_log",
    "audit.aws_vpn_connection_require_tunnel_logging",
    "governance.aws_eks_node_group_restrict_gpu_budget",
    "governance.aws_resource_require_tags",
    "governance.docker_container_require_labels",
    "governance.kubernetes_resource_require_labels",
    "governance.kubernetes_workload_restrict_data_placement",
    "governance.pulumi_data_resource_require_protect",
)


def _load(module: str) -> ModuleType:
    return import_module(f"{__name__}.{module}")


_MODULES = tuple(_load(module) for module in POLICY_MODULES)
POLICIES: tuple[Policy, ...] = tuple(module.POLICY for module in _MODULES)
SPECS: tuple[Spec, ...] = tuple(module.SPEC for module in _MODULES)


def _check_registry() -> None:
    names = [spec.name for spec in SPECS]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise RuntimeError(f"duplicate policy names: {duplicates}")
    for module, policy, spec in zip(POLICY_MODULES, POLICIES, SPECS, strict=True):
        if policy.name != spec.name:
            raise RuntimeError(f"{module}: POLICY.name {policy.name!r} differs from SPEC.name {spec.name!r}")
        if module.split(".", 1)[0] != spec.area:
            raise RuntimeError(f"{module}: lives outside its area {spec.area!r}")


_check_registry()


def policy_names() -> list[str]:
    return [spec.name for spec in SPECS]


def spec(name: str) -> Spec:
    """The spec of the policy called ``name``; ``KeyError`` naming the known policies otherwise."""
    for item in SPECS:
        if item.name == name:
            return item
    raise KeyError(f"unknown policy {name!r}; known policies: {', '.join(policy_names())}")


def catalog() -> list[dict[str, Any]]:
    """Every policy as plain data, in pack order.

    Each entry: ``name``, ``area``, ``kind`` ("resource" | "stack"), ``description``, ``severity``,
    ``remediation``, ``controls`` ({"hipaa": [...], "nist": [...]}), ``config_schema``
    ({"properties": {...}, "required": []}), ``resource_types``, ``needs_computed_values`` and
    ``computed_values_note``.
    """
    return [
        item.catalog_entry("stack" if isinstance(policy, StackValidationPolicy) else "resource")
        for item, policy in zip(SPECS, POLICIES, strict=True)
    ]


@cache
def pack_version() -> str:
    """The pack's version, from PulumiPolicy.yaml (the CLI reports this one, not the SDK's 0.0.1)."""
    data = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version:
        raise RuntimeError(f"{PACK_DIR / 'PulumiPolicy.yaml'} has no 'version'")
    return version


__all__ = ["AREAS", "PACK_DIR", "PACK_NAME", "POLICIES", "SPECS", "catalog", "pack_version", "policy_names", "spec"]
