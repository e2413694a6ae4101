"""Encryption at rest: KMS everywhere data is stored."""
