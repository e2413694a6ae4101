"""Offline plan and policy gate: runs the Pulumi program and the policy pack without the Pulumi CLI.

Modules: ``stackfile`` (stack config as the CLI passes it), ``engine`` (the
program under the SDK mock engine), ``export`` (``pulumi stack export``
documents), ``plan`` and ``cli`` (``python -m preflight``).
"""
