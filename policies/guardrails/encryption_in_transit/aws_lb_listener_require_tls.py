"""aws-lb-listener-require-tls: load-balancer listeners speak TLS with an allowed security policy."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._props import as_list, get, present

SPEC = Spec(
    name="aws-lb-listener-require-tls",
    area="encryption_in_transit",
    description=(
        "Load-balancer listeners are HTTPS/TLS with an allowed TLS policy; plain HTTP only redirects to HTTPS."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Use protocol HTTPS (ALB) or TLS (NLB) with certificate_arn and ssl_policy set to one of "
        "allowedTlsPolicies; an HTTP listener may only have a redirect-to-HTTPS default action."
    ),
    hipaa=("164.312(e)(1)", "164.312(e)(2)(ii)"),
    nist=("SC-8", "SC-8(1)", "SC-13"),
    config={
        "allowedTlsPolicies": _params.ALLOWED_TLS_POLICIES,
        "allowHttpRedirect": {
            "type": "boolean",
            "description": "Accept an HTTP listener whose only default action redirects to HTTPS.",
            "default": True,
        },
        "allowTcpPassthrough": _params.ALLOW_TCP_PASSTHROUGH,
    },
    resource_types=("aws:lb/listener:Listener", "aws:alb/listener:Listener"),
)


def _redirects_to_https(args: ResourceValidationArgs) -> bool:
    actions = as_list(get(args.props, "defaultActions"))
    return bool(actions) and all(
        get(action, "type") == "redirect" and get(action, "redirect", "protocol") == "HTTPS" for action in actions
    )


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    protocol = get(args.props, "protocol")
    allowed = list(config["allowedTlsPolicies"])
    if protocol in ("HTTPS", "TLS"):
        if not present(args.props, "certificateArn"):
            report(f"listener '{args.name}' ({protocol}) has no certificateArn.")
        policy = get(args.props, "sslPolicy")
        if policy not in allowed:
            report(f"listener '{args.name}' uses TLS policy {policy!r}, which is not in allowedTlsPolicies {allowed}.")
    elif protocol == "HTTP" or protocol is None:
        if not (config["allowHttpRedirect"] and _redirects_to_https(args)):
            report(
                f"listener '{args.name}' accepts plain HTTP (protocol {protocol or 'HTTP (default)'}) without "
                "only redirecting to HTTPS."
            )
    elif protocol in ("TCP", "UDP", "TCP_UDP"):
        if not config["allowTcpPassthrough"]:
            report(
                f"listener '{args.name}' uses protocol {protocol}, which carries traffic unencrypted at the "
                "load balancer; use TLS."
            )
    else:
        args.not_applicable(f"protocol {protocol} (e.g. GENEVE) carries no client traffic to terminate")


POLICY = resource_policy(SPEC, _check)
