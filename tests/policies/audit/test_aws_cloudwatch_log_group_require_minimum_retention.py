"""aws-cloudwatch-log-group-require-minimum-retention."""

from __future__ import annotations

import pytest
from guardrails.audit.aws_cloudwatch_log_group_require_minimum_retention import POLICY

from tests.policies.harness import UNKNOWN, analyze

TYPE = "aws:cloudwatch/logGroup:LogGroup"


@pytest.mark.parametrize("props", [{"retentionInDays": 365}, {"retentionInDays": 3653}, {}, {"retentionInDays": 0}])
def test_long_enough_or_never_expiring_passes(props: dict) -> None:
    assert analyze(POLICY, TYPE, props).passed


def test_short_retention_violates() -> None:
    result = analyze(POLICY, TYPE, {"retentionInDays": 30})
    assert result.has("keeps events 30 days, less than minRetentionDays 365")


def test_minimum_is_configurable() -> None:
    assert analyze(POLICY, TYPE, {"retentionInDays": 30}, config={"minRetentionDays": 30}).passed


def test_unknown_retention_is_undecided() -> None:
    result = analyze(POLICY, TYPE, {"retentionInDays": UNKNOWN})
    assert not result.violations and len(result.undecided) == 1
