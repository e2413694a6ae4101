"""Report writers for the policy gate: ``--format text|json|sarif|junit|markdown``, each with its own ``--output``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, TextIO

from preflight.report import json_report, junit, markdown, sarif, text
from preflight.report.model import GateReport

SCHEMA_DIR: Final = Path(__file__).parent / "schema"
FINDINGS_SCHEMA: Final = SCHEMA_DIR / "findings-v1.json"
SARIF_SCHEMA: Final = SCHEMA_DIR / "sarif-schema-2.1.0.json"

WRITERS: Final[dict[str, Callable[[GateReport], str]]] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "markdown": markdown.render,
}
FORMATS: Final = tuple(WRITERS)


def render(report: GateReport, fmt: str) -> str:
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; allowed: {', '.join(FORMATS)}") from None
    return writer(report)


def write_reports(
    report: GateReport, outputs: Sequence[tuple[str, Path | None]], stdout: TextIO | None = None
) -> list[Path]:
    """Write each (format, path) pair; a pair without a path goes to ``stdout``. Returns the files written."""
    stdout = stdout or sys.stdout  # looked up per call, so redirection (and capture in tests) applies
    written: list[Path] = []
    for fmt, path in outputs:
        body = render(report, fmt)
        if path is None:
            stdout.write(body)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
            written.append(path)
    return written
