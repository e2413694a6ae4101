"""Label/tag rules shared by the AWS, Kubernetes and Docker label policies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._base import Config, Report, ResourceCheck

# A resource -> how messages name it and the labels (or tags) it carries; ``None`` when it has none to check.
LabelSource = Callable[[ResourceValidationArgs], tuple[str, Mapping[str, str]] | None]


def zone_allowed(zone: str, allowed: list[str]) -> bool:
    return any(fnmatchcase(zone, pattern) for pattern in allowed)


def zone_problem(what: str, labels: Mapping[str, str], label_key: str, allowed: list[str]) -> str | None:
    """Why ``labels`` fail the residency rule, or ``None`` when the zone is allowed."""
    zone = labels.get(label_key)
    if not zone:
        return f"{what} has no '{label_key}' label; set one of {allowed}."
    if not zone_allowed(zone, allowed):
        return f"{what} has {label_key}={zone!r}, which is not in the allowed zones {allowed}."
    return None


def label_problems(
    what: str, found: Mapping[str, str], required: list[str], allowed_values: Mapping[str, Any], noun: str
) -> list[str]:
    """Missing required keys and values outside their allowed lists, as messages."""
    problems = []
    missing = [key for key in required if not found.get(key)]
    if missing:
        problems.append(f"{what} lacks {noun}s {missing}.")
    for key, values in dict(allowed_values).items():
        value = found.get(key)
        if value and value not in list(values):
            problems.append(f"{what} has {noun} {key}={value!r}, not one of {list(values)}.")
    return problems


def labels_check(source: LabelSource, *, required_param: str = "requiredLabels", noun: str = "label") -> ResourceCheck:
    """A check reporting :func:`label_problems` against the ``required_param`` and ``allowedValues`` parameters."""

    def check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
        found = source(args)
        if found is None:
            return
        what, carried = found
        for problem in label_problems(what, carried, list(config[required_param]), config["allowedValues"], noun):
            report(problem)

    return check
