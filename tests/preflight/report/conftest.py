"""Fixtures for the report writers (the report itself is built in report_fixtures.py)."""

from tests.preflight.report.report_fixtures import report, strict_report

__all__ = ["report", "strict_report"]
