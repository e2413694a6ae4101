"""Read resource properties in the engine's wire form without raising on a missing or wrong-shaped value.

Two kinds of reads, on purpose:

* :func:`get` reads a *value*. If the value is unknown at preview, the SDK's proxy raises
  ``UnknownValueError`` and the SDK reports the policy as "can't run during preview" (advisory);
  the gate lists that as *undecided*. Policies never catch that error around a value they decide on.
* :func:`present` decides on the *presence* of a value. A computed value (an ARN of a key created in
  the same update, say) is present even though it is unknown at preview, so presence checks decide
  at preview instead of going undecided.

Everything else answers ``None`` / empty for a missing key or a value of the wrong shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

_MISSING = object()


def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def get(obj: Any, *path: str | int) -> Any:
    """The value at ``path`` (keys and list indexes), or ``None`` when any step is missing or wrong-shaped.

    Raises ``UnknownValueError`` (via the SDK proxy) when a value on the path is unknown at preview.
    """
    current = obj
    for step in path:
        if isinstance(step, int):
            if not is_list(current) or not -len(current) <= step < len(current):
                return None
            current = current[step]
        else:
            if not is_mapping(current) or step not in _keys(current):
                return None
            current = current[step]
    return current


def _keys(mapping: Mapping[str, Any]) -> Iterator[str]:
    # Iterating a proxied mapping yields its keys without reading (and so without checking) the values.
    return iter(mapping)


def has_key(obj: Any, key: str) -> bool:
    """``key`` is set on the mapping (its value may be unknown). Never reads the value."""
    return is_mapping(obj) and key in _keys(obj)


def present(obj: Any, key: str) -> bool:
    """``key`` holds a value: non-empty if known, or computed (unknown at preview).

    Used where the decision is about presence (a KMS key ARN is given), not about the value itself.
    """
    if not has_key(obj, key):
        return False
    try:
        value = obj[key]
    except UnknownValueError:
        return True  # computed by another resource: present, value known only after create
    if value is None or value == "":
        return False
    if is_list(value) or is_mapping(value):
        return len(value) > 0
    return True


def as_list(value: Any) -> list[Any]:
    """A list for a list-shaped value, ``[]`` otherwise (missing, scalar, mapping)."""
    if not is_list(value):
        return []
    return [value[i] for i in range(len(value))]


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if is_mapping(value) else {}


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_bool(value: Any) -> bool | None:
    """True/False from a bool or the strings ``"true"``/``"false"`` (provider inputs are strings)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def as_number(value: Any) -> float | None:
    """A number from an int/float (the wire form makes every number a float) or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


# Scalar kinds in test order: a bool is also an int.
_SCALAR_KINDS: tuple[tuple[Any, str], ...] = (
    (type(None), "null"),
    (bool, "a boolean"),
    (int | float, "a number"),
    (str, "a string"),
)


def kind(value: Any) -> str:
    """What sort of wire-form value ``value`` is, for a message ("a list"): never a Python repr of a proxy."""
    for types, name in _SCALAR_KINDS:
        if isinstance(value, types):
            return name
    if is_list(value):
        return "a list"
    return "an object" if is_mapping(value) else "an asset or archive"


def provider_value(value: Any) -> Any:
    """Decode a provider input: the SDK sends non-string provider inputs as JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def str_map(value: Any) -> dict[str, str]:
    """A ``{str: str}`` view of a tags/labels mapping; non-string entries are skipped."""
    result: dict[str, str] = {}
    mapping = as_mapping(value)
    for key in _keys(mapping):
        item = mapping[key]
        if isinstance(item, str):
            result[str(key)] = item
    return result


def str_list(value: Any) -> list[str]:
    return [item for item in as_list(value) if isinstance(item, str)]


def known_str(obj: Any, key: str) -> str | None:
    """The string at ``key`` if it is known now; ``None`` if missing, not a string, or unknown at preview.

    Only for *joining* resources (matching a bucket by name, say) where another path, the property
    dependencies, decides when the value is unknown. Never use it for a value a policy decides on.
    """
    if not has_key(obj, key):
        return None
    try:
        value = obj[key]
    except UnknownValueError:
        return None
    return value if isinstance(value, str) else None


def declared(obj: Any, key: str) -> Any:
    """An object-typed block (e.g. a bucket's inline ``serverSideEncryptionConfiguration``) the program declared.

    In stack analysis the properties are the planned outputs. An optional block the provider computes
    arrives as a single unknown at preview when the program did not set it; a block the program set
    arrives with its known shape (possibly with unknown leaves). So a whole-block unknown means "not
    declared", and ``None`` is returned for it, as for a missing key. Only for object/list blocks: a
    whole unknown *string* can be a value the program computed.
    """
    if not has_key(obj, key):
        return None
    try:
        return obj[key]
    except UnknownValueError:
        return None


def is_true(obj: Any, *path: str | int) -> bool:
    """The flag at ``path`` is true (``True`` or the string ``"true"``); missing, false or anything else is not.

    Raises ``UnknownValueError`` like :func:`get` when the flag is unknown at preview.
    """
    return as_bool(get(obj, *path)) is True
