"""docker-provider-disallow-plaintext-transport."""

from __future__ import annotations

import json

import pytest
from guardrails.encryption_in_transit.docker_provider_disallow_plaintext_transport import POLICY

from tests.policies.harness import analyze, secret

TYPE = "pulumi:providers:docker"
AUTH = json.dumps([{"address": "registry.site-a.example.internal:5000", "username": "edge", "password": "x"}])


@pytest.mark.parametrize(
    "props",
    [
        {"host": "ssh://deploy@edge01.site-a.example.internal", "registryAuth": secret(AUTH)},
        {"host": "tcp://edge01:2376", "caMaterial": "ca", "certMaterial": "cert", "keyMaterial": "key"},
        {"host": "unix:///var/run/docker.sock"},
        {},
    ],
)
def test_encrypted_transports_pass(props: dict) -> None:
    assert analyze(POLICY, TYPE, props, name="edge01").passed


def test_plain_tcp_daemon_violates() -> None:
    assert analyze(POLICY, TYPE, {"host": "tcp://edge01:2375"}).has("over plain TCP")


def test_plain_http_registry_violates() -> None:
    auth = json.dumps([{"address": "http://registry.site-a.example.internal:5000", "username": "edge"}])
    result = analyze(POLICY, TYPE, {"host": "ssh://deploy@edge01", "registryAuth": secret(auth)})
    assert result.has("authenticates to registry http://registry.site-a.example.internal:5000 over plain HTTP")


def test_wrong_shaped_registry_auth_does_not_crash() -> None:
    assert analyze(POLICY, TYPE, {"registryAuth": "not json"}).passed
