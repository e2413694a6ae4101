"""SARIF 2.1.0 for GitHub code scanning: one rule per policy, one result per finding.

Each result points at something a reviewer can open. When the resource is shaped by stack config (the small table
below), the primary location is that key's line in ``Pulumi.<stack>.yaml``; otherwise it is where the resource is
declared (the engine's source position, or the component class that registers its type token); the stack file is
the last resort. The resource URN is the logical location. URIs are relative to the repository root (``%SRCROOT%``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from preflight.report.model import UNDECIDED, Finding, GateReport, PolicyMeta, ResourceRef, SourcePosition

SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT: Final = "%SRCROOT%"

# GitHub reads properties.security-severity: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, below that low.
SECURITY_SEVERITY: Final = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "": "5.0"}

# Resource types whose shape comes from one stack config key (camelCase key as written in Pulumi.<stack>.yaml,
# without the project namespace). Only entries where the key really decides the resource's settings.
CONFIG_KEY_BY_TYPE: Final = {
    "pulumi:providers:aws": "aws:region",
    "aws:eks/cluster:Cluster": "cluster",
    "aws:eks/nodeGroup:NodeGroup": "gpuNodePools",
    "aws:ec2/launchTemplate:LaunchTemplate": "gpuNodePools",
    "aws:ec2/vpc:Vpc": "network",
    "aws:ec2/subnet:Subnet": "network",
    "aws:ec2/natGateway:NatGateway": "network",
    "aws:ec2/flowLog:FlowLog": "network",
    "kubernetes:apps/v1:Deployment": "inference",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": "inference",
    "kubernetes:core/v1:Service": "exposure",
    "kubernetes:networking.k8s.io/v1:Ingress": "exposure",
    "aws:lb/listener:Listener": "exposure",
    "aws:lb/loadBalancer:LoadBalancer": "exposure",
}


def _level(f: Finding) -> str:
    if f.blocking:
        return "error"
    if f.status == UNDECIDED:
        return "note"
    return "note" if f.severity == "low" else "warning"


def _rule_level(p: PolicyMeta) -> str:
    if p.enforcement_level in ("mandatory", "remediate"):
        return "error"
    if p.enforcement_level == "disabled":
        return "none"
    return "note" if p.severity == "low" else "warning"


def _rule(p: PolicyMeta) -> dict[str, Any]:
    full = p.description
    if p.controls:
        full += " Controls: " + ", ".join(p.controls) + "."
    help_text = p.remediation or "See the policy description."
    rule: dict[str, Any] = {
        "id": p.name,
        "name": "".join(part.capitalize() for part in p.name.split("-")),
        "shortDescription": {"text": p.description},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": f"**Remediation:** {help_text}"},
        "defaultConfiguration": {"level": _rule_level(p)},
        "properties": {
            "security-severity": SECURITY_SEVERITY.get(p.severity, SECURITY_SEVERITY[""]),
            "tags": ["security", "policy", *p.controls, *(t for t in p.tags if t not in p.controls)],
            "enforcementLevel": p.enforcement_level,
            "precision": "high",
        },
    }
    if p.url:
        rule["helpUri"] = p.url
    return rule


def _physical(path: str, line: int) -> dict[str, Any]:
    return {
        "artifactLocation": {"uri": path, "uriBaseId": SRCROOT},
        "region": {"startLine": max(line, 1)},
    }


def _source(report: GateReport, ref: ResourceRef | None) -> SourcePosition | None:
    # The resource's own position, else the nearest ancestor's (a component's class).
    seen: set[str] = set()
    while ref is not None and ref.urn not in seen:
        if ref.source is not None:
            return ref.source
        seen.add(ref.urn)
        ref = report.resource_index.get(ref.parent)
    return None


def _config_line(report: GateReport, resource_type: str) -> tuple[str, int] | None:
    key = CONFIG_KEY_BY_TYPE.get(resource_type)
    if key is None or not report.stack_file:
        return None
    for candidate in (key, f"{report.project}:{key}"):
        if candidate in report.config_lines:
            return candidate, report.config_lines[candidate]
    return None


def _locations(report: GateReport, f: Finding) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    ref = report.resource_index.get(f.urn)
    source = _source(report, ref)
    config = _config_line(report, f.resource_type)
    related: list[dict[str, Any]] = []
    if config is not None:
        key, line = config
        physical = _physical(report.stack_file, line)
        note = f" (shaped by config key `{key}` in {report.stack_file})"
        if source is not None:
            related.append(
                {"id": 0, "physicalLocation": _physical(source.path, source.line), "message": {"text": "declared here"}}
            )
    elif source is not None:
        physical, note = _physical(source.path, source.line), ""
    elif report.stack_file:
        physical, note = _physical(report.stack_file, 1), ""
    else:
        physical, note = _physical(report.source_file or "Pulumi.yaml", 1), ""
    location: dict[str, Any] = {"physicalLocation": physical}
    if f.urn:
        location["logicalLocations"] = [
            {"fullyQualifiedName": f.urn, "name": report.resource_name(f.urn), "kind": "resource"}
        ]
    return location, related, note


def _result(report: GateReport, f: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    location, related, note = _locations(report, f)
    who = f"{f.resource_type} '{report.resource_name(f.urn)}'" if f.urn else "the stack"
    if f.status == UNDECIDED:
        text = f"Undecided at preview for {who}: {f.message}{note}. Not a pass: the policy needs a computed value."
    else:
        text = f"{who}: {f.message}{note}"
    fingerprint = hashlib.sha256(f"{f.policy}|{f.urn}|{f.status}|{f.message}".encode()).hexdigest()
    result: dict[str, Any] = {
        "ruleId": f.policy,
        "level": _level(f),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"preflightFinding/v1": fingerprint},
        "properties": {
            "status": f.status,
            "enforcementLevel": f.enforcement_level,
            "blocking": f.blocking,
            "resourceType": f.resource_type,
            "stage": f.stage,
        },
    }
    if f.policy in rule_index:
        result["ruleIndex"] = rule_index[f.policy]
    if related:
        result["relatedLocations"] = related
    return result


def to_document(report: GateReport) -> dict[str, Any]:
    rules = [_rule(p) for p in report.policies]
    rule_index = {p.name: i for i, p in enumerate(report.policies)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "preflight-policy-gate",
                "fullName": f"preflight policy gate running {report.pack_name}",
                "version": report.pack_version or "0.0.0",
                "rules": rules,
            }
        },
        # A distinct category per stack, so per-stack uploads do not replace each other in code scanning.
        "automationDetails": {"id": f"preflight/{report.stack}/"},
        "results": [_result(report, f, rule_index) for f in report.findings],
        "invocations": [{"executionSuccessful": True, "exitCode": report.exit_code}],
        "properties": {
            "stack": report.stack,
            "profile": report.profile,
            "pack": f"{report.pack_name}@{report.pack_version}",
            "preview": report.preview,
            "offline": True,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: GateReport) -> str:
    return json.dumps(to_document(report), indent=2) + "\n"
