"""Endpoint authentication and request limits at the ingress or gateway, per traffic router.

One :class:`EndpointPolicy` (from ``integration`` config) is rendered for the
router that exposes the service:

============== ====================================== ========================================
router         authentication                         limits and fallback
============== ====================================== ========================================
ingress-nginx  mtls: ``auth-tls-secret`` +            ``proxy-read/send-timeout``,
               ``auth-tls-verify-client: "on"``;      ``proxy-body-size``, ``limit-rps``;
               oidc: ``auth-url`` (an external auth   fallback: ``default-backend`` +
               service such as oauth2-proxy)          ``custom-http-errors`` 502/503/504
aws-alb        oidc: ``auth-type: oidc`` +            idle timeout (load-balancer attribute);
               ``auth-idp-oidc`` (client from a       rate limit: a WAFv2 rate-based rule
               secret), 401 instead of a redirect;    (:class:`AlbRateLimit`); no body-size
               mtls: ``mutual-authentication``        limit (the ALB has none) and no
               verify against an ELB trust store      fallback (refused in config)
gateway-api    oidc: Envoy Gateway ``SecurityPolicy`` HTTPRoute ``timeouts``; Envoy Gateway
               with a JWT provider (remote JWKS);     ``BackendTrafficPolicy``: local rate
               mtls is the Gateway listener's job     limit, request buffer limit (REST
               (refused in config: not ours)          route only: buffering breaks gRPC streams)
============== ====================================== ========================================

Every exposed endpoint carries the annotation ``inference.auth/mode``
(:data:`components.labels.AUTH_MODE_KEY`) with ``mtls``, ``oidc`` or ``none``:
the policy pack (``kubernetes-endpoint-require-authentication``) reads it and
refuses ``none`` under regulated profiles, besides the config error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .common import child_options
from .config.models import AuthMode
from .labels import AUTH_MODE_KEY

NGINX = "nginx.ingress.kubernetes.io/"
ALB = "alb.ingress.kubernetes.io/"
ENVOY_GATEWAY_API = "gateway.envoyproxy.io/v1alpha1"
# Upstream answers that send a request to the fallback service (bad gateway, unavailable, timeout).
FALLBACK_STATUS_CODES = "502,503,504"
# WAF counts requests per client IP over this window (seconds); the limit is rps * window.
WAF_WINDOW_SECONDS = 60
RATE_LIMIT_TYPE = "inference:endpoint_auth:AlbRateLimit"


@dataclass(frozen=True)
class Oidc:
    issuer: str
    audiences: Sequence[str]
    jwks_uri: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    user_info_endpoint: str | None = None
    client_secret_name: str | None = None
    """Kubernetes secret (keys ``clientID``, ``clientSecret``) the AWS Load Balancer Controller reads."""
    auth_url: str | None = None
    """ingress-nginx: the external auth service that validates bearer tokens."""


@dataclass(frozen=True)
class EndpointPolicy:
    """How clients authenticate and what the ingress or gateway limits, for any router."""

    auth_mode: AuthMode = AuthMode.NONE
    client_ca_secret: str | None = None
    """mtls: Kubernetes secret with the client CA bundle (``ca.crt``), in the service's namespace."""
    alb_trust_store_arn: str | None = None
    """mtls on the ALB: the ELB trust store holding the client CA bundle."""
    oidc: Oidc | None = None
    request_timeout_seconds: int = 60
    max_body_size_mb: int = 16
    rate_limit_rps: int = 50
    """Requests per second per client address."""
    fallback_service: str | None = None
    """Service that answers when a backend fails (ingress-nginx only)."""

    def __post_init__(self) -> None:
        if self.auth_mode is AuthMode.MTLS and self.client_ca_secret is None and self.alb_trust_store_arn is None:
            raise ValueError("EndpointPolicy: auth mode mtls needs client_ca_secret or alb_trust_store_arn")
        if self.auth_mode is AuthMode.OIDC and self.oidc is None:
            raise ValueError("EndpointPolicy: auth mode oidc needs the oidc settings")
        for name, value in (
            ("request_timeout_seconds", self.request_timeout_seconds),
            ("max_body_size_mb", self.max_body_size_mb),
            ("rate_limit_rps", self.rate_limit_rps),
        ):
            if value < 1:
                raise ValueError(f"EndpointPolicy.{name} must be >= 1, got {value}")

    def auth_annotations(self) -> dict[str, str]:
        """The declared mode, on every exposed Service, Ingress and route (the policy pack reads it)."""
        return {AUTH_MODE_KEY: str(self.auth_mode)}

    def oidc_settings(self) -> Oidc:
        """The OIDC settings of an ``oidc`` endpoint."""
        assert self.oidc is not None  # __post_init__: oidc mode has its settings
        return self.oidc

    # -- ingress-nginx -------------------------------------------------------------------------------

    def nginx_annotations(self, namespace: str) -> dict[str, str]:
        """Annotations of a primary ingress-nginx Ingress (its canary inherits them)."""
        timeout = str(self.request_timeout_seconds)
        annotations = {
            **self.auth_annotations(),
            f"{NGINX}proxy-read-timeout": timeout,
            f"{NGINX}proxy-send-timeout": timeout,
            f"{NGINX}proxy-body-size": f"{self.max_body_size_mb}m",
            f"{NGINX}limit-rps": str(self.rate_limit_rps),
        }
        if self.auth_mode is AuthMode.MTLS:
            if self.client_ca_secret is None:
                raise ValueError("EndpointPolicy: mtls on ingress-nginx needs client_ca_secret")
            annotations[f"{NGINX}auth-tls-secret"] = f"{namespace}/{self.client_ca_secret}"
            annotations[f"{NGINX}auth-tls-verify-client"] = "on"
        if self.auth_mode is AuthMode.OIDC:
            oidc = self.oidc_settings()
            if oidc.auth_url is None:
                raise ValueError("EndpointPolicy: oidc on ingress-nginx needs oidc.auth_url (external auth service)")
            annotations[f"{NGINX}auth-url"] = oidc.auth_url
        if self.fallback_service is not None:
            annotations[f"{NGINX}default-backend"] = self.fallback_service
            annotations[f"{NGINX}custom-http-errors"] = FALLBACK_STATUS_CODES
        return annotations

    # -- AWS Load Balancer Controller ----------------------------------------------------------------

    def alb_annotations(self, *, listener_port: int) -> dict[str, str]:
        """Auth annotations of an ALB Ingress whose TLS listener is ``listener_port``."""
        if self.fallback_service is not None:
            raise ValueError("EndpointPolicy: the ALB cannot send a failing backend's requests to a fallback")
        annotations = self.auth_annotations()
        if self.auth_mode is AuthMode.OIDC:
            oidc = self.oidc_settings()
            endpoints = {
                "authorizationEndpoint": oidc.authorization_endpoint,
                "tokenEndpoint": oidc.token_endpoint,
                "userInfoEndpoint": oidc.user_info_endpoint,
                "secretName": oidc.client_secret_name,
            }
            missing = sorted(key for key, value in endpoints.items() if value is None)
            if missing:
                raise ValueError(f"EndpointPolicy: oidc on the ALB needs {missing}")
            annotations[f"{ALB}auth-type"] = "oidc"
            annotations[f"{ALB}auth-idp-oidc"] = json.dumps({"issuer": oidc.issuer, **endpoints})
            annotations[f"{ALB}auth-scope"] = "openid"
            # An API client gets 401, not a redirect to a login page.
            annotations[f"{ALB}auth-on-unauthenticated-request"] = "deny"
        if self.auth_mode is AuthMode.MTLS:
            if self.alb_trust_store_arn is None:
                raise ValueError("EndpointPolicy: mtls on the ALB needs alb_trust_store_arn")
            annotations[f"{ALB}mutual-authentication"] = json.dumps(
                [{"port": listener_port, "mode": "verify", "trustStore": self.alb_trust_store_arn}]
            )
        return annotations

    # -- Gateway API ---------------------------------------------------------------------------------

    def gateway_rule_settings(self, *, grpc: bool) -> dict[str, object]:
        """Fields of an HTTPRoute rule: the request timeout (standard Gateway API)."""
        if self.fallback_service is not None:
            raise ValueError("EndpointPolicy: Gateway API routes have no fallback backend for failing requests")
        # A streaming gRPC call may outlive any fixed request timeout; the gateway's idle timeout guards it.
        return {} if grpc else {"timeouts": {"request": f"{self.request_timeout_seconds}s"}}


