"""Edge fleet model: device-local inference on remote Docker hosts, rolled out in waves.

Staged rollout: devices in waves up to ``edge.candidateMaxWave`` run
``rollout.candidate``; the rest run the stable version (``inference.image`` and
``inference.model.version``). Every device keeps the stable image pulled, so:

- promote a wave: raise ``edge.candidateMaxWave`` (one line);
- roll back: remove ``edge.candidateMaxWave`` (one line); the stable image is
  already on every device, nothing is pulled;
- finalise: make the candidate the stable version and drop ``rollout.candidate``;
  containers already on that image do not change (images are keyed by digest,
  and no label names the track).

Sharding (``edge.shard``, see docs/edge-sharding.md) picks the devices this stack
manages; each device is looked at once, so the model is O(devices).
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_docker as docker

from .common import config_error
from .config import StackConfig, parse_image
from .config.models import EdgeConfig, EdgeDevice
from .edge_device import (
    CANDIDATE,
    STABLE,
    ContainerSpec,
    Device,
    DeviceArgs,
    ServingVersion,
    device_labels,
    version_labels,
)
from .labels import Labels

RESOURCE_TYPE = "inference:models:EdgeFleet"
REGISTRY_AUTH_KEY = "registryAuth"
DOCKER_HUB = "registry-1.docker.io"
_CREDENTIAL_FIELDS = ("username", "password")
# Registry username and password in a preview that cannot read registryAuth (always a secret).
PREVIEW_LOGIN_STAND_IN = "registryAuth-unreadable-in-preview"
# Fleets from this size on run without full GC passes (see _skip_full_collections).
LARGE_FLEET = 200
_LOGIN_FORM = 'a JSON object with non-empty string fields "username" and "password"'


@dataclass(frozen=True)
class RegistryCredentials:
    """Registry login; both parts are Pulumi secrets."""

    username: pulumi.Output[str]
    password: pulumi.Output[str]


def read_registry_credentials(key: str = REGISTRY_AUTH_KEY) -> RegistryCredentials:
    """The registry login from secret config: JSON ``{"username": "...", "password": "..."}``.

    Parsed when the program starts, so bad config stops the run before any
    resource exists. Both parts continue only as secrets; no error echoes them.
    """
    text = pulumi.Config().get(key)
    if text is None:
        raise config_error(
            key, f"missing; set the registry login with `pulumi config set --secret {key}` to {_LOGIN_FORM}"
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        extra = sorted(set(data) - set(_CREDENTIAL_FIELDS))
        if extra:
            raise config_error(key, f"unknown field(s) {extra}; allowed: username, password")
        if all(isinstance(data.get(part), str) and data[part] for part in _CREDENTIAL_FIELDS):
            return RegistryCredentials(
                username=pulumi.Output.secret(data["username"]), password=pulumi.Output.secret(data["password"])
            )
    elif data is None and pulumi.runtime.is_dry_run():
        # A preview that cannot read the plaintext (an offline plan does not decrypt `secure:` values).
        # A secret stand-in rather than an unknown: the provider's registry_auth travels as one string,
        # and an unknown part would hide the registry addresses the policies check. A preview pulls
        # nothing, and `pulumi up` still rejects a value that is not the JSON login.
        pulumi.log.warn(f"{key} is not readable JSON in this preview; the registry login is a stand-in")
        stand_in = pulumi.Output.secret(PREVIEW_LOGIN_STAND_IN)
        return RegistryCredentials(username=stand_in, password=stand_in)
    raise config_error(key, f"must be {_LOGIN_FORM} (value not shown: it is a secret)")


def registry_address(image: str) -> str:
    """The registry an image is pulled from, as ``registry_auth.address`` names it."""
    first, sep, _ = parse_image(image)[0].partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return DOCKER_HUB


def _versions(config: StackConfig) -> tuple[ServingVersion, ServingVersion | None]:
    stable_image = config.inference.image.reference
    # StackConfig rejects inference.image.build for the edge model; this only guards the type.
    assert stable_image is not None
    stable = ServingVersion(STABLE, stable_image, config.inference.model.version)
    candidate = config.rollout.candidate
    if candidate is None:
        return stable, None
    return stable, ServingVersion(CANDIDATE, candidate.image, candidate.model_version)


def _container_spec(config: StackConfig, edge: EdgeConfig, credentials: RegistryCredentials) -> ContainerSpec:
    inference = config.inference
    ports = [port for port in (inference.ports.http, inference.ports.grpc) if port is not None]
    # StackConfig requires the HTTP port for the edge model: the healthcheck probes it.
    assert inference.ports.http is not None
    stable, candidate = _versions(config)
    # One login for every registry the fleet pulls from (stable and candidate may differ).
    registries = sorted({registry_address(version.image) for version in (stable, candidate) if version is not None})
    return ContainerSpec(
        container_name=inference.name,
        user=edge.run_as_user,
        memory_mb=edge.memory_limit_mb,
        cpus=edge.cpus,
        ports=ports,
        health_port=inference.ports.http,
        health_path=inference.probes.readiness_path,
        health_interval_seconds=inference.probes.period_seconds,
        health_start_period_seconds=inference.probes.period_seconds * inference.probes.startup_failure_threshold,
        tmp_size_mb=edge.tmp_size_mb,
        log_max_size=edge.log_max_size,
        log_max_files=edge.log_max_files,
        registry_auth=[
            docker.ProviderRegistryAuthArgs(
                address=address, username=credentials.username, password=credentials.password
            )
            for address in registries
        ],
    )


def device_summary(device: EdgeDevice, serving: ServingVersion) -> dict[str, Any]:
    """What the stack reports about one device (no secrets)."""
    return {
        "site": device.site,
        "wave": device.wave,
        "version": serving.model_version,
        "image": serving.image,
        "track": serving.track,
    }


class EdgeFleet(pulumi.ComponentResource):
    """Every device of this stack's shard: one ``inference:edge:Device`` each."""

    devices: dict[str, dict[str, Any]]
    """Device name -> site, wave, model version, image and track."""
    versions: dict[str, int]
    """Model version -> number of devices serving it."""

    def __init__(
        self,
        name: str,
        config: StackConfig,
        credentials: RegistryCredentials,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Everything that can reject config runs before the first registration.
        edge = config.edge
        if edge is None:
            raise config_error("edge", "deploymentModel 'edge' needs the 'edge' section")
        spec = _container_spec(config, edge, credentials)
        stable, candidate = _versions(config)
        # Label dicts are built once per version; a device adds only its own three facts.
        shared = Labels.from_config(config).k8s_labels(config.inference.model.name, stable.model_version)
        labels = {version.track: version_labels(shared, version) for version in (stable, candidate) if version}

        super().__init__(RESOURCE_TYPE, name, None, opts)
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))

        self.devices = {}
        for device in edge.selected_devices():
            serving = candidate if candidate is not None and edge.runs_candidate(device) else stable
            Device(
                f"{name}-{device.name}",
                DeviceArgs(
                    host=device.host,
                    serving_address=device.serving_address,
                    accelerator=device.accelerator,
                    serving=serving,
                    # The stable image stays on a candidate device so a rollback needs no pull.
                    kept_pulled=(stable,) if serving is not stable else (),
                    labels=device_labels(labels[serving.track], device),
                    spec=spec,
                ),
                opts=child,
            )
            self.devices[device.name] = device_summary(device, serving)
        self.versions = dict(Counter(summary["version"] for summary in self.devices.values()))
        self.register_outputs({"devices": self.devices, "versions": self.versions})


