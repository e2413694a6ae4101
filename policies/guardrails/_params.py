"""JSON schemas of parameters several policies share (each with its secure default)."""

from __future__ import annotations

from typing import Any

from . import conventions

STRING_LIST: dict[str, Any] = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}

ALLOWED_REGIONS: dict[str, Any] = {
    **STRING_LIST,
    "items": {"type": "string", "pattern": "^[a-z]{2}(-gov)?-[a-z]+-[0-9]$"},
    "minItems": 1,
    "description": "AWS regions data may reside in.",
    "default": ["us-east-1", "us-east-2", "us-west-2"],
}

ALLOWED_ZONES: dict[str, Any] = {
    **STRING_LIST,
    "minItems": 1,
    "description": "Allowed values of the residency-zone label; shell patterns such as 'us-site-*' are allowed.",
    "default": ["us"],
}

REQUIRE_CMK: dict[str, Any] = {
    "type": "boolean",
    "description": "Require a customer-managed KMS key (an explicit key id/ARN), not the AWS-managed default key.",
    "default": True,
}

ALLOWED_REGISTRIES: dict[str, Any] = {
    **STRING_LIST,
    "minItems": 1,
    "description": (
        "Registries (host[:port]) images may come from; shell patterns such as "
        "'*.dkr.ecr.us-east-1.amazonaws.com' are allowed."
    ),
    "default": ["nvcr.io", "*.dkr.ecr.*.amazonaws.com"],
}

HOST_ACCESS_NAMESPACES: dict[str, Any] = {
    **STRING_LIST,
    "description": "Namespaces whose pods may use host access (the GPU operator / device plugin need it).",
    "default": ["gpu-operator"],
}

REQUIRED_LABELS: dict[str, Any] = {
    **STRING_LIST,
    "minItems": 1,
    "description": "Label / tag keys that must be present with a non-empty value.",
    "default": ["data-classification", "owner", "compliance-profile"],
}

PROD_LIKE: dict[str, Any] = {
    "type": "boolean",
    "description": "Treat every stack evaluated with this profile as prod-like.",
    "default": False,
}

PROD_ENVIRONMENTS: dict[str, Any] = {
    **STRING_LIST,
    "description": "Values of the stack tag or resource tag 'environment' that make a stack prod-like.",
    "default": ["prod"],
}

AUTH_MODES: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "enum": ["mtls", "oidc"]},
    "uniqueItems": True,
    "minItems": 1,
    "description": "Accepted values of the inference.auth/mode annotation or tag.",
    "default": ["mtls", "oidc"],
}

ALLOWED_TLS_POLICIES: dict[str, Any] = {
    **STRING_LIST,
    "minItems": 1,
    "description": "Load-balancer TLS security policies accepted (FIPS policies for FedRAMP).",
    "default": [
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    ],
}

ALLOW_TCP_PASSTHROUGH: dict[str, Any] = {
    "type": "boolean",
    "description": "Accept plain TCP listeners (TLS terminated end to end in the pods, e.g. mTLS passthrough).",
    "default": False,
}

ALLOWED_LABEL_VALUES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "description": "Allowed values per label / tag key (keys not listed accept any non-empty value).",
    "default": {"data-classification": ["public", "internal", "phi", "cui"]},
}


def gpu_taint(effect_description: str) -> dict[str, dict[str, Any]]:
    """``taintKey``, ``taintValue`` and ``taintEffect`` (Kubernetes spelling), defaulting to the GPU taint."""
    return {
        "taintKey": {
            "type": "string",
            "minLength": 1,
            "description": "GPU taint key.",
            "default": conventions.GPU_TAINT_KEY,
        },
        "taintValue": {"type": "string", "description": "GPU taint value.", "default": conventions.GPU_TAINT_VALUE},
        "taintEffect": {
            "type": "string",
            "enum": ["NoSchedule", "NoExecute", "PreferNoSchedule"],
            "description": effect_description,
            "default": conventions.GPU_TAINT_EFFECT,
        },
    }
