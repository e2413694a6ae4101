"""aws-vpn-connection-require-strong-crypto: both VPN tunnels pin IKEv2, AES-256, SHA-2 and DH group >= 14."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Pending, Report, Spec, resource_policy
from .._props import as_list, as_number, get, str_list

SPEC = Spec(
    name="aws-vpn-connection-require-strong-crypto",
    area="encryption_in_transit",
    description=(
        "Site-to-site VPN tunnels pin IKEv2, AES-256 (GCM or CBC), SHA-2 integrity and Diffie-Hellman group >= 14; "
        "unset lists fall back to AWS defaults that include IKEv1, AES-128, SHA-1 and DH group 2."
    ),
    severity=Severity.HIGH,
    remediation=(
        "On the aws.ec2.VpnConnection set, for tunnel1 and tunnel2: ike_versions=['ikev2'], "
        "phase{1,2}_encryption_algorithms=['AES256-GCM-16'], phase{1,2}_integrity_algorithms=['SHA2-256'], "
        "phase{1,2}_dh_group_numbers=[20] (or other allowed values)."
    ),
    hipaa=("164.312(e)(1)", "164.312(e)(2)(ii)"),
    nist=("SC-8", "SC-8(1)", "SC-12", "SC-13"),
    config={
        "allowedIkeVersions": {
            **_params.STRING_LIST,
            "minItems": 1,
            "description": "IKE versions accepted.",
            "default": ["ikev2"],
        },
        "allowedEncryptionAlgorithms": {
            **_params.STRING_LIST,
            "minItems": 1,
            "description": "Phase 1 and 2 encryption algorithms accepted.",
            "default": ["AES256", "AES256-GCM-16"],
        },
        "allowedIntegrityAlgorithms": {
            **_params.STRING_LIST,
            "minItems": 1,
            "description": "Phase 1 and 2 integrity algorithms accepted.",
            "default": ["SHA2-256", "SHA2-384", "SHA2-512"],
        },
        "minDhGroup": {
            "type": "integer",
            "minimum": 14,
            "maximum": 24,
            "description": "Lowest Diffie-Hellman group number accepted in phase 1 and 2.",
            "default": 14,
        },
    },
    resource_types=("aws:ec2/vpnConnection:VpnConnection",),
)


def _check_list(what: str, values: list[str], allowed: list[str], report: Report) -> None:
    if not values:
        report(f"{what} is not set, so AWS also offers its weak defaults; set it to a subset of {allowed}.")
        return
    weak = [value for value in values if value not in allowed]
    if weak:
        report(f"{what} includes {weak}, not in {allowed}.")


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    pending = Pending()
    min_group = int(config["minDhGroup"])
    for tunnel in ("tunnel1", "tunnel2"):
        prefix = f"VPN connection '{args.name}' {tunnel}"
        with pending.check():
            versions = str_list(get(args.props, f"{tunnel}IkeVersions"))
            _check_list(f"{prefix} IKE versions", versions, list(config["allowedIkeVersions"]), report)
        for phase in ("Phase1", "Phase2"):
            with pending.check():
                algorithms = str_list(get(args.props, f"{tunnel}{phase}EncryptionAlgorithms"))
                allowed = list(config["allowedEncryptionAlgorithms"])
                _check_list(f"{prefix} {phase.lower()} encryption", algorithms, allowed, report)
            with pending.check():
                integrity = str_list(get(args.props, f"{tunnel}{phase}IntegrityAlgorithms"))
                allowed = list(config["allowedIntegrityAlgorithms"])
                _check_list(f"{prefix} {phase.lower()} integrity", integrity, allowed, report)
            with pending.check():
                groups = [as_number(g) for g in as_list(get(args.props, f"{tunnel}{phase}DhGroupNumbers"))]
                if not groups:
                    report(f"{prefix} {phase.lower()} DH groups are not set (AWS defaults include group 2).")
                elif any(group is None or group < min_group for group in groups):
                    shown = [int(g) if g is not None else "?" for g in groups]
                    report(f"{prefix} {phase.lower()} DH groups {shown} include a group below {min_group}.")
    pending.finish()


POLICY = resource_policy(SPEC, _check)