def _skip_full_collections() -> None:
    """Keep CPython's young-generation GC passes but (practically) stop full ones for this program.

    The SDK keeps a task and futures alive for every output of every resource
    (about 80 per container) until the program ends: a fleet leaves millions of
    live, long-lived objects, and every full collection walks all of them to free
    almost nothing. Measured (offline plan, CPU seconds): 1,000 devices 32 s with
    the defaults (23 full passes), 12 s without; 2,000 devices 62 s and 24 s, so
    time grows linearly again; peak memory unchanged (the objects are live, not
    garbage). Young passes still free short-lived cycles.

    Process-wide, so only for fleets big enough to matter, and only here, in the
    program's entry path: under ``pulumi up`` the program has its own process; the
    offline engine runs programs in-process and starts each run from the thresholds
    a previous program did not retune (``preflight.engine.run_program``).
    """
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1_000_000)


def build(config: StackConfig) -> Mapping[str, Any]:
    """The edge model's entry point (components.deployments): build the fleet, return the outputs."""
    if config.edge is not None and len(config.edge.devices) >= LARGE_FLEET:
        _skip_full_collections()
    credentials = read_registry_credentials()
    fleet = EdgeFleet(config.inference.name, config, credentials)
    return {"edgeDevices": fleet.devices, "edgeVersions": fleet.versions}
