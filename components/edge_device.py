"""One edge device: a Docker host reached over SSH, running one hardened inference container.

Why a provider per device: each device is its own Docker daemon; an explicit
provider pins every image and container to that host, so a resource can never
land on whichever daemon ``DOCKER_HOST`` happens to name on the operator's machine.

Why images are keyed by digest and kept locally: a device on the candidate also
keeps the stable image pulled, and ``keep_locally`` leaves an image on the
device's disk when its resource goes away. A rollback therefore re-points the
container at an image already on the device (no pull, no registry reachable
needed), and the image resource of a version keeps its name whichever role
(stable or candidate) the version has, so finalising a promotion changes no
container. The cost is disk: old images stay until an operator prunes them.

Why the container is replaced delete-first: it has a fixed name and binds fixed
host ports, so a second copy cannot start beside the first.

The healthcheck runs ``curl`` inside the container against the KServe v2
readiness path; the serving image must ship ``curl`` (Triton and KServe runtime
images do).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import pulumi
import pulumi_docker as docker

from .config import parse_image
from .config.models import Accel, EdgeDevice
from .labels import APP_VERSION_LABEL, IMAGE_LABEL, RESIDENCY_ZONE_LABEL, SITE_LABEL, WAVE_LABEL, label_value

RESOURCE_TYPE = "inference:edge:Device"

# Options for the ssh client the Docker provider runs: trust only known host keys
# (no trust-on-first-use), never prompt, fail fast on an unreachable device.
SSH_OPTS = (
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "PasswordAuthentication=no",
    "-o",
    "ConnectTimeout=15",
    "-o",
    "ServerAliveInterval=30",
)
STABLE = "stable"
CANDIDATE = "candidate"


@dataclass(frozen=True)
class GpuAccess:
    """How a container reaches the device's accelerator."""

    gpus: str | None = None
    runtime: str | None = None


# Discrete GPUs through the NVIDIA container toolkit's --gpus; Jetson modules through
# the NVIDIA container runtime (their integrated GPU is not a PCI device --gpus can list).
GPU_ACCESS: Mapping[Accel, GpuAccess] = {
    Accel.NVIDIA: GpuAccess(gpus="all"),
    Accel.JETSON: GpuAccess(runtime="nvidia"),
    Accel.NONE: GpuAccess(),
}


@dataclass(frozen=True)
class ServingVersion:
    """One version of the model: an image pinned by digest plus the model version it serves."""

    track: str
    image: str
    model_version: str

    @cached_property
    def digest(self) -> str:
        digest = parse_image(self.image)[2]
        if digest is None:
            raise ValueError(f"image {self.image!r} is not pinned by digest")
        return digest

    @cached_property
    def resource_key(self) -> str:
        """Part of the image resource's name: the same for a version whichever track it is on."""
        return self.digest.removeprefix("sha256:")[:12]


@dataclass(frozen=True)
class ContainerSpec:
    """Settings every device's container shares; built once per fleet so per-device work stays O(1)."""

    container_name: str
    user: str
    memory_mb: int
    cpus: float
    ports: Sequence[int]
    health_port: int
    health_path: str
    health_interval_seconds: int
    health_start_period_seconds: int
    tmp_size_mb: int
    log_max_size: str
    log_max_files: int
    registry_auth: Sequence[docker.ProviderRegistryAuthArgs]
    health_timeout_seconds: int = 5
    health_retries: int = 3
    stop_grace_seconds: int = 30


def version_labels(shared: Mapping[str, str], version: ServingVersion) -> dict[str, str]:
    """Labels every device running ``version`` carries; built once per version, not per device."""
    return {**shared, APP_VERSION_LABEL: label_value(version.model_version), IMAGE_LABEL: version.image}


def device_labels(per_version: Mapping[str, str], device: EdgeDevice) -> dict[str, str]:
    """One device's container labels: its version's labels plus the device's site, zone and wave.

    The device's residency zone replaces the stack-wide one: it says where this device's data stays.
    No track (stable/candidate) label: finalising a promotion must not replace containers.
    """
    return {
        **per_version,
        RESIDENCY_ZONE_LABEL: device.residency_zone,
        SITE_LABEL: device.site,
        WAVE_LABEL: str(device.wave),
    }


