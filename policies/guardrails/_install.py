"""Serve the pack with :class:`guardrails._server.FastAnalyzerServicer` when the installed SDK is the verified one.

``PolicyPack(...)`` builds its servicer from the module global ``pulumi_policy.policy._PolicyAnalyzerServicer`` and
then serves forever, so :func:`install` replaces that global before the pack is built; the pack's start-up, port
handshake and every other call stay the SDK's. On any other pulumi-policy version (the fast servicer relies on the
SDK's private servicer internals), or with ``GUARDRAILS_ANALYZER=sdk``, the SDK's servicer is kept and one line on
stderr says so: the answers are the same either way, only slower.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from pulumi_policy import policy as sdk_policy
from pulumi_policy.version import VERSION as SDK_VERSION

# pulumi-policy releases whose servicer FastAnalyzerServicer was checked against (tests/policies/test_server.py).
VERIFIED_SDK_SERIES = "1.21."
# "fast" (default) or "sdk": lets a user rule the fast path out without editing the pack.
ANALYZER_ENV = "GUARDRAILS_ANALYZER"
ANALYZER_CHOICES = ("fast", "sdk")


def _notice(stream: TextIO | None, text: str) -> None:
    print(f"inference-guardrails: {text}", file=stream if stream is not None else sys.stderr, flush=True)


def install(stream: TextIO | None = None, sdk_version: str | None = None) -> bool:
    """Make ``PolicyPack`` serve with the fast servicer; False (after a one-line notice) when the SDK's is kept.

    ``stream`` defaults to stderr, ``sdk_version`` to the installed pulumi-policy's.
    """
    sdk_version = SDK_VERSION if sdk_version is None else sdk_version
    choice = os.environ.get(ANALYZER_ENV, "") or "fast"
    if choice not in ANALYZER_CHOICES:
        _notice(
            stream,
            f"{ANALYZER_ENV}={choice!r} is not one of {', '.join(ANALYZER_CHOICES)}; "
            "using pulumi-policy's own analyzer servicer",
        )
        return False
    if choice == "sdk":
        _notice(stream, f"{ANALYZER_ENV}=sdk: using pulumi-policy's own analyzer servicer")
        return False
    if not sdk_version.startswith(VERIFIED_SDK_SERIES):
        _notice(
            stream,
            f"pulumi-policy {sdk_version} is not the verified {VERIFIED_SDK_SERIES}x; "
            "using its own (slower) analyzer servicer",
        )
        return False
    try:
        from ._server import FastAnalyzerServicer  # noqa: PLC0415 - needs the SDK internals checked above
    except (ImportError, AttributeError) as e:
        _notice(stream, f"fast analyzer unavailable ({e}); using pulumi-policy's own analyzer servicer")
        return False
    # setattr: mypy rejects assigning to a class name; PolicyPack looks the global up when it is constructed.
    setattr(sdk_policy, "_PolicyAnalyzerServicer", FastAnalyzerServicer)  # noqa: B010
    return True
