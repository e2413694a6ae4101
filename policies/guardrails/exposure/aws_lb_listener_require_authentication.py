"""aws-lb-listener-require-authentication: load-balancer listeners authenticate clients (mTLS or OIDC)."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params, conventions
from .._aws import effective_tags
from .._base import Config, Report, Spec, resource_policy
from .._props import as_list, get

AUTH_ACTIONS = ("authenticate-oidc", "authenticate-cognito", "jwt-validation")

SPEC = Spec(
    name="aws-lb-listener-require-authentication",
    area="exposure",
    description=(
        "Load-balancer listeners that serve traffic authenticate clients: ALB mutual TLS in verify mode or an "
        f"OIDC/Cognito/JWT action, or (TLS/TCP listeners that pass through to the pods) a {conventions.AUTH_MODE} "
        "tag with an accepted mode."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Set mutual_authentication={'mode': 'verify', 'trust_store_arn': ...} or put an authenticate-oidc action "
        f"before forward; for NLB passthrough tag the listener {conventions.AUTH_MODE}=mtls and verify clients in "
        "the pods."
    ),
    hipaa=("164.312(d)", "164.312(a)(1)"),
    nist=("IA-2", "IA-3", "AC-3"),
    config={"allowedModes": _params.AUTH_MODES},
    resource_types=("aws:lb/listener:Listener", "aws:alb/listener:Listener"),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    actions = as_list(get(args.props, "defaultActions"))
    kinds = [get(action, "type") for action in actions]
    if kinds and all(kind in ("redirect", "fixed-response") for kind in kinds):
        args.not_applicable("the listener only redirects or answers fixed responses")
    if get(args.props, "mutualAuthentication", "mode") == "verify" or any(kind in AUTH_ACTIONS for kind in kinds):
        return
    protocol = get(args.props, "protocol")
    mode = effective_tags(args.props, args.provider).get(conventions.AUTH_MODE)
    allowed = list(config["allowedModes"])
    if protocol in ("TLS", "TCP") and mode in allowed:
        return  # passthrough: the pods authenticate (declared by tag)
    report(
        f"listener '{args.name}' does not authenticate clients (no mutualAuthentication verify, no "
        f"{'/'.join(AUTH_ACTIONS)} action, no {conventions.AUTH_MODE} tag in {allowed} on a TLS/TCP listener)."
    )


POLICY = resource_policy(SPEC, _check)