def create_envoy_gateway_policies(
    name: str,
    *,
    namespace: str,
    labels: Mapping[str, str],
    routes: Sequence[tuple[str, bool]],
    endpoint: EndpointPolicy,
    opts: pulumi.ResourceOptions,
) -> None:
    """Envoy Gateway policies for the service's HTTPRoutes (``(route name, is gRPC)``).

    Standard Gateway API has no JWT validation, rate limit or body-size limit: these
    are Envoy Gateway's ``SecurityPolicy`` and ``BackendTrafficPolicy``. A cluster
    whose Gateway is another implementation lacks these kinds, and ``pulumi up``
    fails on them instead of exposing an unprotected route.
    """
    if endpoint.auth_mode is AuthMode.MTLS:
        raise ValueError(
            "EndpointPolicy: client certificates are verified on the Gateway's listener (not this stack's); "
            "use oidc with the gateway-api router"
        )

    def target(route: str) -> dict[str, str]:
        return {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": route}

    def metadata(k8s_name: str) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=k8s_name, namespace=namespace, labels=dict(labels))

    if endpoint.auth_mode is AuthMode.OIDC:
        oidc = endpoint.oidc_settings()
        if oidc.jwks_uri is None:
            raise ValueError("EndpointPolicy: oidc with Envoy Gateway needs oidc.jwks_uri")
        k8s.apiextensions.CustomResource(
            f"{name}-jwt",
            api_version=ENVOY_GATEWAY_API,
            kind="SecurityPolicy",
            metadata=metadata(f"{routes[0][0]}-jwt"),
            spec={
                "targetRefs": [target(route) for route, _ in routes],
                "jwt": {
                    "providers": [
                        {
                            "name": "oidc",
                            "issuer": oidc.issuer,
                            "audiences": list(oidc.audiences),
                            "remoteJWKS": {"uri": oidc.jwks_uri},
                        }
                    ]
                },
            },
            opts=opts,
        )
    for route, grpc in routes:
        spec: dict[str, object] = {
            "targetRefs": [target(route)],
            "rateLimit": {
                "type": "Local",
                "local": {"rules": [{"limit": {"requests": endpoint.rate_limit_rps, "unit": "Second"}}]},
            },
        }
        if not grpc:
            # Larger bodies get 413; buffering whole requests would break gRPC streams, so REST only.
            spec["requestBuffer"] = {"limit": f"{endpoint.max_body_size_mb}Mi"}
        k8s.apiextensions.CustomResource(
            f"{name}-{'grpc' if grpc else 'http'}-limits",
            api_version=ENVOY_GATEWAY_API,
            kind="BackendTrafficPolicy",
            metadata=metadata(f"{route}-limits"),
            spec=spec,
            opts=opts,
        )


