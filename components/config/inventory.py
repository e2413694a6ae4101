"""The edge fleet's inventory file (``edge.inventory``): ``devices: [...]`` in YAML, beside the stack files.

A large fleet does not fit in stack config: Pulumi hands a program (and a policy
pack) its whole config as one environment variable, ``PULUMI_CONFIG``, and Linux
refuses to start a process with one environment string over 128 KiB
(``MAX_ARG_STRLEN``, E2BIG), about 600 inline devices. The inventory file is read
here, during config validation; its devices are validated exactly as inline ones.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import yaml

INVENTORY_KEY = "devices"
# libyaml's parser when PyYAML was built with it: several times faster on thousands of devices.
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


class InventoryError(ValueError):
    """The inventory file cannot be used: bad path, unreadable, not YAML, or not ``devices: [...]``."""


class _Loader(_BASE_LOADER):
    """A safe loader that refuses a key given twice in one mapping (PyYAML would keep the last silently)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    # The node's own keys: a merge (`<<: *defaults`) may legitimately be overridden by them.
    own = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG]
    if len(own) != len(set(own)):
        twice = sorted({key for key in own if own.count(key) > 1})
        raise yaml.constructor.ConstructorError(None, None, f"key(s) {twice} given twice", node.start_mark)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def inventory_path(value: str, project_dir: Path) -> Path:
    """``value`` resolved in ``project_dir``; InventoryError if absolute or leading out of the project.

    Relative only, so a stack file means the same fleet on every machine and in CI; inside the
    project (after following symlinks), so it is versioned and reviewed with the stack.
    """
    if not value.strip():
        raise InventoryError("must be a file path relative to the project directory, got an empty string")
    if PurePosixPath(value).is_absolute() or Path(value).is_absolute() or Path(value).drive:
        raise InventoryError("must be relative to the project directory (where Pulumi.yaml is), not absolute")
    root = project_dir.resolve()
    path = (root / value).resolve()
    if not path.is_relative_to(root):
        raise InventoryError(f"must stay inside the project directory {root}, but leads to {path}")
    return path


def read_inventory(value: str, project_dir: Path) -> list[Any]:
    """The device list of the inventory file ``value`` (relative to ``project_dir``), not yet validated."""
    path = inventory_path(value, project_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InventoryError(f"no such file in the project directory {project_dir.resolve()}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InventoryError(f"cannot read the file: {reason}") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InventoryError(f"invalid YAML{where}: {problem}") from None
    if data is None:
        raise InventoryError(f"the file is empty; it must hold '{INVENTORY_KEY}: [...]'")
    if not isinstance(data, dict) or set(data) != {INVENTORY_KEY}:
        found = f"keys {sorted(map(str, data))}" if isinstance(data, dict) else f"a {type(data).__name__}"
        raise InventoryError(f"must be a YAML mapping with the single key '{INVENTORY_KEY}: [...]', got {found}")
    devices = data[INVENTORY_KEY]
    if not isinstance(devices, list):
        raise InventoryError(f"'{INVENTORY_KEY}' must be a list of devices, got {type(devices).__name__}")
    return devices
