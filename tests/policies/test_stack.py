"""guardrails._stack: joining stack resources through property dependencies."""

from __future__ import annotations

from guardrails._stack import Targets
from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions


def _resource(name: str, deps: dict[str, list[PolicyResource]] | None = None) -> PolicyResource:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    flat = [dep for group in (deps or {}).values() for dep in group]
    return PolicyResource("test:index:Res", {}, f"urn:{name}", name, options, None, None, flat, dict(deps or {}))


def test_targets_linked_through_one_property_in_the_order_given() -> None:
    first, second, third, other = (_resource(name) for name in ("first", "second", "third", "other"))
    user = _resource("user", {"image": [third, other, first], "network": [second]})
    assert Targets([first, second, third]).linked(user, "image") == [first, third]