def web_acl_name(project: str, stack: str) -> str:
    """A web ACL name unique per stack (WAF allows letters, digits, '-' and '_', at most 128)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{project}-{stack}-rate-limit")[:128]


@dataclass(frozen=True)
class AlbRateLimitArgs:
    acl_name: str
    """The web ACL's name: the Ingress refers to it (``alb.ingress.kubernetes.io/wafv2-acl-name``)."""
    rate_limit_rps: int
    """Requests per second per client IP; WAF counts them over :data:`WAF_WINDOW_SECONDS`."""
    tags: Mapping[str, str]


class AlbRateLimit(pulumi.ComponentResource):
    """A regional WAFv2 web ACL with a per-IP rate-based rule, attached to the ALB by annotation.

    The ALB itself has no rate limit; the controller attaches this ACL to the ALB it makes
    (``alb.ingress.kubernetes.io/wafv2-acl-name``; it retries until the ACL exists, and needs
    ``wafv2:ListWebACLs`` to resolve the name).
    """

    arn: pulumi.Output[str]
    """The web ACL's ARN."""
    acl_name: str
    """The web ACL's name (known before it exists)."""

    def __init__(self, name: str, args: AlbRateLimitArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RATE_LIMIT_TYPE, name, None, opts)
        self.acl_name = args.acl_name
        waf = aws.wafv2

        def visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgs:
            return waf.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
            )

        acl = waf.WebAcl(
            f"{name}-acl",
            name=args.acl_name,
            scope="REGIONAL",
            default_action=waf.WebAclDefaultActionArgs(allow=waf.WebAclDefaultActionAllowArgs()),
            rules=[
                waf.WebAclRuleArgs(
                    name="per-client-rate-limit",
                    priority=0,
                    action=waf.WebAclRuleActionArgs(block=waf.WebAclRuleActionBlockArgs()),
                    statement=waf.WebAclRuleStatementArgs(
                        rate_based_statement=waf.WebAclRuleStatementRateBasedStatementArgs(
                            aggregate_key_type="IP",
                            # WAF's smallest limit is 10 requests per window.
                            limit=max(10, args.rate_limit_rps * WAF_WINDOW_SECONDS),
                            evaluation_window_sec=WAF_WINDOW_SECONDS,
                        )
                    ),
                    visibility_config=waf.WebAclRuleVisibilityConfigArgs(
                        cloudwatch_metrics_enabled=True,
                        metric_name=f"{name}-rate-limit",
                        sampled_requests_enabled=True,
                    ),
                )
            ],
            visibility_config=visibility(f"{name}-acl"),
            tags=dict(args.tags),
            opts=child_options(self, opts),
        )
        self.arn = acl.arn
        self.register_outputs({"arn": self.arn})
