"""The gate's findings model, shared by every report writer.

A *finding* is one policy diagnostic attributed to one resource (or to the stack): a ``violation``, or
``undecided`` when the policy could not run because a value it reads is unknown at preview. Undecided is never a
pass: it is counted and listed on its own everywhere, and it blocks the gate for mandatory policies when
``fail_on_undecided`` is set.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

SEVERITIES: Final = ("critical", "high", "medium", "low", "")
VIOLATION: Final = "violation"
UNDECIDED: Final = "undecided"
BLOCKING_LEVELS: Final = frozenset({"mandatory", "remediate"})

# What an offline plan cannot see (docs: PULUMI_OFFLINE.md); every report carries it.
LIMITATIONS: Final = (
    "Offline result: provider-side defaults and validation are not applied (an invalid instance type passes).",
    "No existing state or diff: every resource is judged as a fresh create.",
    "Computed values are unknown at preview; policies that need them are reported as undecided, never as passed.",
    "Data-source results come from mocks; remediations are not run.",
)


def severity_label(severity: str) -> str:
    return severity or "unspecified"


@dataclass(frozen=True)
class PolicyMeta:
    """A policy of the pack, with the enforcement level it was configured with for this run."""

    name: str
    description: str
    severity: str
    enforcement_level: str
    policy_type: str = "resource"
    remediation: str = ""
    controls: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class SourcePosition:
    path: str  # relative to the project directory, with forward slashes
    line: int


@dataclass(frozen=True)
class ResourceRef:
    urn: str
    type: str
    name: str
    parent: str = ""
    component: str = ""  # top-level component (first ancestor below the stack), "" when none
    source: SourcePosition | None = None


@dataclass(frozen=True)
class Finding:
    policy: str
    severity: str
    enforcement_level: str  # the policy's configured level (the SDK reports undecided ones as advisory)
    status: str  # VIOLATION or UNDECIDED
    urn: str  # "" for a stack-wide finding
    resource_type: str
    message: str
    remediation: str
    controls: tuple[str, ...]
    stage: str  # "resource" (Analyze) or "stack" (AnalyzeStack)
    blocking: bool


@dataclass(frozen=True)
class Timing:
    plan_seconds: float | None = None
    pack_start_seconds: float = 0.0
    analyze_seconds: float = 0.0
    analyze_stack_seconds: float = 0.0
    total_seconds: float = 0.0

    def resources_per_second(self, resources: int) -> float:
        spent = self.analyze_seconds + self.analyze_stack_seconds
        return resources / spent if spent > 0 else 0.0


@dataclass
class GateReport:
    command: str  # "check" or "analyze"
    stack: str
    project: str
    profile: str
    pack_name: str
    pack_version: str
    preview: bool
    fail_on_undecided: bool
    policies: list[PolicyMeta]
    resources: list[ResourceRef]
    findings: list[Finding]
    timing: Timing = field(default_factory=Timing)
    profile_path: str = ""
    stack_file: str = ""  # relative to the project directory, "" when there is none
    config_lines: Mapping[str, int] = field(default_factory=dict)  # stack-file config key -> 1-based line
    source_file: str = ""  # the analyzed export for `analyze`, relative when inside the project

    # -- verdict -----------------------------------------------------------------------------------------------------

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def passed(self) -> bool:
        return not self.blocking

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.status == VIOLATION]

    @property
    def undecided(self) -> list[Finding]:
        return [f for f in self.findings if f.status == UNDECIDED]

    def count_violations(self, level: str) -> int:
        return sum(1 for f in self.violations if f.enforcement_level == level)

    # -- per policy --------------------------------------------------------------------------------------------------

    def policy(self, name: str) -> PolicyMeta | None:
        return next((p for p in self.policies if p.name == name), None)

    def findings_for(self, policy: str) -> list[Finding]:
        return [f for f in self.findings if f.policy == policy]

    def policy_status(self, policy: PolicyMeta) -> str:
        """violation, undecided, disabled or pass (pass only when nothing was left undecided)."""
        statuses = {f.status for f in self.findings_for(policy.name)}
        if VIOLATION in statuses:
            return VIOLATION
        if UNDECIDED in statuses:
            return UNDECIDED
        if policy.enforcement_level == "disabled":
            return "disabled"
        return "pass"

    def policy_counts(self) -> dict[str, int]:
        counts = collections.Counter(self.policy_status(p) for p in self.policies)
        return {k: counts.get(k, 0) for k in (VIOLATION, UNDECIDED, "pass", "disabled")}

    # -- grouping ----------------------------------------------------------------------------------------------------

    def by_severity(self, status: str | None = None) -> dict[str, list[Finding]]:
        """Findings grouped by severity, most severe first; blocking and mandatory first inside a group."""
        groups: dict[str, list[Finding]] = {s: [] for s in SEVERITIES}
        for f in self.findings:
            if status is None or f.status == status:
                groups.setdefault(f.severity if f.severity in groups else "", []).append(f)
        for items in groups.values():
            items.sort(key=lambda f: (not f.blocking, f.enforcement_level != "mandatory", f.policy, f.urn))
        return {k: v for k, v in groups.items() if v}

    @property
    def resource_count(self) -> int:
        return len(self.resources)

    @functools.cached_property
    def resource_index(self) -> dict[str, ResourceRef]:
        return {r.urn: r for r in self.resources}

    def counts_by_type(self) -> dict[str, int]:
        counts = collections.Counter(r.type for r in self.resources)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def counts_by_component(self) -> dict[str, int]:
        """Resources per top-level component, keyed by the component's name and type (``(none)`` outside one)."""
        by_urn = self.resource_index
        counts: collections.Counter[str] = collections.Counter()
        for r in self.resources:
            comp = by_urn.get(r.component)
            counts[f"{comp.name} ({comp.type})" if comp else "(none)"] += 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def resource_name(self, urn: str) -> str:
        ref = self.resource_index.get(urn)
        return ref.name if ref else (urn.rsplit("::", 1)[-1] if urn else "(stack)")
