"""docker-provider-disallow-plaintext-transport: no plain-HTTP registry, no unencrypted Docker daemon API."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._docker import PROVIDER_TYPE
from .._props import as_list, get, present, provider_value

SPEC = Spec(
    name="docker-provider-disallow-plaintext-transport",
    area="encryption_in_transit",
    description=(
        "Docker providers reach the daemon over SSH or TLS and authenticate to registries over HTTPS only "
        "(images are never pulled from a plain-HTTP registry)."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Use host 'ssh://user@host' (or 'tcp://host:2376' with ca_material/cert_material/key_material or "
        "cert_path); give registry_auth addresses without 'http://' and serve the registry over TLS."
    ),
    hipaa=("164.312(e)(1)",),
    nist=("SC-8", "SC-8(1)"),
    resource_types=(PROVIDER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    host = get(args.props, "host")
    if isinstance(host, str) and host.startswith("tcp://"):
        has_tls = any(present(args.props, key) for key in ("caMaterial", "certMaterial", "certPath"))
        if not has_tls:
            report(f"docker provider '{args.name}' talks to {host} over plain TCP (no TLS material or cert_path).")
    elif isinstance(host, str) and host.startswith("http://"):
        report(f"docker provider '{args.name}' talks to {host} over plain HTTP.")
    for auth in as_list(provider_value(get(args.props, "registryAuth"))):
        address = get(auth, "address")
        if isinstance(address, str) and address.lower().startswith("http://"):
            report(f"docker provider '{args.name}' authenticates to registry {address} over plain HTTP.")


POLICY = resource_policy(SPEC, _check)
