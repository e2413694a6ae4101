"""What every policy declares (``Spec``) and how a spec plus a check becomes a CrossGuard policy.

A policy module defines ``SPEC`` (metadata, controls, config schema) and ``POLICY`` built with
:func:`resource_policy` or :func:`stack_policy`. The metadata stays available as plain data for the
gate and the evidence tools (``guardrails.catalog()``).
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

AREAS = (
    "residency",
    "encryption_at_rest",
    "encryption_in_transit",
    "exposure",
    "workload",
    "audit",
    "governance",
)

NIST_FRAMEWORK = "NIST SP 800-53"
NIST_VERSION = "Rev. 5"

Config = Mapping[str, Any]
Report = Callable[[str], None]
StackReport = Callable[[str, str | None], None]
ResourceCheck = Callable[[ResourceValidationArgs, Report, Config], None]
StackCheck = Callable[[StackValidationArgs, StackReport, Config], None]


@dataclass(frozen=True)
class Spec:
    """Everything a reviewer needs to know about one policy, as plain data."""

    name: str
    area: str
    description: str
    severity: Severity
    remediation: str
    hipaa: tuple[str, ...]
    nist: tuple[str, ...]
    # JSON schema of each parameter, each with a "default" so an unconfigured pack is strict.
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Resource types the policy reads; a trailing "*" matches a prefix (e.g. "aws:*").
    resource_types: tuple[str, ...] = ()
    # Set when a decision needs a value that is computed during the update: at preview the SDK then
    # reports "can't run during preview" (advisory) and the gate lists the check as undecided.
    needs_computed_values: bool = False
    computed_values_note: str = ""

    def __post_init__(self) -> None:
        if self.area not in AREAS:
            raise ValueError(f"policy {self.name!r}: area {self.area!r} is not one of {', '.join(AREAS)}")
        for param, schema in self.config.items():
            if "default" not in schema or "description" not in schema:
                raise ValueError(f"policy {self.name!r}: parameter {param!r} needs a 'default' and a 'description'")

    def defaults(self) -> dict[str, Any]:
        """Each parameter's schema default (a copy: callers may change it)."""
        return {param: copy.deepcopy(schema["default"]) for param, schema in self.config.items()}

    def config_schema(self) -> PolicyConfigSchema | None:
        if not self.config:
            return None
        return PolicyConfigSchema(properties={name: dict(schema) for name, schema in self.config.items()})

    def framework(self) -> PolicyComplianceFramework:
        return PolicyComplianceFramework(
            name=NIST_FRAMEWORK,
            version=NIST_VERSION,
            reference=", ".join(self.nist),
            specification="HIPAA Security Rule 45 CFR " + ", ".join(self.hipaa) if self.hipaa else "",
        )

    def tags(self) -> list[str]:
        return (
            [f"area:{self.area}"]
            + [f"hipaa:{section}" for section in self.hipaa]
            + [f"nist-800-53:{control}" for control in self.nist]
        )

    def applies_to(self, resource_type: str) -> bool:
        if not self.resource_types:
            return True
        return any(
            resource_type.startswith(pattern[:-1]) if pattern.endswith("*") else resource_type == pattern
            for pattern in self.resource_types
        )

    def catalog_entry(self, kind: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "area": self.area,
            "kind": kind,
            "description": self.description,
            "severity": self.severity.value,
            "remediation": self.remediation,
            "controls": {"hipaa": list(self.hipaa), "nist": list(self.nist)},
            "config_schema": {"properties": {k: dict(v) for k, v in self.config.items()}, "required": []},
            "resource_types": list(self.resource_types),
            "needs_computed_values": self.needs_computed_values,
            "computed_values_note": self.computed_values_note,
        }


def merged_config(spec: Spec, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Schema defaults overlaid with the configured values (the CLI sends both; a bare Configure may not)."""
    result = spec.defaults()
    if given:
        result.update(given)
    return result


class Pending:
    """Collects the first unknown value met while the decidable checks carry on.

    A policy with several independent checks reports every violation it can decide at preview, then
    re-raises the first ``UnknownValueError`` so the SDK still marks the check as undecided.
    """

    def __init__(self) -> None:
        self.error: UnknownValueError | None = None

    def record(self, exc: UnknownValueError) -> None:
        if self.error is None:
            self.error = exc

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except UnknownValueError as exc:
            self.record(exc)

    def finish(self) -> None:
        if self.error is not None:
            raise self.error


def _common_kwargs(spec: Spec) -> dict[str, Any]:
    return {
        "description": spec.description,
        "config_schema": spec.config_schema(),
        "severity": spec.severity,
        "framework": spec.framework(),
        "tags": spec.tags(),
        "remediation_steps": spec.remediation,
    }


# Policies built by resource_policy(): for a resource type their spec does not list they report nothing, so the
# pack's server (guardrails._server) may skip them for such resources without changing any response.
_TYPE_GATED: weakref.WeakKeyDictionary[Policy, Spec] = weakref.WeakKeyDictionary()


def type_gate(policy: Policy) -> Spec | None:
    """The spec whose resource types ``policy`` is limited to, if :func:`resource_policy` built it."""
    return _TYPE_GATED.get(policy)


def resource_policy(spec: Spec, check: ResourceCheck) -> ResourceValidationPolicy:
    """A resource policy that runs ``check`` only on the spec's resource types, with defaults filled in."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not spec.applies_to(args.resource_type):
            return
        config = merged_config(spec, args.get_config())
        check(args, lambda message: report_violation(message, None), config)

    policy = ResourceValidationPolicy(name=spec.name, validate=validate, **_common_kwargs(spec))
    _TYPE_GATED[policy] = spec
    return policy


def stack_policy(spec: Spec, check: StackCheck) -> StackValidationPolicy:
    """A stack policy; ``check`` reports per resource with ``report(message, urn)``."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        config = merged_config(spec, args.get_config())
        check(args, report_violation, config)

    return StackValidationPolicy(name=spec.name, validate=validate, **_common_kwargs(spec))
