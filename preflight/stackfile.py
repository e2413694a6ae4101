"""Read ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` into the flat config the language host gets.

The Pulumi CLI hands a Python program its config as ``{"<namespace>:<key>": str}``:
strings as they are, numbers and booleans as their text, objects and arrays as
JSON text. Keys written without a namespace belong to the project. Keys missing
from the stack file take the project's declared ``default``. ``secure:`` values
cannot be decrypted without the CLI and the stack's secrets provider, so each is
replaced by :data:`SECRET_PLACEHOLDER` and its key is listed as secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SECRET_PLACEHOLDER = "[secret: not decrypted offline]"  # noqa: S105 - a marker, not a secret
PROJECT_FILE = "Pulumi.yaml"

# Stack names the CLI accepts; also keeps a name from reaching outside the project directory.
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit())


# What each simple type a Pulumi.yaml `config:` declaration may have accepts. The CLI keeps stack
# scalars as text, so text that reads as the type passes too.
_DECLARED_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str | int | float | bool),
    "integer": _is_integer,
    "boolean": lambda value: isinstance(value, bool) or value in ("true", "false"),
    "array": lambda value: isinstance(value, list),
}


class StackError(Exception):
    """The project or stack file is missing, unreadable or malformed (exit code 2)."""


@dataclass(frozen=True)
class StackFile:
    """A stack's config as the Pulumi language host would receive it."""

    project: str
    stack: str
    config: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)
    path: Path = Path()
    project_dir: Path = Path()
    main: str | None = None

    @property
    def program(self) -> Path:
        """The program entry point: ``main:`` from Pulumi.yaml, else ``__main__.py`` in the project."""
        base = self.project_dir / self.main if self.main else self.project_dir
        return base / "__main__.py" if base.is_dir() else base


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as text and rejects duplicate keys, as the CLI's YAML parser does."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StackError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise StackError(f"{path}: invalid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StackError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def _read_project(project_dir: Path) -> dict[str, Any]:
    path = project_dir / PROJECT_FILE
    if not path.is_file():
        raise StackError(f"no {PROJECT_FILE} in {project_dir}: not a Pulumi project directory")
    project = _read_yaml(path)
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise StackError(f"{path}: 'name' must be a non-empty string")
    return project


def _stack_dir(project_dir: Path, project: Mapping[str, Any]) -> Path:
    config_dir = project.get("stackConfigDir")
    return project_dir / config_dir if isinstance(config_dir, str) and config_dir else project_dir


def list_stacks(project_dir: Path) -> list[str]:
    """Names of the stacks that have a ``Pulumi.<stack>.yaml`` file, sorted."""
    project = _read_project(project_dir)
    stack_dir = _stack_dir(project_dir, project)
    names = (p.name[len("Pulumi.") : -len(".yaml")] for p in stack_dir.glob("Pulumi.*.yaml"))
    return sorted(name for name in names if _STACK_NAME.match(name))


def _full_key(key: Any, project: str, path: Path) -> str:
    if not isinstance(key, str) or not key:
        raise StackError(f"{path}: config key {key!r} must be a non-empty string")
    return key if ":" in key else f"{project}:{key}"


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _redact(value: Any) -> tuple[Any, bool]:
    """Replace every ``secure:`` value (at any depth) by the placeholder; say whether one was found."""
    if _is_secure(value):
        return SECRET_PLACEHOLDER, True
    if isinstance(value, dict):
        found = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            out[key], secret = _redact(item)
            found |= secret
        return out, found
    if isinstance(value, list):
        items = [_redact(item) for item in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


def _to_text(value: Any) -> str:
    """Render a YAML value the way the CLI passes it to the program."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return json.dumps(value)
    # Objects and arrays travel as compact JSON text.
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _declarations(project: Mapping[str, Any], name: str, path: Path) -> dict[str, Any]:
    """``Pulumi.yaml`` config entries by full key: a declaration mapping or a plain default value."""
    declared = project.get("config") or {}
    if not isinstance(declared, dict):
        raise StackError(f"{path}: 'config' must be a mapping of key to declaration")
    return {_full_key(key, name, path): entry for key, entry in declared.items()}


def _check_type(key: str, value: Any, declaration: Any, stack_path: Path) -> None:
    if not isinstance(declaration, dict) or _is_secure(value):
        return
    kind = declaration.get("type")
    accepts = _DECLARED_TYPES.get(kind) if isinstance(kind, str) else None
    if accepts is not None and not accepts(value):
        raise StackError(f"{stack_path}: config key '{key}' must be of type {kind} (declared in {PROJECT_FILE})")


def load_stack(project_dir: Path, stack: str) -> StackFile:
    """Read the project and stack files; return the flat config with defaults applied and secrets replaced."""
    project_dir = Path(project_dir)
    project = _read_project(project_dir)
    name: str = project["name"]
    project_path = project_dir / PROJECT_FILE
    stack_path = _stack_dir(project_dir, project) / f"Pulumi.{stack}.yaml"
    if not _STACK_NAME.match(stack) or not stack_path.is_file():
        existing = list_stacks(project_dir)
        listed = ", ".join(existing) if existing else "none (no Pulumi.<stack>.yaml files)"
        raise StackError(f"unknown stack {stack!r} in {project_dir}; stacks that exist: {listed}")

    document = _read_yaml(stack_path)
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise StackError(f"{stack_path}: 'config' must be a mapping of key to value")

    declarations = _declarations(project, name, project_path)
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        full = _full_key(key, name, stack_path)
        if full in config:
            raise StackError(f"{stack_path}: config key '{full}' is set twice (with and without its namespace)")
        _check_type(full, value, declarations.get(full), stack_path)
        redacted, secret = _redact(value)
        config[full] = _to_text(redacted)
        if secret:
            secret_keys.append(full)

    for full, entry in declarations.items():
        if full in config:
            continue
        if isinstance(entry, dict):
            if "default" not in entry:
                continue
            default = entry["default"]
        else:
            default = entry
        config[full] = _to_text(default)

    main = project.get("main")
    return StackFile(
        project=name,
        stack=stack,
        config=config,
        secret_keys=sorted(secret_keys),
        path=stack_path,
        project_dir=project_dir,
        main=main if isinstance(main, str) and main else None,
    )
