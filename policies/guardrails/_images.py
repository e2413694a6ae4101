"""Container image references: registry, digest, and registry allow-list patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

_DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")
DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class ImageRef:
    registry: str
    repository: str
    tag: str | None
    digest: str | None


def parse(reference: str) -> ImageRef:
    """Split an image reference the way Docker resolves it (no registry part means Docker Hub)."""
    name, _, digest = reference.partition("@")
    first, slash, rest = name.partition("/")
    # Docker treats the first component as a registry only if it looks like a host.
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = DOCKER_HUB, name
    tag: str | None = None
    if ":" in path.rsplit("/", 1)[-1]:
        path, _, tag = path.rpartition(":")
    return ImageRef(registry=registry.lower(), repository=path, tag=tag or None, digest=digest or None)


def is_image_id(reference: str) -> bool:
    """A content-addressed image ID (``sha256:<hex>``), as docker's RemoteImage ``imageId`` output."""
    return bool(_DIGEST_RE.match(reference))


def is_pinned(reference: str) -> bool:
    ref = parse(reference)
    return ref.digest is not None and bool(_DIGEST_RE.match(ref.digest))


def registry_allowed(registry: str, patterns: list[str]) -> bool:
    """``registry`` (host[:port]) matches one of the shell-style patterns, case-insensitively."""
    return any(fnmatchcase(registry.lower(), pattern.lower()) for pattern in patterns)


def pin_problem(image: object) -> str | None:
    """Why an image reference is not pinned by digest (``image`` as read: a missing one is ``None``), or ``None``."""
    if not isinstance(image, str) or not is_pinned(image):
        return f"image {image!r} is not pinned by digest."
    return None


def registry_problem(image: object, allowed: list[str]) -> str | None:
    """Why an image reference does not come from an ``allowed`` registry pattern, or ``None``."""
    if not isinstance(image, str):
        return "has no image."
    registry = parse(image).registry
    if not registry_allowed(registry, allowed):
        return f"image {image!r} comes from registry {registry!r}, not in {allowed}."
    return None
