"""kubernetes-ingress-require-tls: Ingresses and Gateway listeners serve only TLS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._k8s import GATEWAY_TYPES, INGRESS_TYPES, annotations_of, resource_name
from .._props import as_list, as_mapping, get, present, str_list

_ALB = "alb.ingress.kubernetes.io/"

SPEC = Spec(
    name="kubernetes-ingress-require-tls",
    area="encryption_in_transit",
    description=(
        "Kubernetes Ingresses terminate TLS for every host (spec.tls, or the AWS ALB certificate annotations) "
        "and Gateway API listeners use HTTPS/TLS."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Add spec.tls entries (secretName from a TLS secret or cert-manager) covering every rule host; on the AWS "
        f"Load Balancer Controller set {_ALB}certificate-arn and HTTPS-only {_ALB}listen-ports "
        f"(or {_ALB}ssl-redirect); "
        "give Gateway listeners protocol HTTPS or TLS with tls.certificateRefs. Canary Ingresses repeat the tls block."
    ),
    hipaa=("164.312(e)(1)", "164.312(e)(2)(ii)"),
    nist=("SC-8", "SC-8(1)", "SC-23"),
    resource_types=(*INGRESS_TYPES, *GATEWAY_TYPES),
)


def _alb_problem(notes: dict[str, str]) -> str | None:
    if not notes.get(f"{_ALB}certificate-arn"):
        return f"has no spec.tls and no {_ALB}certificate-arn"
    ports = notes.get(f"{_ALB}listen-ports", '[{"HTTP": 80}]')
    if '"HTTP"' in ports and not notes.get(f"{_ALB}ssl-redirect"):
        return f"listens on plain HTTP ({_ALB}listen-ports {ports}) without {_ALB}ssl-redirect"
    return None


def _check_ingress(name: str, props: Mapping[str, Any], report: Report) -> None:
    notes = annotations_of(as_mapping(get(props, "metadata")))
    if notes.get("nginx.ingress.kubernetes.io/ssl-redirect") == "false":
        report(f"{name} disables the TLS redirect (nginx.ingress.kubernetes.io/ssl-redirect: 'false').")
    tls = as_list(get(props, "spec", "tls"))
    if not tls:
        is_alb = get(props, "spec", "ingressClassName") == "alb" or notes.get("kubernetes.io/ingress.class") == "alb"
        problem = _alb_problem(notes) if is_alb else "has no spec.tls"
        if problem:
            report(f"{name} {problem}: clients reach it over plain HTTP.")
        return
    covered = {host for entry in tls for host in str_list(get(entry, "hosts"))}
    for entry in tls:
        if not present(entry, "secretName"):
            report(f"{name} has a spec.tls entry without secretName.")
    for rule in as_list(get(props, "spec", "rules")):
        host = get(rule, "host")
        if isinstance(host, str) and covered and host not in covered:
            report(f"{name} serves host {host!r}, which no spec.tls entry covers.")


def _check_gateway(name: str, props: Mapping[str, Any], report: Report) -> None:
    for listener in as_list(get(props, "spec", "listeners")):
        protocol = get(listener, "protocol")
        if protocol not in ("HTTPS", "TLS"):
            report(f"{name} listener {get(listener, 'name')!r} uses protocol {protocol!r}, not HTTPS/TLS.")


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    kind = args.resource_type.rsplit(":", 1)[-1]
    name = f"{kind} '{resource_name(args.props, args.name)}'"
    if args.resource_type in INGRESS_TYPES:
        _check_ingress(name, args.props, report)
    else:
        _check_gateway(name, args.props, report)


POLICY = resource_policy(SPEC, _check)
