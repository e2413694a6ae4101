"""Weighted traffic split between the stable and the candidate version of one inference service.

The inference service runs one Deployment per track (``stable``, and ``candidate``
during a rollout), one Service per track (``<name>-stable``, ``<name>-candidate``)
and one stable-named Service (``<name>``). This block routes client traffic to
them through one of three implementations, chosen in config:

* ``gateway-api``: ``HTTPRoute`` (``gateway.networking.k8s.io/v1``) attached to an
  existing Gateway, with ``backendRefs`` weights on the per-track Services; gRPC
  is a second route matching ``content-type: application/grpc`` to the gRPC port;
* ``aws-alb``: an ``Ingress`` for the AWS Load Balancer Controller whose rule
  forwards to the controller's weighted forward action
  (``alb.ingress.kubernetes.io/actions.<name>``, ``forwardConfig.targetGroups``);
  gRPC is a second Ingress in the same group (one ALB), on its own TLS listener;
* ``ingress-nginx``: a primary ``Ingress`` plus a canary ``Ingress``
  (``nginx.ingress.kubernetes.io/canary: "true"`` and ``canary-weight``) on the
  same host and path; gRPC is a second pair on its own host.

Canary: N % of requests go to the candidate Service. Blue-green: every router
sends all traffic to the stable-named Service, and the inference service flips
that Service's selector to the active track (:func:`serving_track`); the route
itself does not change, so a flip is one selector change in the plan.

Authentication and limits come from :mod:`components.endpoint_auth` as
annotations or extra policies; this module only places them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .common import child_options
from .config.models import ActiveVersion, RolloutStrategy
from .endpoint_auth import EndpointPolicy, create_envoy_gateway_policies

RESOURCE_TYPE = "inference:traffic_split:TrafficSplit"

STABLE = "stable"
CANDIDATE = "candidate"
GATEWAY_GROUP = "gateway.networking.k8s.io"
GRPC_CONTENT_TYPE = "application/grpc"
ALB_PREFIX = "alb.ingress.kubernetes.io/"
NGINX_PREFIX = "nginx.ingress.kubernetes.io/"
# The name of the ALB forward action the Ingress rule refers to (its backend port is "use-annotation").
ALB_ACTION = "weighted"

meta = k8s.meta.v1
net = k8s.networking.v1


@dataclass(frozen=True)
class Rollout:
    """A rollout step: strategy, canary weight, and (blue-green) the active track."""

    strategy: RolloutStrategy = RolloutStrategy.CANARY
    canary_weight: int = 0
    """Percentage of requests sent to the candidate (canary)."""
    active: ActiveVersion = ActiveVersion.STABLE
    """Which track the stable-named Service selects (blue-green)."""

    def __post_init__(self) -> None:
        if not 0 <= self.canary_weight <= 100:
            raise ValueError(f"Rollout.canary_weight must be within 0..100, got {self.canary_weight}")
        if self.strategy is RolloutStrategy.BLUE_GREEN and self.canary_weight:
            raise ValueError("Rollout: canary_weight applies to the canary strategy, not blue-green")


@dataclass(frozen=True)
class Backend:
    """One weighted destination of the split: a Service in the service's namespace."""

    track: str
    service: str
    weight: int


def track_service(name: str, track: str) -> str:
    """The per-track Service name (``<name>-stable``, ``<name>-candidate``)."""
    return f"{name}-{track}"


def serving_track(rollout: Rollout, has_candidate: bool) -> str:
    """The track the stable-named Service selects.

    Canary: stable (the weighted split happens at the router). Blue-green: the
    active track, so flipping ``active`` is one selector change.
    """
    if rollout.strategy is RolloutStrategy.BLUE_GREEN and rollout.active is ActiveVersion.CANDIDATE:
        if not has_candidate:
            raise ValueError("Rollout: active 'candidate' needs a candidate version")
        return CANDIDATE
    return STABLE


def backends(name: str, rollout: Rollout, has_candidate: bool) -> list[Backend]:
    """Where the router sends requests, with weights that add up to 100."""
    if rollout.strategy is RolloutStrategy.BLUE_GREEN:
        return [Backend(serving_track(rollout, has_candidate), name, 100)]
    if not has_candidate:
        if rollout.canary_weight:
            raise ValueError("Rollout: a canary weight needs a candidate version")
        return [Backend(STABLE, track_service(name, STABLE), 100)]
    weight = rollout.canary_weight
    return [
        Backend(STABLE, track_service(name, STABLE), 100 - weight),
        Backend(CANDIDATE, track_service(name, CANDIDATE), weight),
    ]


# -- routers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayApiRouter:
    """Routes attached to an existing Gateway (the platform team's); TLS is the Gateway listener's."""

    gateway_name: str
    gateway_namespace: str | None = None
    """None: the service's namespace."""
    hostnames: Sequence[str] = ()
    """None: the listener's hostnames."""


