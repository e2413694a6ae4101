"""Stack config -> the serving, rollout and integration args of the inference service, for every Kubernetes model.

Not a block: like the models, it reads ``StackConfig``; the blocks
(:mod:`components.inference_service`, :mod:`components.traffic_split`,
:mod:`components.endpoint_auth`, :mod:`components.acceptance_test`) only see
these args. Promotion and rollback are config changes, and each maps here to a
plan that shows exactly what changes:

* canary: add ``rollout.candidate`` (a candidate Deployment and Service appear,
  weight 0), raise ``rollout.canaryWeight`` (only the route weights change);
* blue-green: add the candidate (it runs at full size), set ``active: candidate``
  (only the stable-named Service's selector changes);
* promote: make the candidate the stable version (``inference.image.reference``,
  ``inference.model.version``) and drop ``rollout.candidate``: the stable
  Deployment's image changes and the candidate's resources go away;
* roll back: drop ``rollout.candidate`` (or set ``canaryWeight: 0`` / ``active:
  stable``); the stable version never stopped running. After a promotion, roll
  back by setting the previous stable digest again: ECR keeps the last
  ``inference.image.keepImages`` images (cloud), and registries on-site keep
  what they mirror, so no rebuild is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .acceptance_test import AcceptanceCheck
from .common import config_error
from .config import ExposureMode, StackConfig
from .config.models import IntegrationConfig, RolloutStrategy, TrafficRouter
from .endpoint_auth import EndpointPolicy, Oidc
from .inference_service import (
    Autoscaling,
    CandidateVersion,
    ComputeResources,
    InferenceService,
    Probes,
    ServingPorts,
)
from .traffic_split import AlbRouter, GatewayApiRouter, Rollout, Router


def endpoint_policy(integration: IntegrationConfig) -> EndpointPolicy:
    """``integration`` as the endpoint's auth and limits."""
    auth = integration.auth
    oidc = auth.oidc
    return EndpointPolicy(
        auth_mode=auth.mode,
        client_ca_secret=auth.client_ca_secret,
        alb_trust_store_arn=auth.alb_trust_store_arn,
        oidc=(
            Oidc(
                issuer=oidc.issuer,
                audiences=list(oidc.audiences),
                jwks_uri=oidc.jwks_uri,
                authorization_endpoint=oidc.authorization_endpoint,
                token_endpoint=oidc.token_endpoint,
                user_info_endpoint=oidc.user_info_endpoint,
                client_secret_name=oidc.client_secret_name,
                auth_url=oidc.auth_url,
            )
            if oidc is not None
            else None
        ),
        request_timeout_seconds=integration.request_timeout_seconds,
        max_body_size_mb=integration.max_body_size_mb,
        rate_limit_rps=integration.rate_limit_rps,
        fallback_service=integration.fallback_service,
    )


def service_serving_args(config: StackConfig) -> dict[str, Any]:
    """Keyword args of ``InferenceServiceArgs`` from ``inference``: model, scaling, resources, ports, probes."""
    inference = config.inference
    return {
        "model_name": inference.model.name,
        "model_version": inference.model.version,
        "replicas": inference.replicas,
        "resources": ComputeResources(
            cpu_request=inference.resources.cpu_request,
            cpu_limit=inference.resources.cpu_limit,
            memory_request=inference.resources.memory_request,
            memory_limit=inference.resources.memory_limit,
            gpus=inference.gpus_per_replica,
        ),
        "autoscaling": Autoscaling(
            min_replicas=inference.autoscaling.min_replicas,
            max_replicas=inference.autoscaling.max_replicas,
            target_cpu_utilization=inference.autoscaling.target_cpu_utilization,
        ),
        "ports": ServingPorts(http=inference.ports.http, grpc=inference.ports.grpc),
        "probes": Probes(
            readiness_path=inference.probes.readiness_path,
            liveness_path=inference.probes.liveness_path,
            startup_path=inference.probes.startup_path,
            startup_failure_threshold=inference.probes.startup_failure_threshold,
            period_seconds=inference.probes.period_seconds,
        ),
    }


def service_rollout_args(config: StackConfig, *, candidate_image: str | None = None) -> dict[str, Any]:
    """Keyword args of ``InferenceServiceArgs`` for the rollout: candidate, step, endpoint, acceptance test.

    ``candidate_image`` replaces ``rollout.candidate.image`` (e.g. the on-site mirror of it).
    """
    rollout = config.rollout
    candidate = rollout.candidate
    acceptance = rollout.acceptance_test
    return {
        "candidate": (
            CandidateVersion(image=candidate_image or candidate.image, model_version=candidate.model_version)
            if candidate is not None
            else None
        ),
        "rollout": Rollout(strategy=rollout.strategy, canary_weight=rollout.canary_weight, active=rollout.active),
        "endpoint": endpoint_policy(config.integration),
        "acceptance": (
            AcceptanceCheck(
                sample_path=acceptance.sample_path,
                sample_payload=acceptance.sample_payload,
                image=acceptance.image,
                timeout_seconds=acceptance.timeout_seconds,
            )
            if acceptance.enabled
            else None
        ),
    }


def check_cloud_exposure(config: StackConfig) -> None:
    """A canary split happens at the router: without a certificate a cloud model has none. Before any resource."""
    rollout = config.rollout
    router = config.traffic_routers()[0]
    canary = rollout.strategy is RolloutStrategy.CANARY and rollout.canary_weight > 0
    if canary and router is TrafficRouter.AWS_ALB and config.exposure.tls_certificate_arn is None:
        raise config_error(
            "rollout.canaryWeight",
            "the weighted split happens at the ALB, which serves only TLS; set exposure.tlsCertificateArn, "
            f"or roll out blue-green (got {rollout.canary_weight})",
        )


def alb_exposed(config: StackConfig) -> bool:
    """Whether a cloud model's service is exposed through the controller's ALB (and needs its WAF rate limit)."""
    return config.traffic_routers()[0] is TrafficRouter.AWS_ALB and config.exposure.tls_certificate_arn is not None


def cloud_router(
    config: StackConfig,
    *,
    ssl_policy: str,
    source_ranges: Sequence[str],
    tags: Mapping[str, str],
    waf_acl_name: str | None,
) -> Router | None:
    """The router of a cloud model's service: the controller's ALB (default) or a Gateway's routes.

    None (in-cluster only) for the ALB without a certificate: it would serve plain HTTP.
    """
    rollout = config.rollout
    router = config.traffic_routers()[0]
    if router is TrafficRouter.GATEWAY_API:
        assert rollout.gateway_name is not None  # RolloutConfig requires it for gateway-api
        return GatewayApiRouter(gateway_name=rollout.gateway_name, gateway_namespace=rollout.gateway_namespace)
    certificate = config.exposure.tls_certificate_arn
    if certificate is None:
        return None
    public = config.exposure.mode is ExposureMode.PUBLIC
    return AlbRouter(
        certificate_arn=certificate,
        ssl_policy=ssl_policy,
        public=public,
        # Internal: the callers' networks. Public: the explicit allow-list (required by config).
        source_ranges=list(config.exposure.allowed_cidrs) if public else list(dict.fromkeys(source_ranges)),
        deletion_protection=config.prod_like,
        healthcheck_path=config.inference.probes.readiness_path,
        waf_acl_name=waf_acl_name,
        tags=tags,
    )


def rollout_exports(service: InferenceService) -> dict[str, Any]:
    """Stack outputs of a rollout step: the weights per track and how to read the acceptance test's result."""
    test = service.acceptance_test
    return {"trafficWeights": service.weights, "acceptanceTest": test.result if test is not None else None}
