"""Machine-readable findings, versioned: the document follows ``schema/findings-v1.json``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Final

from preflight.report.model import LIMITATIONS, UNDECIDED, VIOLATION, GateReport

SCHEMA_VERSION: Final = "1"
SCHEMA_NAME: Final = "preflight-findings"


def _component(report: GateReport, urn: str) -> str | None:
    ref = report.resource_index.get(urn)
    return ref.component or None if ref else None


def to_document(report: GateReport, *, generated_at: datetime | None = None) -> dict[str, Any]:
    when = (generated_at or datetime.now(UTC)).isoformat(timespec="seconds")
    undecided_blocking = sum(1 for f in report.undecided if f.blocking)
    timing = report.timing
    return {
        "schema": SCHEMA_NAME,
        "schemaVersion": SCHEMA_VERSION,
        "generatedAt": when,
        "command": report.command,
        "offline": True,
        "preview": report.preview,
        "stack": {"name": report.stack, "project": report.project, "file": report.stack_file or None},
        "profile": {
            "name": report.profile,
            "path": report.profile_path or None,
            "failOnUndecided": report.fail_on_undecided,
        },
        "pack": {"name": report.pack_name, "version": report.pack_version},
        "verdict": {"passed": report.passed, "exitCode": report.exit_code, "blocking": len(report.blocking)},
        "summary": {
            "violations": {
                "mandatory": report.count_violations("mandatory"),
                "advisory": report.count_violations("advisory"),
            },
            "undecided": {"total": len(report.undecided), "blocking": undecided_blocking},
            "policies": {"total": len(report.policies), **report.policy_counts()},
        },
        "resources": {
            "total": report.resource_count,
            "byType": report.counts_by_type(),
            "byComponent": report.counts_by_component(),
        },
        "policies": [
            {
                "name": p.name,
                "description": p.description,
                "severity": p.severity or None,
                "enforcementLevel": p.enforcement_level,
                "type": p.policy_type,
                "status": report.policy_status(p),
                "violations": sum(1 for f in report.findings_for(p.name) if f.status == VIOLATION),
                "undecided": sum(1 for f in report.findings_for(p.name) if f.status == UNDECIDED),
                "controls": list(p.controls),
                "remediation": p.remediation or None,
            }
            for p in report.policies
        ],
        "findings": [
            {
                "policy": f.policy,
                "severity": f.severity or None,
                "enforcementLevel": f.enforcement_level,
                "status": f.status,
                "blocking": f.blocking,
                "urn": f.urn or None,
                "resourceType": f.resource_type or None,
                "component": _component(report, f.urn),
                "stage": f.stage,
                "message": f.message,
                "remediation": f.remediation or None,
                "controls": list(f.controls),
            }
            for f in report.findings
        ],
        "timing": {
            "planSeconds": round(timing.plan_seconds, 4) if timing.plan_seconds is not None else None,
            "packStartSeconds": round(timing.pack_start_seconds, 4),
            "analyzeSeconds": round(timing.analyze_seconds, 4),
            "analyzeStackSeconds": round(timing.analyze_stack_seconds, 4),
            "totalSeconds": round(timing.total_seconds, 4),
            "resourcesPerSecond": round(timing.resources_per_second(report.resource_count), 1),
        },
        "limitations": list(LIMITATIONS),
    }


def render(report: GateReport) -> str:
    return json.dumps(to_document(report), indent=2) + "\n"