@dataclass(frozen=True)
class AlbRouter:
    """An ALB made by the AWS Load Balancer Controller from Ingresses of class ``alb``."""

    certificate_arn: str
    ssl_policy: str
    public: bool = False
    """Internet-facing; needs a non-empty ``source_ranges`` allow-list."""
    source_ranges: Sequence[str] = ()
    """Client CIDRs the ALB's security group admits."""
    https_port: int = 443
    grpcs_port: int = 8443
    host: str | None = None
    """None: any Host header."""
    group_name: str | None = None
    """IngressGroup (one ALB for REST and gRPC; names are cluster-wide); None: ``<namespace>-<name>``."""
    deletion_protection: bool = True
    """On unless the caller opts out (stacks that are not prod-like)."""
    healthcheck_path: str = "/v2/health/ready"
    waf_acl_name: str | None = None
    """A WAFv2 web ACL by name (the rate limit, :class:`components.endpoint_auth.AlbRateLimit`).

    By name, not ARN: the name is known at preview, so the Ingress's annotations are too (the
    policy pack can then check them before anything exists); the controller looks the ACL up."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """AWS tags the controller puts on the ALB and its target groups."""

    def __post_init__(self) -> None:
        if self.public and not self.source_ranges:
            raise ValueError("AlbRouter: a public ALB needs a non-empty source_ranges allow-list")
        if "0.0.0.0/0" in self.source_ranges:
            raise ValueError("AlbRouter: source_ranges must not contain 0.0.0.0/0")


def alb_group_name(router: AlbRouter, *, namespace: str, name: str) -> str:
    """The IngressGroup of a service's ALB: the router's, else ``<namespace>-<name>`` (a label value, 63 at most)."""
    return router.group_name or f"{namespace}-{name}"[:63].rstrip("-")


@dataclass(frozen=True)
class NginxRouter:
    """Ingresses for ingress-nginx, TLS from a secret or a cert-manager ClusterIssuer."""

    ingress_class: str
    host: str
    tls_secret_name: str | None = None
    cluster_issuer: str | None = None
    grpc_host: str | None = None
    """Host for gRPC when REST is served too (ingress-nginx picks the backend protocol per Ingress)."""

    def __post_init__(self) -> None:
        if (self.tls_secret_name is None) == (self.cluster_issuer is None):
            raise ValueError("NginxRouter: set exactly one of tls_secret_name or cluster_issuer")


Router = GatewayApiRouter | AlbRouter | NginxRouter


@dataclass(frozen=True)
class _NginxRoute:
    """What a primary ingress-nginx Ingress and its canary share."""

    host: str
    secret: str
    port: int


@dataclass(frozen=True)
class TrafficSplitArgs:
    name: str
    """The service's name: Services are ``<name>``, ``<name>-stable``, ``<name>-candidate``."""
    namespace: str
    labels: Mapping[str, str]
    ports: Mapping[str, int]
    """Serving ports by name (``http``, ``grpc``)."""
    backends: Sequence[Backend]
    router: Router
    endpoint: EndpointPolicy

    def __post_init__(self) -> None:
        if not self.backends:
            raise ValueError("TrafficSplitArgs.backends must not be empty")
        total = sum(backend.weight for backend in self.backends)
        if total != 100:
            raise ValueError(f"TrafficSplitArgs.backends weights must add up to 100, got {total}")
        unknown = sorted(set(self.ports) - {"http", "grpc"})
        if unknown or not self.ports:
            raise ValueError(f"TrafficSplitArgs.ports must name 'http' and/or 'grpc', got {sorted(self.ports)}")


