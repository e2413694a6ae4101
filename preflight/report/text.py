"""Human-readable gate output: findings grouped by severity, undecided checks apart, then a summary."""

from __future__ import annotations

from preflight.report.model import LIMITATIONS, UNDECIDED, VIOLATION, Finding, GateReport, severity_label


def _finding_lines(f: Finding) -> list[str]:
    marker = "!" if f.blocking else "-"
    lines = [f"  {marker} [{f.enforcement_level}] {f.policy}"]
    lines.append(f"      resource:    {f.urn or '(stack)'}")
    if f.urn:
        lines.append(f"      type:        {f.resource_type}")
    message = f.message.replace("\n", "\n                   ")
    lines.append(f"      message:     {message}")
    if f.remediation:
        remediation = f.remediation.replace("\n", "\n                   ")
        lines.append(f"      remediation: {remediation}")
    if f.controls:
        lines.append(f"      controls:    {', '.join(f.controls)}")
    return lines


def render(report: GateReport) -> str:
    mode = "offline preview" if report.preview else "offline, recorded state"
    out = [
        f"Policy gate ({report.command}): stack {report.stack}, profile {report.profile}, "
        f"pack {report.pack_name}@{report.pack_version} ({mode})",
        "",
    ]
    violations = report.by_severity(VIOLATION)
    if violations:
        out.append("Violations by severity")
        for severity, findings in violations.items():
            out.append(f"{severity_label(severity).upper()} ({len(findings)})")
            for f in findings:
                out.extend(_finding_lines(f))
        out.append("")
    undecided = report.by_severity(UNDECIDED)
    if undecided:
        out.append("Undecided at preview (the policy needs a value computed during the update; not a pass)")
        for severity, findings in undecided.items():
            out.append(f"{severity_label(severity).upper()} ({len(findings)})")
            for f in findings:
                out.extend(_finding_lines(f))
        out.append("")

    n_undecided = len(report.undecided)
    undecided_mandatory = sum(1 for f in report.undecided if f.enforcement_level in ("mandatory", "remediate"))
    policy_counts = report.policy_counts()
    timing = report.timing
    verdict = "PASSED" if report.passed else f"FAILED ({len(report.blocking)} blocking finding(s))"
    plan = f"plan {timing.plan_seconds:.2f}s, " if timing.plan_seconds is not None else ""
    out += [
        "Summary",
        f"  verdict:     {verdict}",
        f"  violations:  mandatory {report.count_violations('mandatory')}, "
        f"advisory {report.count_violations('advisory')}",
        # States the mode, not an outcome: the verdict line says whether anything failed.
        f"  undecided:   {n_undecided} (mandatory {undecided_mandatory}); "
        + (
            "--fail-on-undecided is on: undecided mandatory checks fail the gate"
            if report.fail_on_undecided
            else "--fail-on-undecided is off: undecided checks do not fail the gate"
        ),
        f"  policies:    {len(report.policies)} (violated {policy_counts[VIOLATION]}, "
        f"undecided {policy_counts[UNDECIDED]}, passed {policy_counts['pass']}, "
        f"disabled {policy_counts['disabled']})",
        f"  resources:   {report.resource_count} analyzed",
        f"  time:        {plan}pack start {timing.pack_start_seconds:.2f}s, analyze {timing.analyze_seconds:.2f}s, "
        f"analyze-stack {timing.analyze_stack_seconds:.2f}s, total {timing.total_seconds:.2f}s "
        f"({timing.resources_per_second(report.resource_count):,.0f} resources/s through the analyzer)",
        "  note:        " + LIMITATIONS[0],
    ]
    return "\n".join(out) + "\n"
