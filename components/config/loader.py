"""Read the stack's config once, validate it, and turn errors into one clear message."""

from __future__ import annotations

import json
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError

from .base import alias_of
from .models import INVENTORY_ERROR, PROJECT_DIR
from .stack import StackConfig

# Keys read with Config.require_secret by the models, never validated as plain values.
SECRET_KEYS = frozenset({"kubeconfig", "registryAuth", "vpnPreSharedKey"})
PROJECT_FILE = "Pulumi.yaml"
# Keys whose values are plain strings, not JSON objects.
_SCALAR_KEYS = frozenset({"deploymentModel", "environment"})


class ConfigError(pulumi.RunError):
    """Bad stack config. ``RunError`` makes the engine show the message, not a traceback."""


def config_keys() -> dict[str, str]:
    """Alias of every project-namespace key -> field name (``region`` comes from ``aws:region``)."""
    return {alias_of(name): name for name in StackConfig.model_fields if name != "region"}


def _present_keys(project: str) -> set[str]:
    """Keys set in the project namespace, from every place the SDK reads config."""
    prefix = f"{project}:"
    present = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return {key[len(prefix) :] for key in present if key.startswith(prefix)}


def _parse(key: str, text: str) -> Any:
    if key in _SCALAR_KEYS:
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # A plain string where an object is expected: let pydantic name the type error.
        return text


def raw_config(project: str | None = None) -> dict[str, Any]:
    """The project's config as plain data, keyed by YAML alias, plus ``region``."""
    project = project or pulumi.get_project()
    known = config_keys()
    unknown = sorted(_present_keys(project) - set(known) - SECRET_KEYS)
    if unknown:
        allowed = ", ".join(sorted(set(known) | SECRET_KEYS))
        raise ConfigError(
            "invalid stack config:\n"
            + "".join(f"  - {project}:{key}: unknown config key; allowed keys are: {allowed}\n" for key in unknown)
        )
    cfg = pulumi.Config(project)
    raw: dict[str, Any] = {}
    for key in known:
        text = cfg.get(key)
        if text is not None:
            raw[key] = _parse(key, text)
    region = pulumi.Config("aws").get("region")
    if region is not None:
        raw["region"] = region
    return raw


def _dotted(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _key_path(project: str, loc: tuple[int | str, ...], inventory: str | None = None) -> str:
    if not loc:
        return f"{project} (stack config)"
    if loc == ("region",):
        return "aws:region"
    if inventory is not None and loc[:2] == ("edge", "devices"):
        # The devices were read from the inventory file: name the file, then the path inside it.
        return f"{project}:edge.inventory ({inventory}): {_dotted(loc[1:])}"
    return f"{project}:{_dotted(loc)}"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The config model inside a field's annotation (through Optional, list, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _section_keys(loc: tuple[int | str, ...]) -> list[str] | None:
    """The YAML keys allowed beside the last key of ``loc`` (so a misspelt key's message lists them)."""
    model: type[BaseModel] | None = StackConfig
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = next((f for name, f in model.model_fields.items() if part in (name, alias_of(name))), None)
        model = _model_in(field.annotation) if field is not None else None
    if model is None:
        return None
    return sorted(alias_of(name) for name in model.model_fields)


def format_errors(project: str, error: ValidationError, inventory: str | None = None) -> str:
    """One line per error: key path, message, bad value. ``inventory``: the edge devices came from that file."""
    lines = ["invalid stack config:"]
    for item in error.errors(include_url=False):
        message = item["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        path = _key_path(project, tuple(item["loc"]), inventory)
        if item["type"] == "extra_forbidden":
            allowed = _section_keys(tuple(item["loc"]))
            message = "unknown key" + (f"; allowed keys are: {', '.join(allowed)}" if allowed else "")
        if item["type"] == INVENTORY_ERROR:
            # The file's problem, not the section's value: name the key and the file, never dump the section.
            lines.append(f"  - {_key_path(project, (*item['loc'], 'inventory'))} ({item['ctx']['file']}): {message}")
            continue
        # Root-level (cross-section) messages name their keys themselves; do not dump the whole config.
        if "got " not in message and item["type"] != "missing" and item["loc"]:
            message += f" (got {item['input']!r})"
        lines.append(f"  - {path}: {message}")
    return "\n".join(lines)


def project_dir() -> Path:
    """The directory relative config paths (``edge.inventory``) start from: where Pulumi.yaml is.

    Pulumi runs the program in its directory: the project directory, or the ``main:`` directory
    below it, so the nearest directory up from there with a Pulumi.yaml (else the working directory).
    ``pulumi.get_root_directory()`` is no help: without an engine that sets it, it is a placeholder.
    """
    cwd = Path.cwd()
    return next((d for d in (cwd, *cwd.parents) if (d / PROJECT_FILE).is_file()), cwd)


def validate(raw: Mapping[str, Any], project: str, directory: Path | None = None) -> StackConfig:
    """Validate ``raw``; a file it names (``edge.inventory``) is read relative to ``directory`` or project_dir()."""
    edge = raw.get("edge")
    inventory = edge.get("inventory") if isinstance(edge, Mapping) else None
    try:
        return StackConfig.model_validate(raw, context={PROJECT_DIR: directory or project_dir()})
    except ValidationError as exc:
        raise ConfigError(format_errors(project, exc, inventory if isinstance(inventory, str) else None)) from None


def load_config() -> StackConfig:
    """Load and validate the current stack's config; raise ConfigError before any resource exists."""
    project = pulumi.get_project()
    return validate(raw_config(project), project)
