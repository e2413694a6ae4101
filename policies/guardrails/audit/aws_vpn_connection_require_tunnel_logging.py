"""aws-vpn-connection-require-tunnel-logging: both VPN tunnels log to CloudWatch."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import get, is_true, present

SPEC = Spec(
    name="aws-vpn-connection-require-tunnel-logging",
    area="audit",
    description="Both tunnels of every site-to-site VPN connection send tunnel logs to a CloudWatch log group.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set tunnel{1,2}_log_options={'cloudwatch_log_options': {'log_enabled': True, 'log_group_arn': <ARN>, "
        "'log_output_format': 'json'}} on the aws.ec2.VpnConnection."
    ),
    hipaa=("164.312(b)",),
    nist=("AU-2", "AU-12"),
    resource_types=("aws:ec2/vpnConnection:VpnConnection",),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    for tunnel in ("tunnel1", "tunnel2"):
        options = get(args.props, f"{tunnel}LogOptions", "cloudwatchLogOptions")
        if not is_true(options, "logEnabled"):
            report(f"VPN connection '{args.name}' {tunnel} logging is off ({tunnel}LogOptions.logEnabled).")
        elif not present(options, "logGroupArn"):
            report(f"VPN connection '{args.name}' {tunnel} logs to no log group (logGroupArn is not set).")


POLICY = resource_policy(SPEC, _check)
