"""Write and read deployments in the shape of ``pulumi stack export`` (version 3).

:func:`to_deployment` turns a :class:`~preflight.engine.PlanResult` into the JSON
document ``pulumi stack export`` prints, plus a top-level ``preflight`` note
saying it comes from an offline preview. Values a preview does not know are the
engine's unknown sentinel (:data:`~preflight.engine.UNKNOWN`). Secrets use the
state file's secret form ``{SIG_KEY: SECRET_SIG, "ciphertext": ...}``: the
value is withheld (``ciphertext`` names why), unless ``show_secrets`` asks for
``{..., "plaintext": "<JSON text>"}`` as ``pulumi stack export --show-secrets``
writes. A secret that is still unknown is written in plaintext form, as there is
nothing to withhold.

:func:`load_deployment` reads such a file, or a real ``pulumi stack export``,
checks its shape and returns the resources with every field present and
secrets back in wire form (``{SIG_KEY: SECRET_SIG, "value": ...}``; a withheld
or encrypted value becomes :data:`WITHHELD`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .engine import OFFLINE_LIMITS, SECRET_SIG, SIG_KEY, UNKNOWN, PlanResult, RecordedResource, is_secret

DEPLOYMENT_VERSION = 3
WITHHELD = "[secret: withheld from the offline export]"

# Field -> default for a resource entry; what load_deployment fills in when a file leaves one out.
_RESOURCE_DEFAULTS: dict[str, Any] = {
    "custom": False,
    "id": "",
    "parent": "",
    "provider": "",
    "inputs": {},
    "outputs": {},
    "dependencies": [],
    "propertyDependencies": {},
    "protect": False,
    "retainOnDelete": False,
    "external": False,
    "deleteBeforeReplace": False,
}


class DeploymentError(Exception):
    """A deployment file that is unreadable or not in the expected shape (exit code 2)."""


def _secret_to_state(value: Any, show_secrets: bool) -> dict[str, Any]:
    inner = _to_state(value.get("value"), show_secrets)
    if inner == UNKNOWN or show_secrets:
        return {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(inner)}
    return {SIG_KEY: SECRET_SIG, "ciphertext": WITHHELD}


def _to_state(value: Any, show_secrets: bool) -> Any:
    if is_secret(value):
        return _secret_to_state(value, show_secrets)
    if isinstance(value, dict):
        return {key: _to_state(item, show_secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_state(item, show_secrets) for item in value]
    return value


def _resource_entry(res: RecordedResource, show_secrets: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"urn": res.urn, "custom": res.custom}
    if res.custom:
        entry["id"] = res.id or UNKNOWN
    entry["type"] = res.type
    entry["inputs"] = _to_state(res.inputs, show_secrets)
    entry["outputs"] = _to_state(res.outputs, show_secrets)
    if res.parent:
        entry["parent"] = res.parent
    if res.provider:
        entry["provider"] = res.provider
    entry["dependencies"] = list(res.dependencies)
    entry["propertyDependencies"] = {key: list(urns) for key, urns in res.property_dependencies.items()}
    entry["protect"] = res.protect
    entry["retainOnDelete"] = res.retain_on_delete
    if res.delete_before_replace:
        entry["deleteBeforeReplace"] = True
    if res.external:
        entry["external"] = True
    return entry


def _cli_version() -> str:
    try:
        return "v" + metadata.version("pulumi")
    except metadata.PackageNotFoundError:  # pragma: no cover - pulumi is a hard dependency
        return "v0.0.0"


def to_deployment(
    result: PlanResult, stack: str | None = None, project: str | None = None, *, show_secrets: bool = False
) -> dict[str, Any]:
    """The ``pulumi stack export`` document (version 3) for an offline run (stack/project default to the run's)."""
    version = _cli_version()
    return {
        "version": DEPLOYMENT_VERSION,
        "deployment": {
            "manifest": {
                "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                # The engine's manifest magic: a hash of the version that wrote the file.
                "magic": hashlib.sha256(version.encode()).hexdigest(),
                "version": version,
            },
            "resources": [_resource_entry(res, show_secrets) for res in result.resources],
        },
        "preflight": {
            "offline": True,
            "preview": result.preview,
            "project": project or result.project,
            "stack": stack or result.stack,
            "note": OFFLINE_LIMITS,
        },
    }


def write_deployment(path: Path, result: PlanResult, *, show_secrets: bool = False) -> dict[str, Any]:
    """Write the export of ``result`` to ``path`` (parents created); return the document."""
    document = to_deployment(result, show_secrets=show_secrets)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document


def _secret_to_wire(value: dict[str, Any], where: str) -> dict[str, Any]:
    if "plaintext" in value:
        text = value["plaintext"]
        if not isinstance(text, str):
            raise DeploymentError(f"{where}: a secret's 'plaintext' must be JSON text")
        try:
            inner = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DeploymentError(f"{where}: a secret's 'plaintext' is not valid JSON: {exc.msg}") from None
        return {SIG_KEY: SECRET_SIG, "value": _to_wire(inner, where)}
    if "value" in value:
        return {SIG_KEY: SECRET_SIG, "value": _to_wire(value["value"], where)}
    # Encrypted ("ciphertext") or withheld: the value cannot be read offline.
    return {SIG_KEY: SECRET_SIG, "value": WITHHELD}


def _to_wire(value: Any, where: str) -> Any:
    if is_secret(value):
        return _secret_to_wire(value, where)
    if isinstance(value, dict):
        return {key: _to_wire(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_to_wire(item, f"{where}[{i}]") for i, item in enumerate(value)]
    return value


def _check_type(value: Any, kind: type | tuple[type, ...], where: str, expected: str) -> None:
    if not isinstance(value, kind):
        raise DeploymentError(f"{where} must be {expected}, got {type(value).__name__}")


def _normalise_resource(raw: Any, where: str) -> dict[str, Any]:
    _check_type(raw, dict, where, "an object")
    for key in ("urn", "type"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise DeploymentError(f"{where}.{key} must be a non-empty string")
    resource: dict[str, Any] = dict(raw)
    for key, default in _RESOURCE_DEFAULTS.items():
        value = resource.get(key)
        if value is None:
            resource[key] = type(default)() if isinstance(default, dict | list) else default
            continue
        _check_type(value, type(default), f"{where}.{key}", f"a {type(default).__name__}")
    for key in ("inputs", "outputs"):
        resource[key] = _to_wire(resource[key], f"{where}.{key}")
    return resource


def load_deployment(path: Path) -> list[dict[str, Any]]:
    """The resources of a ``pulumi stack export`` file (or one written here), checked and normalised."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeploymentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise DeploymentError(f"{path}: not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    _check_type(document, dict, f"{path}", "a JSON object (a `pulumi stack export` document)")
    version = document.get("version")
    if version != DEPLOYMENT_VERSION:
        raise DeploymentError(
            f"{path}: unsupported deployment version {version!r}; expected {DEPLOYMENT_VERSION} "
            "(the output of `pulumi stack export`)"
        )
    deployment = document.get("deployment")
    _check_type(deployment, dict, f"{path}: deployment", "an object")
    resources = deployment.get("resources")
    if resources is None:
        return []  # an empty stack exports no resources
    _check_type(resources, list, f"{path}: deployment.resources", "a list")
    return [_normalise_resource(raw, f"{path}: deployment.resources[{i}]") for i, raw in enumerate(resources)]
