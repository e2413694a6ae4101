"""The inference-guardrails policy pack, as the Pulumi engine starts it (`python -m pulumi.policy <addr> policies`)."""

from guardrails import PACK_NAME, POLICIES, pack_version
from guardrails._install import install
from pulumi_policy import EnforcementLevel, PolicyPack

# Analyze each resource once for all policies rather than once per policy (same answers; guardrails/_server.py).
install()
PolicyPack(
    name=PACK_NAME,
    # Secure default: without a profile every policy blocks; profiles/baseline.json relaxes it for dev.
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=list(POLICIES),
    description=f"GPU inference platform guardrails, version {pack_version()} (HIPAA / FedRAMP profiles in profiles/).",
)