@dataclass(frozen=True)
class DeviceArgs:
    host: str
    serving_address: str
    accelerator: Accel
    # The version the container runs, and the others kept pulled for an instant rollback.
    serving: ServingVersion
    kept_pulled: Sequence[ServingVersion]
    # Container labels: the stack-wide ones plus the device's site, zone and wave (see device_labels).
    labels: Mapping[str, str]
    spec: ContainerSpec


class Device(pulumi.ComponentResource):
    """A device's Docker provider, its digest-pinned images and its hardened inference container."""

    version: str
    """Model version the container serves."""
    image: str
    """Digest reference of the image the container runs."""
    track: str
    """``stable`` or ``candidate``."""

    def __init__(self, name: str, args: DeviceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))
        provider = docker.Provider(
            f"{name}-docker",
            host=args.host,
            ssh_opts=list(SSH_OPTS),
            registry_auth=list(args.spec.registry_auth),
            opts=child,
        )
        on_device = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(provider=provider))
        images = {
            version.resource_key: self._pull(name, version, on_device) for version in (args.serving, *args.kept_pulled)
        }
        self._create_container(name, args, images[args.serving.resource_key], on_device)

        self.version = args.serving.model_version
        self.image = args.serving.image
        self.track = args.serving.track
        self.register_outputs({"version": self.version, "image": self.image, "track": self.track})

    @staticmethod
    def _pull(name: str, version: ServingVersion, opts: pulumi.ResourceOptions) -> docker.RemoteImage:
        return docker.RemoteImage(
            f"{name}-image-{version.resource_key}",
            name=version.image,
            keep_locally=True,
            opts=opts,
        )

    @staticmethod
    def _create_container(
        name: str, args: DeviceArgs, image: docker.RemoteImage, opts: pulumi.ResourceOptions
    ) -> docker.Container:
        spec = args.spec
        gpu = GPU_ACCESS[args.accelerator]
        health_url = f"http://127.0.0.1:{spec.health_port}{spec.health_path}"
        return docker.Container(
            f"{name}-container",
            name=spec.container_name,
            # The image id, not the reference: the provider stores the id and would otherwise replace the
            # container on every update. The reference is in the IMAGE_LABEL label.
            image=image.image_id,
            gpus=gpu.gpus,
            runtime=gpu.runtime,
            restart="unless-stopped",
            read_only=True,
            tmpfs={"/tmp": f"rw,noexec,nosuid,nodev,size={spec.tmp_size_mb}m"},  # noqa: S108 - in-container tmpfs
            user=spec.user,
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
            privileged=False,
            security_opts=["no-new-privileges:true"],
            memory=spec.memory_mb,
            # Equal to memory: no swap, so model inputs never reach the device's disk through swapping.
            memory_swap=spec.memory_mb,
            cpus=f"{spec.cpus:g}",
            ports=[
                docker.ContainerPortArgs(internal=port, external=port, ip=args.serving_address, protocol="tcp")
                for port in spec.ports
            ],
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=["CMD", "curl", "--fail", "--silent", "--show-error", "--output", "/dev/null", health_url],
                interval=f"{spec.health_interval_seconds}s",
                timeout=f"{spec.health_timeout_seconds}s",
                retries=spec.health_retries,
                start_period=f"{spec.health_start_period_seconds}s",
            ),
            # Create waits for the container to be healthy: an unhealthy version fails its wave's `pulumi up`.
            wait=True,
            wait_timeout=spec.health_start_period_seconds + spec.health_interval_seconds * spec.health_retries,
            destroy_grace_seconds=spec.stop_grace_seconds,
            log_driver="json-file",
            log_opts={"max-size": spec.log_max_size, "max-file": str(spec.log_max_files)},
            labels=[docker.ContainerLabelArgs(label=key, value=value) for key, value in sorted(args.labels.items())],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True)),
        )
