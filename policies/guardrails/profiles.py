"""Compliance profiles: policy-pack config files in ``policies/profiles/``, in the format the CLI reads.

A profile maps policy names to an enforcement level and parameters, exactly what
``pulumi preview --policy-pack policies --policy-pack-config policies/profiles/<name>.json`` accepts::

    {"all": "advisory",
     "aws-provider-restrict-region": {"enforcementLevel": "mandatory", "allowedRegions": ["us-east-1"]},
     "aws-provider-require-fips-endpoint": "disabled"}

:func:`resolve` turns a profile into what the CLI sends the pack in ``Configure``: every policy's
enforcement level and its parameters with the schema defaults filled in.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from . import PACK_DIR, SPECS

PROFILES_DIR = PACK_DIR / "profiles"
LEVELS = ("advisory", "mandatory", "remediate", "disabled")
# The pack's own level (PolicyPack(enforcement_level=MANDATORY)): what a policy gets when nothing sets it.
DEFAULT_LEVEL = "mandatory"
ALL = "all"

# Gate default for failing on mandatory checks that stay undecided at preview, per profile.
FAIL_ON_UNDECIDED = {"baseline": False, "hipaa": False, "fedramp-moderate": False, "fedramp-high": True}

_SPECS = {spec.name: spec for spec in SPECS}


class ProfileError(ValueError):
    """A profile that can't be loaded or doesn't match the policies' schemas; the message lists every problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"invalid policy profile {source}:\n" + "\n".join(f"  - {problem}" for problem in problems))


def profile_names() -> list[str]:
    """Profiles shipped in ``policies/profiles/``."""
    return sorted(path.stem for path in PROFILES_DIR.glob("*.json"))


def profile_path(path_or_name: str | Path) -> Path:
    """The file of a profile given by name (``hipaa``) or by path; ``ProfileError`` if there is none."""
    text = str(path_or_name)
    if "/" not in text and not text.endswith(".json"):
        path = PROFILES_DIR / f"{text}.json"
        if path.is_file():
            return path
        raise ProfileError(repr(text), [f"unknown profile {text!r}; known profiles: {', '.join(profile_names())}"])
    path = Path(text)
    if not path.is_file():
        raise ProfileError(str(path), [f"no such file: {path}"])
    return path


def load_profile(path_or_name: str | Path) -> dict[str, Any]:
    """Read a profile (by name or path) as plain JSON data. Does not validate it (see :func:`validate_profile`)."""
    path = profile_path(path_or_name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ProfileError(str(path), [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]) from None
    if not isinstance(data, dict):
        raise ProfileError(str(path), [f"must be a JSON object of policy name -> config, got {type(data).__name__}"])
    return data


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _level_problem(where: str, level: Any) -> str | None:
    if isinstance(level, str) and level in LEVELS:
        return None
    return f"{where}: enforcementLevel {level!r} is not one of {', '.join(LEVELS)}"


def _policy_problems(name: str, value: Any) -> list[str]:
    spec = _SPECS[name]
    if isinstance(value, str):
        problem = _level_problem(name, value)
        return [problem] if problem else []
    if not isinstance(value, Mapping):
        return [f"{name}: must be an enforcement level string or an object, got {type(value).__name__}"]
    problems = []
    for key, item in value.items():
        if key == "enforcementLevel":
            problem = _level_problem(name, item)
            if problem:
                problems.append(problem)
            continue
        schema = spec.config.get(key)
        if schema is None:
            known = ", ".join(sorted(spec.config)) or "none"
            problems.append(f"{name}: unknown parameter {key!r}{_suggest(key, list(spec.config))}; parameters: {known}")
            continue
        for error in sorted(Draft7Validator(dict(schema)).iter_errors(item), key=lambda e: list(e.absolute_path)):
            where = "".join(f"[{step!r}]" for step in error.absolute_path)
            problems.append(f"{name}: parameter {key!r}{where}: {error.message}")
    return problems


def validate_profile(cfg: Mapping[str, Any], *, complete: bool = False) -> list[str]:
    """Every problem in a profile, each naming the policy and parameter; ``[]`` if it is valid.

    Checks unknown policy names, unknown parameters, enforcement levels and every parameter value
    against the policy's JSON schema. With ``complete=True`` every policy of the pack must be listed
    (the shipped profiles are complete so a reviewer sees every decision).
    """
    problems: list[str] = []
    for name, value in cfg.items():
        if name == ALL:
            level = value.get("enforcementLevel") if isinstance(value, Mapping) else value
            problem = _level_problem(ALL, level)
            if problem:
                problems.append(problem)
            if isinstance(value, Mapping) and set(value) - {"enforcementLevel"}:
                problems.append(f"{ALL}: only enforcementLevel can be set for all policies")
        elif name not in _SPECS:
            problems.append(f"unknown policy {name!r}{_suggest(name, list(_SPECS))}")
        else:
            problems.extend(_policy_problems(name, value))
    if complete:
        problems.extend(f"{name}: not set by the profile" for name in _SPECS if name not in cfg)
    return problems


def resolve(cfg: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every policy's ``{"enforcementLevel": str, "config": dict}`` as the CLI would send it in ``Configure``.

    Signature and shape are stable (the preflight gate calls this). For each policy of the pack, in pack
    order: the level is the policy's own entry, else ``all``, else the pack default (``mandatory``); the
    config is the schema defaults overlaid with the profile's parameters. ``cfg`` is a loaded profile
    (:func:`load_profile`); a profile with problems raises :class:`ProfileError` listing them.
    """
    problems = validate_profile(cfg)
    if problems:
        raise ProfileError("(given config)", problems)
    everything = cfg.get(ALL)
    all_level = everything.get("enforcementLevel") if isinstance(everything, Mapping) else everything
    resolved: dict[str, dict[str, Any]] = {}
    for spec in SPECS:
        given = cfg.get(spec.name)
        level = all_level or DEFAULT_LEVEL
        params: dict[str, Any] = {}
        if isinstance(given, str):
            level = given
        elif isinstance(given, Mapping):
            level = given.get("enforcementLevel", level)
            params = {key: value for key, value in given.items() if key != "enforcementLevel"}
        resolved[spec.name] = {"enforcementLevel": level, "config": {**spec.defaults(), **params}}
    return resolved
