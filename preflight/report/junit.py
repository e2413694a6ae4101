"""JUnit XML: one test case per policy, so CI shows policy results as tests.

A policy with violations fails and lists the violating resources; a disabled policy is skipped. A policy left
undecided at preview is skipped with the undecided resources listed (it did not pass), or fails when the gate
fails on undecided checks.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from preflight.report.model import UNDECIDED, VIOLATION, Finding, GateReport, severity_label


def _listing(findings: list[Finding]) -> str:
    return "\n".join(f"{f.urn or '(stack)'}: {f.message}" for f in findings) + "\n"


def render(report: GateReport) -> str:
    tests = len(report.policies)
    suites = ET.Element("testsuites", name="preflight policy gate")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"{report.pack_name}@{report.pack_version} on {report.stack} ({report.profile})",
        tests=str(tests),
        errors="0",
        time=f"{report.timing.total_seconds:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("stack", report.stack),
        ("profile", report.profile),
        ("pack", f"{report.pack_name}@{report.pack_version}"),
        ("verdict", "passed" if report.passed else "failed"),
        ("resources", str(report.resource_count)),
        ("preview", str(report.preview).lower()),
    ):
        ET.SubElement(props, "property", name=name, value=value)

    failures = skipped = 0
    for policy in report.policies:
        case = ET.SubElement(
            suite,
            "testcase",
            name=policy.name,
            classname=f"policy.{severity_label(policy.severity)}",
            time="0",
        )
        findings = report.findings_for(policy.name)
        violations = [f for f in findings if f.status == VIOLATION]
        undecided = [f for f in findings if f.status == UNDECIDED]
        if violations:
            failures += 1
            level = violations[0].enforcement_level
            failure = ET.SubElement(
                case,
                "failure",
                type=level,
                message=f"{len(violations)} {level} violation(s) of {policy.name}: {policy.description}",
            )
            failure.text = _listing(violations) + (f"Remediation: {policy.remediation}\n" if policy.remediation else "")
        elif undecided and any(f.blocking for f in undecided):
            failures += 1
            failure = ET.SubElement(
                case,
                "failure",
                type="undecided",
                message=f"{len(undecided)} check(s) undecided at preview (failing: --fail-on-undecided)",
            )
            failure.text = _listing(undecided)
        elif undecided:
            skipped += 1
            skip = ET.SubElement(
                case, "skipped", message=f"undecided at preview for {len(undecided)} resource(s); not a pass"
            )
            skip.text = _listing(undecided)
        elif policy.enforcement_level == "disabled":
            skipped += 1
            ET.SubElement(case, "skipped", message="disabled by the profile")
        if undecided and violations:
            out = ET.SubElement(case, "system-out")
            out.text = "Also undecided at preview:\n" + _listing(undecided)
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suites.set("tests", str(tests))
    suites.set("failures", str(failures))
    suites.set("skipped", str(skipped))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
