"""A pull-request comment body: one-line verdict, findings by severity, collapsible details, resource counts."""

from __future__ import annotations

from preflight.report.model import LIMITATIONS, SEVERITIES, UNDECIDED, VIOLATION, Finding, GateReport, severity_label


def comment_marker(stack: str) -> str:
    """A hidden marker so CI can find and update its own sticky comment for a stack."""
    return f"<!-- preflight-gate:{stack} -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _verdict(report: GateReport) -> str:
    mandatory = report.count_violations("mandatory")
    advisory = report.count_violations("advisory")
    undecided = len(report.undecided)
    head = "✅ **Policy gate passed**" if report.passed else "❌ **Policy gate failed**"
    return (
        f"{head} for `{report.stack}` on profile `{report.profile}`: {mandatory} mandatory and {advisory} "
        f"advisory violation(s), {undecided} undecided at preview"
        + (f", {len(report.blocking)} blocking" if not report.passed else "")
        + f" ({report.resource_count} resources, {report.pack_name}@{report.pack_version})."
    )


def _finding_row(report: GateReport, f: Finding) -> str:
    resource = f"`{report.resource_name(f.urn)}` ({_cell(f.resource_type)})" if f.urn else "(stack)"
    status = f.status + (" **(blocking)**" if f.blocking else "")
    return (
        f"| `{f.policy}` | {f.enforcement_level} | {status} | {resource} | {_cell(f.message)} | "
        f"{_cell(f.remediation)} |"
    )


def render(report: GateReport) -> str:
    out = [comment_marker(report.stack), _verdict(report), ""]
    if report.findings:
        out += ["| Severity | Mandatory | Advisory | Undecided |", "|---|---:|---:|---:|"]
        for severity in SEVERITIES:
            group = [f for f in report.findings if f.severity == severity]
            if not group:
                continue
            mandatory = sum(1 for f in group if f.status == VIOLATION and f.enforcement_level == "mandatory")
            advisory = sum(1 for f in group if f.status == VIOLATION and f.enforcement_level == "advisory")
            undecided = sum(1 for f in group if f.status == UNDECIDED)
            out.append(f"| {severity_label(severity)} | {mandatory} | {advisory} | {undecided} |")
        out.append("")
        for severity, findings in report.by_severity().items():
            out += [
                f"<details><summary>{severity_label(severity)}: {len(findings)} finding(s)</summary>",
                "",
                "| Policy | Level | Status | Resource | Message | Remediation |",
                "|---|---|---|---|---|---|",
                *(_finding_row(report, f) for f in findings),
                "",
                "</details>",
                "",
            ]
    else:
        out += ["No findings: every policy passed and none was left undecided.", ""]

    out += [
        f"<details><summary>Resources by type ({report.resource_count})</summary>",
        "",
        "| Type | Count |",
        "|---|---:|",
        *(f"| `{_cell(t)}` | {n} |" for t, n in report.counts_by_type().items()),
        "",
        "</details>",
        "",
        "<details><summary>Resources by component</summary>",
        "",
        "| Component | Count |",
        "|---|---:|",
        *(f"| {_cell(c)} | {n} |" for c, n in report.counts_by_component().items()),
        "",
        "</details>",
        "",
        "<sub>" + " ".join(LIMITATIONS) + "</sub>",
    ]
    return "\n".join(out) + "\n"
