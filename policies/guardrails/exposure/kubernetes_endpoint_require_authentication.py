"""kubernetes-endpoint-require-authentication: inference endpoints declare (and configure) client authentication."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params, conventions
from .._base import Config, Report, Spec, resource_policy
from .._k8s import INGRESS_TYPES, ROUTE_TYPES, SERVICE_TYPE, annotations_of, resource_name
from .._props import as_mapping, get

_NGINX = "nginx.ingress.kubernetes.io/"
_ALB = "alb.ingress.kubernetes.io/"

SPEC = Spec(
    name="kubernetes-endpoint-require-authentication",
    area="exposure",
    description=(
        f"Every inference endpoint (Ingress, HTTPRoute/GRPCRoute, LoadBalancer or NodePort Service) carries the "
        f"annotation {conventions.AUTH_MODE} with an accepted mode (mtls or oidc); on ingress-nginx and the AWS "
        "ALB controller the matching controller annotations must be present too."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        f"Annotate the endpoint with {conventions.AUTH_MODE}: mtls (client CA from a secret; ingress-nginx: "
        f"{_NGINX}auth-tls-verify-client: 'on' and {_NGINX}auth-tls-secret) or {conventions.AUTH_MODE}: oidc "
        f"(ingress-nginx: {_NGINX}auth-url; ALB: {_ALB}auth-type: oidc; Gateway: the gateway's JWT/OIDC filter)."
    ),
    hipaa=("164.312(d)", "164.312(a)(1)"),
    nist=("IA-2", "IA-3", "AC-3"),
    config={
        "allowedModes": _params.AUTH_MODES,
        "verifyControllerAnnotations": {
            "type": "boolean",
            "description": "Also require the ingress-nginx / ALB annotations that implement the declared mode.",
            "default": True,
        },
    },
    resource_types=(SERVICE_TYPE, *INGRESS_TYPES, *ROUTE_TYPES),
)


def _controller_problem(mode: str, notes: dict[str, str], ingress_class: str | None) -> str | None:
    """What the controller lacks to enforce ``mode``, for the controllers whose annotations we know."""
    if notes.get(f"{_NGINX}canary") == "true":
        return None  # ingress-nginx applies the main Ingress's auth to its canary
    if ingress_class == "nginx" or any(key.startswith(_NGINX) for key in notes):
        if mode == "mtls" and not (
            notes.get(f"{_NGINX}auth-tls-verify-client") == "on" and notes.get(f"{_NGINX}auth-tls-secret")
        ):
            return f"declares mtls but lacks {_NGINX}auth-tls-verify-client: 'on' and {_NGINX}auth-tls-secret"
        if mode == "oidc" and not notes.get(f"{_NGINX}auth-url"):
            return f"declares oidc but lacks {_NGINX}auth-url"
    is_alb = ingress_class == "alb" or notes.get("kubernetes.io/ingress.class") == "alb"
    if is_alb and mode == "oidc" and notes.get(f"{_ALB}auth-type") not in ("oidc", "cognito"):
        return f"declares oidc but lacks {_ALB}auth-type: oidc"
    return None


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if args.resource_type == SERVICE_TYPE and get(args.props, "spec", "type") not in ("LoadBalancer", "NodePort"):
        return  # ClusterIP Services are reached only inside the cluster, through the endpoints checked here
    kind = args.resource_type.rsplit(":", 1)[-1]
    name = f"{kind} '{resource_name(args.props, args.name)}'"
    notes = annotations_of(as_mapping(get(args.props, "metadata")))
    allowed = list(config["allowedModes"])
    mode = notes.get(conventions.AUTH_MODE)
    if mode is None or mode not in allowed:
        shown = f"{conventions.AUTH_MODE}={mode!r}" if mode else f"no {conventions.AUTH_MODE} annotation"
        report(f"{name} is an unauthenticated endpoint ({shown}); accepted modes: {allowed}.")
        return
    if config["verifyControllerAnnotations"] and args.resource_type in INGRESS_TYPES:
        ingress_class = get(args.props, "spec", "ingressClassName")
        problem = _controller_problem(mode, notes, ingress_class if isinstance(ingress_class, str) else None)
        if problem:
            report(f"{name} {problem}.")


POLICY = resource_policy(SPEC, _check)
