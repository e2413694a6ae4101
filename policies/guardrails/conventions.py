"""Label, tag and annotation keys the pack relies on (the components set the same keys; see docs/architecture.md)."""

from __future__ import annotations

# AWS tags and Kubernetes / Docker labels.
DATA_CLASSIFICATION = "data-classification"
OWNER = "owner"
COMPLIANCE_PROFILE = "compliance-profile"
ENVIRONMENT = "environment"
DEPLOYMENT_MODEL = "deployment-model"
RESIDENCY_ZONE = "residency-zone"

# Which side of a hybrid deployment a workload runs on ("cloud" or "onprem"); set by the hybrid model.
PLACEMENT_SIDE = "inference.placement/side"

# How clients authenticate to an inference endpoint: "mtls" or "oidc" (annotation on a Kubernetes
# Service/Ingress/HTTPRoute/GRPCRoute/Gateway, tag on an AWS load-balancer listener).
AUTH_MODE = "inference.auth/mode"

# AWS tag that designates the one security group / load balancer allowed to take 443 from anywhere.
PUBLIC_LB_DESIGNATION = "inference.exposure/public-lb"

# GPU scheduling.
GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "true"
GPU_TAINT_EFFECT = "NoSchedule"
GPU_POOL_LABEL = "inference.gpu/pool"
