"""Governance: required tags and labels, protected data in prod, GPU budget, data placement."""