class TrafficSplit(pulumi.ComponentResource):
    """The routes or Ingresses that split requests between the tracks, with auth and limits attached."""

    url: pulumi.Output[str]
    """How clients reach the service through the router."""
    weights: dict[str, int]
    """Track -> percentage of requests (known at preview)."""

    def __init__(self, name: str, args: TrafficSplitArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        self._args = args
        self._opts = opts
        self.weights = {backend.track: backend.weight for backend in args.backends}
        router = args.router
        if isinstance(router, GatewayApiRouter):
            self.url = self._gateway_api(name, router)
        elif isinstance(router, AlbRouter):
            self.url = self._alb(name, router)
        else:
            self.url = self._nginx(name, router)
        self.register_outputs({"url": self.url, "weights": self.weights})

    def _meta(self, k8s_name: str, annotations: Mapping[str, str]) -> meta.ObjectMetaArgs:
        return meta.ObjectMetaArgs(
            name=k8s_name,
            namespace=self._args.namespace,
            labels=dict(self._args.labels),
            annotations=dict(annotations) or None,
        )

    # -- Gateway API ---------------------------------------------------------------------------------

    def _gateway_api(self, name: str, router: GatewayApiRouter) -> pulumi.Output[str]:
        args = self._args
        parent: dict[str, Any] = {"group": GATEWAY_GROUP, "kind": "Gateway", "name": router.gateway_name}
        if router.gateway_namespace is not None:
            parent["namespace"] = router.gateway_namespace
        annotations = args.endpoint.auth_annotations()
        routes: list[tuple[str, bool]] = []
        for port_name, port in args.ports.items():
            grpc = port_name == "grpc"
            # REST and gRPC share hostnames: a gRPC request is told apart by its content type.
            # (A GRPCRoute on the same hostnames would conflict with the HTTPRoute.)
            match: dict[str, Any] = {"path": {"type": "PathPrefix", "value": "/"}}
            if grpc and "http" in args.ports:
                match["headers"] = [{"type": "Exact", "name": "content-type", "value": GRPC_CONTENT_TYPE}]
            rule: dict[str, Any] = {
                "matches": [match],
                "backendRefs": [
                    {"kind": "Service", "name": backend.service, "port": port, "weight": backend.weight}
                    for backend in args.backends
                ],
            }
            rule.update(args.endpoint.gateway_rule_settings(grpc=grpc))
            k8s_name = f"{args.name}-grpc" if grpc else args.name
            spec: dict[str, Any] = {"parentRefs": [parent], "rules": [rule]}
            if router.hostnames:
                spec["hostnames"] = list(router.hostnames)
            k8s.apiextensions.CustomResource(
                f"{name}-{port_name}-route",
                api_version=f"{GATEWAY_GROUP}/v1",
                kind="HTTPRoute",
                metadata=self._meta(k8s_name, annotations),
                spec=spec,
                opts=child_options(self, self._opts),
            )
            routes.append((k8s_name, grpc))
        create_envoy_gateway_policies(
            name,
            namespace=args.namespace,
            labels=args.labels,
            routes=routes,
            endpoint=args.endpoint,
            opts=child_options(self, self._opts),
        )
        if router.hostnames:
            return pulumi.Output.from_input(f"https://{router.hostnames[0]}")
        # No hostname of our own: clients use the Gateway's address, which this stack does not know.
        gateway_namespace = router.gateway_namespace or args.namespace
        return pulumi.Output.from_input(f"https://<address of Gateway {gateway_namespace}/{router.gateway_name}>")

    # -- AWS Load Balancer Controller ----------------------------------------------------------------

    def _alb(self, name: str, router: AlbRouter) -> pulumi.Output[str]:
        args = self._args
        listeners = {"http": router.https_port, "grpc": router.grpcs_port}
        ingresses: list[net.Ingress] = []
        for port_name, port in args.ports.items():
            grpc = port_name == "grpc"
            listener = listeners[port_name]
            # One forward action with a weight per target group: the controller makes one target group
            # per (Service, port) and the ALB splits requests between them.
            action = {
                "type": "forward",
                "forwardConfig": {
                    "targetGroups": [
                        {"serviceName": backend.service, "servicePort": str(port), "weight": backend.weight}
                        for backend in args.backends
                    ]
                },
            }
            annotations: dict[str, Any] = {
                f"{ALB_PREFIX}scheme": "internet-facing" if router.public else "internal",
                f"{ALB_PREFIX}target-type": "ip",
                f"{ALB_PREFIX}group.name": alb_group_name(router, namespace=args.namespace, name=args.name),
                f"{ALB_PREFIX}listen-ports": json.dumps([{"HTTPS": listener}]),
                f"{ALB_PREFIX}certificate-arn": router.certificate_arn,
                f"{ALB_PREFIX}ssl-policy": router.ssl_policy,
                f"{ALB_PREFIX}actions.{ALB_ACTION}": json.dumps(action, separators=(",", ":")),
                **args.endpoint.alb_annotations(listener_port=listener),
            }
            if router.source_ranges:
                annotations[f"{ALB_PREFIX}inbound-cidrs"] = ",".join(router.source_ranges)
            if grpc:
                annotations[f"{ALB_PREFIX}backend-protocol-version"] = "GRPC"
                annotations[f"{ALB_PREFIX}healthcheck-path"] = "/grpc.health.v1.Health/Check"
                annotations[f"{ALB_PREFIX}success-codes"] = "0"
            else:
                annotations[f"{ALB_PREFIX}healthcheck-path"] = router.healthcheck_path
            attributes = [f"idle_timeout.timeout_seconds={args.endpoint.request_timeout_seconds}"]
            if router.deletion_protection:
                attributes.append("deletion_protection.enabled=true")
            annotations[f"{ALB_PREFIX}load-balancer-attributes"] = ",".join(attributes)
            if router.tags:
                annotations[f"{ALB_PREFIX}tags"] = ",".join(f"{key}={value}" for key, value in router.tags.items())
            if router.waf_acl_name is not None:
                annotations[f"{ALB_PREFIX}wafv2-acl-name"] = router.waf_acl_name
            backend = net.IngressBackendArgs(
                service=net.IngressServiceBackendArgs(
                    name=ALB_ACTION, port=net.ServiceBackendPortArgs(name="use-annotation")
                )
            )
            ingress = net.Ingress(
                f"{name}-{port_name}-ingress",
                metadata=self._meta(f"{args.name}-grpc" if grpc else args.name, annotations),
                spec=net.IngressSpecArgs(
                    ingress_class_name="alb",
                    rules=[
                        net.IngressRuleArgs(
                            host=router.host,
                            http=net.HTTPIngressRuleValueArgs(
                                paths=[net.HTTPIngressPathArgs(path="/", path_type="Prefix", backend=backend)]
                            ),
                        )
                    ],
                ),
                opts=child_options(self, self._opts),
            )
            ingresses.append(ingress)
        scheme, port = ("https", router.https_port) if "http" in args.ports else ("grpcs", router.grpcs_port)
        if router.host is not None:
            return pulumi.Output.from_input(f"{scheme}://{router.host}:{port}")
        # The ALB's DNS name, once the controller has made it (unknown at preview).
        address = ingresses[0].status.apply(
            lambda status: (
                status.load_balancer.ingress[0].hostname or ""
                if status and status.load_balancer and status.load_balancer.ingress
                else ""
            )
        )
        return pulumi.Output.format("{0}://{1}:{2}", scheme, address, port)

    # -- ingress-nginx -------------------------------------------------------------------------------

    def _nginx(self, name: str, router: NginxRouter) -> pulumi.Output[str]:
        args = self._args
        issuer = {"cert-manager.io/cluster-issuer": router.cluster_issuer} if router.cluster_issuer else {}
        hosts = {"http": router.host, "grpc": router.grpc_host if "http" in args.ports else router.host}
        if hosts["grpc"] is None and "grpc" in args.ports:
            raise ValueError("NginxRouter: serving REST and gRPC needs grpc_host (one backend protocol per host)")
        primary, *canaries = args.backends
        for port_name, port in args.ports.items():
            grpc = port_name == "grpc"
            host = hosts[port_name]
            assert host is not None  # checked above
            k8s_name = f"{args.name}-grpc" if grpc else args.name
            secret = router.tls_secret_name or f"{k8s_name}-tls"
            protocol = {f"{NGINX_PREFIX}backend-protocol": "GRPC"} if grpc else {}
            annotations = {**args.endpoint.nginx_annotations(args.namespace), **protocol, **issuer}
            route = _NginxRoute(host=host, secret=secret, port=port)
            self._nginx_ingress(f"{name}-{port_name}-ingress", k8s_name, route, primary, annotations)
            for backend in canaries:
                # ingress-nginx applies the primary Ingress's auth, limits and fallback to its canary.
                canary = {
                    **args.endpoint.auth_annotations(),
                    **protocol,
                    f"{NGINX_PREFIX}canary": "true",
                    f"{NGINX_PREFIX}canary-weight": str(backend.weight),
                }
                self._nginx_ingress(f"{name}-{port_name}-canary", f"{k8s_name}-canary", route, backend, canary)
        return pulumi.Output.from_input(f"https://{router.host if 'http' in args.ports else hosts['grpc']}")

    def _nginx_ingress(
        self, resource_name: str, k8s_name: str, route: _NginxRoute, backend: Backend, annotations: Mapping[str, str]
    ) -> None:
        host, secret, port = route.host, route.secret, route.port
        router = self._args.router
        assert isinstance(router, NginxRouter)
        net.Ingress(
            resource_name,
            metadata=self._meta(k8s_name, annotations),
            spec=net.IngressSpecArgs(
                ingress_class_name=router.ingress_class,
                # Canary Ingresses repeat the TLS block: each Ingress is checked on its own.
                tls=[net.IngressTLSArgs(hosts=[host], secret_name=secret)],
                rules=[
                    net.IngressRuleArgs(
                        host=host,
                        http=net.HTTPIngressRuleValueArgs(
                            paths=[
                                net.HTTPIngressPathArgs(
                                    path="/",
                                    path_type="Prefix",
                                    backend=net.IngressBackendArgs(
                                        service=net.IngressServiceBackendArgs(
                                            name=backend.service, port=net.ServiceBackendPortArgs(number=port)
                                        )
                                    ),
                                )
                            ]
                        ),
                    )
                ],
            ),
            opts=child_options(self, self._opts),
        )
